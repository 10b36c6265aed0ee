"""The last pipeline: hand each article and reject to the store, which writes them in batches off the reactor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawler.model.items import TeaserItem
from crawler.store.facade import Store

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class StorePipeline:
    """Articles and rejects to the store (`crawler.store.facade.Store`); teasers pass, the TeaserPipeline has them.

    Its presence in `ITEM_PIPELINES` is what `crawler.store.facade.enabled` asks: whether a crawl stores.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.store = Store.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, TeaserItem):
            return item  # written once per article per run by the TeaserPipeline
        self.store.save(item)
        return item
