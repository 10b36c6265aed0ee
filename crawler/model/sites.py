"""Sites are data: where to start, which feeds and sitemaps, what an article URL looks like.

Adding an IPPEN.MEDIA site is one line in :data:`IPPEN_SITES`; any other news site is a short TOML file read
by :func:`load_site` (see docs/sites.md) and crawled with `scrapy crawl news -a config=FILE`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

IPPEN_ARTICLE = r"-\d{5,}\.html$"
RENDER_MODES = ("never", "auto", "always")
"""How a site's pages are fetched: plain only, plain then rendered when needed (crawler.runtime.render), rendered."""
PAGE_KINDS = ("listing", "article")


@dataclass(frozen=True)
class Site:
    key: str
    """The site's name in the database (`site` field), e.g. `merkur.de`."""
    base_url: str
    sections: tuple[str, ...] = ()
    """Section paths; each is a listing page (`/<section>/`) and, on IPPEN sites, a feed."""
    start_pages: tuple[str, ...] = ("/",)
    """Listing pages besides the sections (paths or absolute URLs)."""
    feeds: tuple[str, ...] = ()
    """RSS/RDF/Atom feeds."""
    sitemaps: tuple[str, ...] = ()
    """News sitemaps and sitemap indexes."""
    article_pattern: str = IPPEN_ARTICLE
    """Regex searched in an URL's path: what counts as an article."""
    allowed_domains: tuple[str, ...] = ()
    """Hosts the crawl may visit; default: the base URL's host."""
    language: str = "de"
    profile: str = "ippen"
    """Extraction profile (`crawler.extract.profiles`): `ippen`, `generic`, or `auto` (by the page's markup)."""
    section_feeds: bool = False
    """Each section has a feed at `/<section>/rssfeed.rdf` (IPPEN)."""
    extra: dict[str, Any] = field(default_factory=dict)
    render: str | dict[str, str] = "auto"
    """JavaScript rendering: `never`, `auto` (plain, rendered when the plain page lacks teasers or a body) or
    `always`; or one per page kind, e.g. `{"listing": "always", "article": "auto"}` (see docs/rendering.md)."""

    @property
    def article_regex(self) -> re.Pattern[str]:
        return re.compile(self.article_pattern)


def ippen(key: str, *sections: str, feeds: tuple[str, ...] = ()) -> Site:
    """An IPPEN.MEDIA site: one CMS, so only the domain and its sections differ."""
    return Site(
        key,
        f"https://www.{key}",
        sections=sections,
        feeds=feeds,
        sitemaps=("/news.xml", "/sitemap-index.xml"),
        section_feeds=True,
    )


IPPEN_SITES: dict[str, Site] = {
    site.key: site
    for site in (
        ippen("merkur.de", "politik", "welt", "bayern", "wirtschaft", "sport", "lokales", feeds=("/welt/rssfeed.rdf",)),
        ippen("tz.de", "muenchen", "welt", "politik", "sport"),
        ippen("fr.de", "politik", "frankfurt", "wirtschaft", "sport"),
        ippen("fnp.de", "frankfurt", "politik", "wirtschaft"),
        ippen("hna.de", "kassel", "politik", "sport"),
        ippen("op-online.de", "offenbach", "politik", "sport"),
        ippen("kreiszeitung.de", "lokales", "politik", "sport"),
        ippen("wa.de", "hamm", "politik", "sport"),
    )
}

_LIST_FIELDS = ("sections", "start_pages", "feeds", "sitemaps", "allowed_domains")


PROFILE_NAMES = ("ippen", "generic")
"""The extraction profiles a site may name (`profile = "ippen"`); `crawler.extract.profiles.PROFILES` reads them
(a test keeps the two the same: sites are data, so they name profiles without importing extraction)."""
AUTO = "auto"
"""A site's profile chosen page by page, by the page's markup (`crawler.extract.profiles.profile_for`)."""


class SiteConfigError(ValueError):
    """A site configuration that cannot be used; the message says which key and why."""


def load_site(path: str | Path) -> Site:
    """Read a generic site from TOML. Required: `key`, `base_url`, `article_pattern`."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SiteConfigError(f"{path}: {exc}") from exc
    return site_from_dict(data, source=str(path))


def site_from_dict(data: dict[str, Any], source: str = "site config") -> Site:
    missing = [k for k in ("key", "base_url", "article_pattern") if not data.get(k)]
    if missing:
        raise SiteConfigError(f"{source}: missing {', '.join(missing)}")
    known = set(Site.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise SiteConfigError(f"{source}: unknown keys {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    try:
        re.compile(data["article_pattern"])
    except re.error as exc:
        raise SiteConfigError(f"{source}: article_pattern is not a regex: {exc}") from exc
    if not urlsplit(data["base_url"]).scheme.startswith("http"):
        raise SiteConfigError(f"{source}: base_url must be an http(s) URL")
    values = {k: tuple(v) if k in _LIST_FIELDS else v for k, v in data.items()}
    values.setdefault("profile", AUTO)
    values.setdefault("start_pages", ("/",))
    if values["profile"] not in (*PROFILE_NAMES, AUTO):
        raise SiteConfigError(f"{source}: profile must be {', '.join(PROFILE_NAMES)} or {AUTO}")
    values["render"] = _render_setting(values.get("render", "auto"), source)
    return Site(**values)


def _render_setting(value: Any, source: str) -> str | dict[str, str]:
    modes = ", ".join(RENDER_MODES)
    if isinstance(value, str):
        if value not in RENDER_MODES:
            raise SiteConfigError(f"{source}: render must be one of {modes}, or a table per page kind")
        return value
    if isinstance(value, dict):
        unknown = set(value) - set(PAGE_KINDS)
        if unknown:
            raise SiteConfigError(f"{source}: render has unknown page kinds {', '.join(sorted(unknown))}")
        bad = {k: v for k, v in value.items() if v not in RENDER_MODES}
        if bad:
            raise SiteConfigError(f"{source}: render modes must be one of {modes}, not {bad}")
        return dict(value)
    raise SiteConfigError(f"{source}: render must be one of {modes}, or a table per page kind")
