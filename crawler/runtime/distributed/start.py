"""Spider middleware of distributed mode: a process that joined a run in progress does not seed it again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from scrapy.crawler import Crawler

from crawler.runtime.distributed.keys import STAT


class JoinedRunStart:
    """Drops the start requests of a worker that joined a run (`SharedScheduler.open` sets the stat).

    The run's starter seeded it (or `crawler.runtime.distributed.seed` did); a joining worker's start requests would be
    filtered as seen anyway, except for pages of its own arguments, and a worker started to work off pushed URLs
    must not crawl the whole site. The spider's `start()` is still run to its end: it prepares the spider (the
    revisit planner reads the stored articles there).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JoinedRunStart:
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        stats = self.crawler.stats
        assert stats is not None
        async for item_or_request in start:
            if stats.get_value(f"{STAT}joined"):
                stats.inc_value(f"{STAT}start_requests_skipped")
                continue
            yield item_or_request
