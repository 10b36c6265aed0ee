"""The items spiders yield and pipelines consume.

Plain dataclasses (Scrapy reads them through ItemAdapter), so extractors can build them without Scrapy.
Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from typing import Any

_LEAVES: frozenset[type] = frozenset({str, int, float, bool, type(None), datetime})
"""Types `plain` returns as they are (immutable leaves), checked before anything else."""
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
"""Field names per dataclass: `dataclasses.fields()` builds its tuple anew on every call."""


def plain(value: Any) -> Any:
    """`dataclasses.asdict` for items: dataclasses to dicts, lists and dicts copied, immutable leaves shared.

    Written by hand because asdict deep-copies every leaf (`copy.deepcopy` of each str and datetime): three
    calls per article took a tenth of the crawler's CPU per page (bench/distributed.py, profiled). Items hold
    only immutable leaves (str, numbers, datetimes, None), so sharing them is what a deep copy gives. Leaves,
    lists and dicts are told by their exact type first and a dataclass's field names are cached: this runs
    twice per article on the reactor thread (normalize and store pipelines).
    """
    cls = type(value)
    if cls in _LEAVES:
        return value
    if cls is list:
        return [v if type(v) in _LEAVES else plain(v) for v in value]
    if cls is dict:
        return {k: v if type(v) in _LEAVES else plain(v) for k, v in value.items()}
    names = _FIELD_NAMES.get(cls)
    if names is None:
        if isinstance(value, list | tuple):
            return cls(plain(v) for v in value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if not is_dataclass(value) or isinstance(value, type):
            return value
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(value))
    out = {}
    for name in names:
        v = getattr(value, name)
        out[name] = v if type(v) in _LEAVES else plain(v)
    return out


@dataclass
class Block:
    """One body block, in page order."""

    kind: str
    """`paragraph`, `crosshead`, `list`, `quote`."""
    text: str


@dataclass
class Image:
    """An image of the article, in page order."""

    url: str
    caption: str | None = None
    credit: str | None = None
    """Photographer or agency (`IMAGO / ...`, `dpa`), split off the caption."""
    alt: str | None = None
    """The image's alternative text."""


@dataclass
class ArticleItem:
    """An article page as extracted."""

    url: str
    """Canonical URL (the page's own canonical when it has one)."""
    site: str
    """Site key, e.g. `merkur.de`."""
    headline: str | None
    publisher_id: str | None = None
    """The publisher's article id (IPPEN: the digits before `.html`); stable across slug changes."""
    fetched_url: str | None = None
    """The URL that was requested (differs from `url` after redirects or with tracking parameters)."""
    language: str | None = None
    kicker: str | None = None
    headline_variants: dict[str, str] = field(default_factory=dict)
    """Headline per source: `h1`, `og_title`, `jsonld`, `title`, `share`."""
    lead: str | None = None
    body: list[Block] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    """Persons who wrote the article, clean full names; never an agency, an organisation or a credit."""
    agency: str | None = None
    """Agencies and organisations credited, several joined by `, ` in byline order (`dpa, AFP`)."""
    dateline: str | None = None
    published: datetime | None = None
    """First publication, UTC. A wall-clock time without an offset is read in Europe/Berlin."""
    modified: datetime | None = None
    """Last modification the page declares, UTC."""
    section: str | None = None
    breadcrumb: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    paywall: bool = False
    word_count: int = 0
    html_hash: str | None = None
    extractor: str | None = None
    """Extractor that read the page: a profile's markup generation (`ippen/2023`) or `generic/2`."""
    fetched_at: datetime | None = None
    published_raw: str | None = None
    """The published date as the page wrote it (offset and precision kept), beside the normalized `published`."""
    modified_raw: str | None = None
    """The modified date as the page wrote it."""
    content_hash: str | None = None
    """Fingerprint of the normalized content fields (set by the normalize pipeline); equal hash, no new version."""
    etag: str | None = None
    """The response's HTTP `ETag`, sent back as If-None-Match on the next fetch (crawler.discover.revisit.planner)."""
    last_modified: str | None = None
    """The response's HTTP `Last-Modified` header, verbatim (not the page's `modified`): If-Modified-Since."""
    hinted_modified: datetime | None = None
    """The sitemap/feed date that discovery saw for this article, if any (a later one makes it due again)."""
    next_visit: datetime | None = None
    """When the article is due again if this fetch found it unchanged (revisit policy, by its age)."""
    next_visit_changed: datetime | None = None
    """When it is due again if this fetch found an edit (an article that just changed is young again)."""

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> ArticleItem:
        """The item back from `to_dict()` form (blocks and images as dicts); unknown keys are an error."""
        values = dict(doc)
        values["body"] = [b if isinstance(b, Block) else Block(**b) for b in values.get("body") or []]
        values["images"] = [i if isinstance(i, Image) else Image(**i) for i in values.get("images") or []]
        return cls(**values)


@dataclass
class TeaserItem:
    """One teaser of an article on a listing page (homepage or section)."""

    url: str
    site: str
    headline: str | None
    page_url: str
    position: int
    """1-based position on the page, in reading order."""
    publisher_id: str | None = None
    kicker: str | None = None
    text: str | None = None
    image: str | None = None
    block: str | None = None
    """The page block the teaser stands in: the block's headline (`News – Archiv`) or, without one, its layout."""
    seen_at: datetime | None = None
    layout: str | None = None
    """The teaser's layout on the page: `prio` (lead teasers), `block`, `list`, `swiper`, ..."""
    block_index: int | None = None
    """1-based number of the block on the page, in reading order."""
    author: str | None = None
    published: datetime | None = None
    """The time the teaser shows (UTC), when it shows one."""

    def to_dict(self) -> dict[str, Any]:
        return plain(self)


@dataclass
class RejectItem:
    """A page or item that could not be read or failed validation, kept with its reason."""

    url: str
    reason: str
    site: str | None = None
    item: dict[str, Any] = field(default_factory=dict)
    detail: str | None = None
    seen_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return plain(self)
