"""What the store knows of an article for revisiting: handed from the store to discovery, so it is neither's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Known:
    """What the store knows of an article, as far as revisiting needs it: read by `crawler.store.revisit`, weighed by
    the revisit policy (`crawler.discover.revisit.policy`)."""

    article_id: str
    url: str
    last_fetched: datetime | None = None
    next_visit: datetime | None = None
    published: datetime | None = None
    modified: datetime | None = None
    """The modification date the page declared (JSON-LD `dateModified`, meta), as stored."""
    last_changed: datetime | None = None
    """When newsmon last stored a new version."""
    version: int = 0
    etag: str | None = None
    last_modified: str | None = None
    """The HTTP `Last-Modified` header of the last full fetch, verbatim (sent back as If-Modified-Since)."""
    hinted_modified: datetime | None = None
    """The latest sitemap/feed date that already made newsmon fetch the article (so it does not again)."""
    teaser_headline: str | None = None
    """The teaser headline as last stored in `teasers`."""
