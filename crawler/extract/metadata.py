"""Page metadata every profile reads the same way: JSON-LD article, OpenGraph/meta tags, `<html lang>`.

`read_metadata` runs before any tag is stripped (it needs the JSON-LD scripts) and is shared by the IPPEN and
the generic profile, so both agree on dates, canonical URL, tags, section and paywall.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from crawler.extract.dates import DEFAULT_TZ, When, best_date
from crawler.extract.headlines import headline_apart, strip_site_suffix
from crawler.extract.jsonld import jsonld_blocks, ld_breadcrumb, ld_names, ld_text, news_article, walk_jsonld
from crawler.extract.urls import join_url
from crawler.model.text import clean

PAYWALL_TIERS = frozenset({"locked", "metered", "premium", "paid", "subscriber", "plus"})


def meta_tags(root: HtmlElement) -> dict[str, list[str]]:
    """`<meta>` contents by lower-case `property`, `name` or `itemprop`, in page order."""
    found: dict[str, list[str]] = {}
    for el in root.iter("meta"):
        content = el.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop"):
            key = el.get(attr)
            if key:
                found.setdefault(key.strip().lower(), []).append(content)
    return found


def first_meta(meta: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        for value in meta.get(name, ()):
            value = clean(value)
            if value:
                return value
    return None


@dataclass
class PageMeta:
    """What the page says about itself, outside the visible article."""

    canonical: str | None = None
    language: str | None = None
    og_title: str | None = None
    ld_headline: str | None = None
    title_tag: str | None = None
    description: str | None = None
    """og:description, else meta description, else JSON-LD description."""
    ld_authors: list[str] = field(default_factory=list)
    ld_author_kinds: list[str] = field(default_factory=list)
    """`Person` / `Organization` per JSON-LD author, parallel to `ld_authors`."""
    meta_authors: list[str] = field(default_factory=list)
    published: When | None = None
    modified: When | None = None
    section: str | None = None
    breadcrumb: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    paywall: bool = False
    article: dict[str, Any] = field(default_factory=dict)
    """The JSON-LD article object, as found."""
    site_names: list[str] = field(default_factory=list)
    """The site's own names: og:site_name, application-name, the JSON-LD publisher, the host (`www.` dropped)."""

    @property
    def organisation_names(self) -> list[str]:
        """Names on the page that are organisations, never authors: the site's names and JSON-LD organisations."""
        orgs = [n for n, k in zip(self.ld_authors, self.ld_author_kinds, strict=False) if k == "Organization"]
        return [*self.site_names, *orgs]

    def fallback_headline(self, kicker: str | None) -> str | None:
        """The headline when the page shows none: JSON-LD, else og:title without the site's name; a kicker glued
        before it with a separator is parted off (`crawler.extract.headlines.headline_apart`)."""
        return headline_apart(self.ld_headline or strip_site_suffix(self.og_title, self.site_names), kicker)

    def headline_variants(self, h1: str | None, **more: str | None) -> dict[str, str]:
        """Every wording of the headline the page holds, by source (`h1`, `og_title`, `jsonld`, `title` without
        the site's name, then `more`), empty ones left out."""
        variants = {
            "h1": h1,
            "og_title": self.og_title,
            "jsonld": self.ld_headline,
            "title": strip_site_suffix(self.title_tag, self.site_names),
            **more,
        }
        return {k: v for k, v in variants.items() if v}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _keywords(value: Any) -> list[str]:
    out: list[str] = []
    for item in _as_list(value):
        if isinstance(item, str):
            out.extend(p for p in (clean(x) for x in item.split(",")) if p)
    return out


def _free(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no")
    return None


def read_metadata(root: HtmlElement, url: str, default_tz: tzinfo = DEFAULT_TZ) -> PageMeta:
    """What the page says about itself, one reader per field; run before any tag is stripped."""
    blocks = jsonld_blocks(root)
    ld = news_article(root, blocks)
    meta = meta_tags(root)
    ld_authors, ld_author_kinds = _ld_authors(ld)
    return PageMeta(
        article=ld,
        canonical=_canonical(root, meta, url),
        language=_language(root, meta, ld),
        og_title=first_meta(meta, "og:title", "twitter:title"),
        site_names=_site_names(meta, ld, url),
        ld_headline=ld_text(ld.get("headline")) or ld_text(ld.get("name")),
        title_tag=_title_tag(root),
        description=first_meta(meta, "og:description", "description", "twitter:description")
        or ld_text(ld.get("description")),
        ld_authors=ld_authors,
        ld_author_kinds=ld_author_kinds,
        meta_authors=_meta_authors(meta),
        published=best_date(_published_candidates(ld, meta), default_tz),
        modified=best_date(_modified_candidates(ld, meta), default_tz),
        breadcrumb=ld_breadcrumb(list(walk_jsonld(blocks))),
        section=ld_text(ld.get("articleSection")) or first_meta(meta, "article:section"),
        tags=_tags(ld, meta),
        image=_image(ld, meta, url),
        paywall=_paywall(ld, meta),
    )


def _canonical(root: HtmlElement, meta: dict[str, list[str]], url: str) -> str | None:
    """`<link rel=canonical>`, else og:url, resolved against the page's URL."""
    canonical = None
    for link in root.iter("link"):
        if (link.get("rel") or "").strip().lower() == "canonical" and link.get("href"):
            canonical = link.get("href", "").strip()
            break
    return join_url(url, canonical or first_meta(meta, "og:url"))


def _language(root: HtmlElement, meta: dict[str, list[str]], ld: dict[str, Any]) -> str | None:
    """`<html lang>`, else og:locale / language meta, else JSON-LD inLanguage; the language part only (`de`)."""
    lang = (
        root.get("lang")
        or first_meta(meta, "og:locale", "language", "content-language")
        or ld_text(ld.get("inLanguage"))
    )
    return clean(lang.replace("_", "-").split("-")[0].lower()) if lang else None


def _site_names(meta: dict[str, list[str]], ld: dict[str, Any], url: str) -> list[str]:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    publisher = ld.get("publisher")
    names = [
        first_meta(meta, "og:site_name"),
        first_meta(meta, "application-name"),
        ld_text(publisher.get("name")) if isinstance(publisher, dict) else ld_text(publisher),
        host,
    ]
    return list(dict.fromkeys(n for n in names if n))


def _title_tag(root: HtmlElement) -> str | None:
    title = root.find(".//title")
    return clean(title.text_content()) if title is not None else None


def _ld_authors(ld: dict[str, Any]) -> tuple[list[str], list[str]]:
    """JSON-LD `author` (else `creator`) names and, parallel, `Person` or `Organization` for each."""
    names: list[str] = []
    kinds: list[str] = []
    for person in _as_list(ld.get("author")) or _as_list(ld.get("creator")):
        found = ld_names(person)
        if found:
            types = {t for t in _as_list(person.get("@type"))} if isinstance(person, dict) else set()
            names.append(found[0])
            kinds.append("Organization" if types and "Person" not in types else "Person")
    return names, kinds


def _meta_authors(meta: dict[str, list[str]]) -> list[str]:
    return [
        a
        for a in (
            clean(v)
            for n in ("article:author", "author", "dc.creator", "sailthru.author", "twitter:misc:written by")
            for v in meta.get(n, ())
        )
        if a
    ]


PUBLISHED_META = (
    "article:published_time",
    "article:published:time",
    "article_published_time",
    "og:article:published_time",
    "datepublished",
    "date",
    "pubdate",
    "publishdate",
    "dc.date.issued",
    "dc.date",
    "dcterms.date",
    "last-modified",
)
"""Meta tags of the publishing date, in order of trust (after JSON-LD datePublished and dateCreated)."""
MODIFIED_META = ("article:modified_time", "article:modified:time", "og:updated_time")


def _published_candidates(ld: dict[str, Any], meta: dict[str, list[str]]) -> list[Any]:
    return [ld.get("datePublished"), ld.get("dateCreated"), *(v for n in PUBLISHED_META for v in meta.get(n, ()))]


def _modified_candidates(ld: dict[str, Any], meta: dict[str, list[str]]) -> list[Any]:
    return [ld.get("dateModified"), *(v for n in MODIFIED_META for v in meta.get(n, ()))]


def _tags(ld: dict[str, Any], meta: dict[str, list[str]]) -> list[str]:
    """JSON-LD keywords, else article:tag, news_keywords and keywords meta; duplicates dropped."""
    tags = _keywords(ld.get("keywords")) or [
        t for n in ("article:tag", "news_keywords", "keywords") for v in meta.get(n, ()) for t in _keywords(v)
    ]
    return list(dict.fromkeys(tags))


def _image(ld: dict[str, Any], meta: dict[str, list[str]], url: str) -> str | None:
    """The JSON-LD image (first of a list, an ImageObject's url), else og:image / twitter:image."""
    image = ld.get("image")
    if isinstance(image, list):
        image = image[0] if image else None
    if isinstance(image, dict):
        image = image.get("url") or image.get("contentUrl")
    image = image if isinstance(image, str) else first_meta(meta, "og:image", "twitter:image")
    return join_url(url, image)


def _paywall(ld: dict[str, Any], meta: dict[str, list[str]]) -> bool:
    """JSON-LD `isAccessibleForFree: false` (also in `hasPart`), or a paid `article:content_tier`."""
    free = _free(ld.get("isAccessibleForFree"))
    if free is None:
        for part in _as_list(ld.get("hasPart")):
            if isinstance(part, dict) and _free(part.get("isAccessibleForFree")) is False:
                free = False
    tier = (first_meta(meta, "article:content_tier") or "").lower()
    return free is False or tier in PAYWALL_TIERS
