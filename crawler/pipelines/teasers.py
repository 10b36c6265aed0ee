"""Teaser dedupe: one observation per teaser per page, one store write per teased article per run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

from crawler.config import option
from crawler.model.canonical import canonical_url
from crawler.model.identity import article_id
from crawler.model.items import TeaserItem
from crawler.model.teasers import TeaserBook, normalize_teaser
from crawler.store.facade import Store

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

BUFFER_SETTING = "NEWSMON_TEASER_BUFFER"


class TeaserPipeline:
    """Folds the run's teasers per article (see `crawler.model.teasers`) and hands them to the store at the end.

    A teaser repeated on the same page is dropped (logged at DEBUG); every other teaser passes on, so a feed
    export (`-O teasers.jsonl`) holds each placement once. Memory is bounded by `NEWSMON_TEASER_BUFFER`
    articles: past it the records gathered so far are written early (an article then gets a second write
    in that run, which merges like any other; the store counts the run once and makes each write idempotent).
    """

    def __init__(self, crawler: Crawler, buffer: int) -> None:
        self.crawler = crawler
        self.buffer = buffer
        self.book = TeaserBook()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TeaserPipeline:
        return cls(crawler, option(crawler.settings, BUFFER_SETTING))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, TeaserItem):
            return item
        doc = normalize_teaser(item.to_dict())
        doc["url"], doc["page_url"] = canonical_url(doc["url"]), canonical_url(doc["page_url"])
        aid = article_id(doc["site"], doc.get("publisher_id"), doc["url"])
        stats = self.crawler.stats
        assert stats is not None
        if not self.book.observe(aid, doc):
            stats.inc_value("newsmon/teasers/repeated_on_page")
            raise DropItem(f"teaser of {aid} repeated on {doc['page_url']}", log_level="DEBUG")
        stats.inc_value("newsmon/teasers/observed")
        if len(self.book) >= self.buffer:
            self._flush()
        return TeaserItem(**doc)

    def close_spider(self) -> None:
        self._flush()

    def _flush(self) -> None:
        records = self.book.take()
        if records:
            Store.of(self.crawler).record_teasers(records)
