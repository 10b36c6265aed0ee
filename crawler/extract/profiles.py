"""Which extractor reads a page: the IPPEN.MEDIA profile for its markup, the generic profile for everything else."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from crawler.extract import generic, ippen
from crawler.items import ArticleItem

PROFILES = {"ippen": ippen.extract_article, "generic": generic.extract_article}


def profile_for(html: str, url: str) -> str:
    """`ippen` when the page carries the IPPEN article markup (whatever its domain), else `generic`."""
    return "ippen" if ippen.is_ippen_page(html) else "generic"


def extract_article(html: str, url: str, site: str | None = None, fetched_at: datetime | None = None) -> ArticleItem:
    """Read an article page with the profile that fits it; raises ExtractionError with a reason."""
    if site is None:
        host = urlsplit(url).hostname or ""
        site = host[4:] if host.startswith("www.") else host
    return PROFILES[profile_for(html, url)](html, url, site, fetched_at)
