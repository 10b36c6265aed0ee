"""Record every run of a spider in `crawl_runs`: when, what it was asked, what it did and why it stopped."""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

from crawler.extensions import awaitable_handler
from crawler.store.connection import redact_text
from crawler.store.runs import settle_dead_runs
from crawler.store.runtime import StoreRuntime

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

STATUS_BY_REASON = {"finished": "finished", "shutdown": "interrupted", "cancelled": "interrupted"}

STAT_COUNTS = {
    "requests": "downloader/request_count",
    "responses": "downloader/response_count",
    "bytes": "downloader/response_bytes",
    "items": "item_scraped_count",
    "articles": "newsmon/store/queued/article",
    "teasers": "newsmon/store/queued/teaser",
    "rejects": "newsmon/store/queued/reject",
    "errors": "log_count/ERROR",
    "retries": "retry/count",
    "robots_forbidden": "robotstxt/forbidden",
}


class CrawlRunRecorder:
    """Writes the run document at start (status `running`) and completes it at the end.

    Settings: `NEWSMON_CRAWL_RUNS_ENABLED` (default True).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.host = socket.gethostname()
        self.runtime = StoreRuntime.of(crawler)
        self.started_at = datetime.now(UTC)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        if not crawler.settings.getbool("NEWSMON_CRAWL_RUNS_ENABLED", True):
            raise NotConfigured
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        self.runtime.writer.put(
            "crawl_run",
            {
                "_id": self.runtime.run_id,
                "spider": spider.name,
                "site": getattr(spider, "site", None),
                "args": _spider_args(spider),
                "started_at": self.started_at,
                "status": "running",
                "host": self.host,
                "pid": os.getpid(),
            },
        )
        # Runs of this host left `running` by a process that is gone (SIGKILL, out of memory) are settled here,
        # not only by `newsmon schedule`, so an ad-hoc crawl killed by hand does not stay `running` forever.
        settling = deferToThread(settle_dead_runs, self.runtime.db, self.host)
        settling.addCallback(self._settled)
        settling.addErrback(
            lambda failure: logger.warning(
                "Could not settle dead runs: %s", redact_text(str(failure.value), self.runtime.uri)[:300]
            )
        )

    @staticmethod
    def _settled(run_ids: list[str]) -> None:
        if run_ids:
            logger.info("Marked %d run(s) of dead processes as failed: %s", len(run_ids), ", ".join(run_ids))

    @awaitable_handler
    def spider_closed(self, spider: Spider, reason: str) -> Deferred:
        """Wait for the items to be written, so the run's counts include what the store did."""
        flushed = self.runtime.flush()
        flushed.addCallback(lambda _: self.runtime.finish_changes())
        flushed.addCallback(lambda health: self._finish(reason, health))
        return flushed

    def _finish(self, reason: str, health: list[dict[str, Any]]) -> None:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        writer = self.runtime.writer.stats
        counts: dict[str, Any] = {name: stats.get(key, 0) for name, key in STAT_COUNTS.items()}
        counts.update(
            {
                "stored": dict(writer.written),
                "new_articles": writer.counts.get("new_articles", 0),
                "new_versions": writer.counts.get("new_versions", 0),
                "unchanged": writer.counts.get("unchanged", 0),
                "changes": self.runtime.recorder.written,
                "suppressed_changes": self.runtime.recorder.suppressed,
                "store_rejected": writer.rejected,
                "spooled": writer.spooled,
            }
        )
        prefix = "downloader/response_status_count/"
        status_codes = {k.removeprefix(prefix): v for k, v in stats.items() if k.startswith(prefix)}
        self.runtime.writer.put(
            "crawl_run",
            {
                "_id": self.runtime.run_id,
                "finished_at": datetime.now(UTC),
                "status": STATUS_BY_REASON.get(reason, "stopped"),
                "stop_reason": reason,
                "counts": counts,
                "http_status": status_codes,
                "store_errors": writer.errors[-10:],
                "health_alerts": health,
            },
        )


def _spider_args(spider: Spider) -> dict[str, str]:
    """The `-a` arguments of an ad-hoc run, as far as the spider kept them."""
    return {k: str(v) for k, v in getattr(spider, "run_args", {}).items()}
