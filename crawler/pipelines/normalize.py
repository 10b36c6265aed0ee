"""Article normalization: canonical URLs, clean text, split bylines, UTC times and the content hash."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawler.model.fingerprint import content_hash
from crawler.model.items import ArticleItem
from crawler.model.normalize import normalize_article

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class NormalizePipeline:
    """Replaces each article with its normalized form; other items pass through untouched.

    Runs before validation (a headline of only whitespace is no headline) and before the store, so what is
    stored, exported to a feed and compared for changes is the same normalized article.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        doc = normalize_article(item.to_dict())
        doc["content_hash"] = content_hash(doc)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("newsmon/normalized/article")
        return ArticleItem.from_dict(doc)
