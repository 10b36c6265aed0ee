"""The article item around a profile's own fields: what every profile fills the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crawler.extract.dates import When
from crawler.extract.metadata import PageMeta
from crawler.extract.urls import publisher_id
from crawler.model.items import ArticleItem, Block
from crawler.model.text import html_hash, word_count


def build_article(
    meta: PageMeta,
    url: str,
    html: str,
    fetched_at: datetime | None,
    *,
    lead: str | None,
    body: list[Block],
    published: When | None,
    **fields: Any,
) -> ArticleItem:
    """An `ArticleItem` of the profile's `fields` (site, kicker, headline, authors, images, extractor, ...) and
    what does not depend on the profile: canonical URL and publisher id, language, dates (UTC and as written),
    tags, word count, HTML hash and fetch time."""
    canonical = meta.canonical or url
    return ArticleItem(
        url=canonical,
        fetched_url=url,
        publisher_id=publisher_id(canonical) or publisher_id(url),
        language=meta.language,
        lead=lead,
        body=body,
        published=published.utc if published else None,
        published_raw=published.raw if published else None,
        modified=meta.modified.utc if meta.modified else None,
        modified_raw=meta.modified.raw if meta.modified else None,
        tags=meta.tags,
        word_count=word_count(([lead] if lead else []) + [b.text for b in body]),
        html_hash=html_hash(html),
        fetched_at=fetched_at or datetime.now(UTC),
        **fields,
    )
