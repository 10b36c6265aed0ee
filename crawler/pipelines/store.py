"""The last pipeline: hand each item to the store's batch writer (which never blocks the reactor)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawler.model.items import ArticleItem, RejectItem, TeaserItem
from crawler.store.runtime import StoreRuntime

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

KINDS: dict[type, str] = {ArticleItem: "article", RejectItem: "reject"}


class StorePipeline:
    """Queues articles and rejects for batched writes; tags each with the run id."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.runtime = StoreRuntime.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, TeaserItem):
            return item  # written once per article per run by the TeaserPipeline
        kind = KINDS.get(type(item))
        if kind is None:
            raise TypeError(f"StorePipeline cannot store {type(item).__name__}")
        doc = item.to_dict()  # dataclasses.asdict: the same dict as ItemAdapter's, a fifth of its CPU
        doc["run_id"] = self.runtime.run_id
        self.runtime.writer.put(kind, doc)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newsmon/store/queued/{kind}")
        return item
