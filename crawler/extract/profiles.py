"""Which extractor reads a page: a publisher profile for its markup, the generic extractor for everything else,
and for a page the profile cannot read (a markup generation it does not know), so no page is lost to a redesign.
The article's `extractor` says which one read it; crawl health counts them per site (`crawler.runtime.health`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from crawler.extract import generic, ippen
from crawler.extract.parsing import ExtractionError
from crawler.extract.urls import site_of
from crawler.model.items import ArticleItem
from crawler.model.sites import AUTO

Reader = Callable[[str, str, str, datetime | None], ArticleItem]

PROFILES: dict[str, Reader] = {"ippen": ippen.extract_article, "generic": generic.extract_article}
"""The extraction profiles by the name a site's config gives (`crawler.model.sites.PROFILE_NAMES`)."""


def profile_for(html: str, url: str) -> str:
    """`ippen` when the page carries the IPPEN article markup of any generation (whatever its domain), else
    `generic`."""
    return "ippen" if ippen.is_ippen_page(html) else "generic"


def read_with_fallback(profile: str, html: str, url: str, site: str, fetched_at: datetime | None = None) -> ArticleItem:
    """Read with `profile`; a page it cannot read goes to the generic extractor's rules (not its trafilatura
    last resort: an article of known markup with an empty body stays a reject). When that fails too, the
    profile's reason is raised (it says what the publisher's markup lacks)."""
    try:
        return PROFILES[profile](html, url, site, fetched_at)
    except ExtractionError as first:
        if profile == "generic":
            raise
        try:
            return generic.extract_article(html, url, site, fetched_at, last_resort=False)
        except ExtractionError:
            raise first from None


def read_article(profile: str, html: str, url: str, site: str, fetched_at: datetime | None = None) -> ArticleItem:
    """Read with a site's configured `profile` (a key of `PROFILES`, or `auto`: the one `profile_for` the page),
    with the fallback of `read_with_fallback`. What the spiders call."""
    chosen = profile_for(html, url) if profile == AUTO else profile
    return read_with_fallback(chosen, html, url, site, fetched_at)


def extract_article(html: str, url: str, site: str | None = None, fetched_at: datetime | None = None) -> ArticleItem:
    """Read an article page with the profile that fits it; raises ExtractionError with a reason."""
    return read_article(AUTO, html, url, site if site is not None else site_of(url), fetched_at)
