"""Record every run of a spider in `crawl_runs`: when, what it was asked, what it did and why it stopped.

The record survives a signal at any moment of shutdown. Scrapy stops the reactor when a SIGTERM/SIGINT
arrives during the close (at once on the second signal, or once its own graceful stop returns on the first),
and the run's end, still in the store writer's queue or not even built while the last items are written,
would be lost with the process: the run stayed `running`. So a reactor "before shutdown" trigger checks
whether the end reached the store writer and the writer finished; if not, it writes the end itself, straight
to the database with a short timeout (or to the spool on disk, replayed at the next start: `Store.run_end_now`),
as `interrupted` with the counts known then, unless the run's own end was already built.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from twisted.internet.defer import Deferred

from crawler.config import option
from crawler.runtime.extensions import awaitable_handler
from crawler.store.facade import Store

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
    "listings_cut": "newsmon/listing/pages_cut",
    "listing_links_cut": "newsmon/listing/links_cut",
}


class CrawlRunRecorder:
    """Writes the run document at start (status `running`) and completes it at the end.

    Settings: `NEWSMON_CRAWL_RUNS_ENABLED` (default True).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.host = socket.gethostname()
        self.store = Store.of(crawler)
        self.started_at = datetime.now(UTC)
        self._started = False
        self._reason: str | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        if not option(crawler.settings, "NEWSMON_CRAWL_RUNS_ENABLED"):
            raise NotConfigured
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        from twisted.internet import reactor

        reactor.addSystemEventTrigger("before", "shutdown", self._at_shutdown)
        self.store.run_started(
            {
                "spider": spider.name,
                "site": getattr(spider, "site", None),
                "args": _spider_args(spider),
                "started_at": self.started_at,
                "status": "running",
                "host": self.host,
                "pid": os.getpid(),
            }
        )
        self._started = True
        # Runs of this host left `running` by a process that is gone (SIGKILL, out of memory) are settled here,
        # not only by `newsmon schedule`, so an ad-hoc crawl killed by hand does not stay `running` forever.
        settling = self.store.settle_dead_runs(self.host)
        settling.addCallback(self._settled)
        settling.addErrback(
            lambda failure: logger.warning(
                "Could not settle dead runs: %s", self.store.redact(str(failure.value))[:300]
            )
        )

    def _not_settled(self, failure: Any) -> None:
        logger.warning("Could not settle dead runs: %s", self.store.redact(str(failure.value))[:300])

    @staticmethod
    def _settled(run_ids: list[str]) -> None:
        if run_ids:
            logger.info("Marked %d run(s) of dead processes as failed: %s", len(run_ids), ", ".join(run_ids))

    @awaitable_handler
    def spider_closed(self, spider: Spider, reason: str) -> Deferred:
        """Wait for the items to be written, so the run's counts include what the store did."""
        self._reason = reason
        flushed = self.store.flush()
        flushed.addCallback(lambda _: self.store.finish_changes())
        flushed.addCallback(lambda health: self.store.run_ended(self._end_of_run(reason, health)))
        return flushed

    def _end_of_run(self, reason: str, health: list[dict[str, Any]]) -> dict[str, Any]:
        """The crawl's side of the run's end; the store adds what it did (`Store.run_ended`)."""
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        prefix = "downloader/response_status_count/"
        return {
            "finished_at": datetime.now(UTC),
            "status": STATUS_BY_REASON.get(reason, "stopped"),
            "stop_reason": reason,
            "counts": {name: stats.get(key, 0) for name, key in STAT_COUNTS.items()},
            "http_status": {k.removeprefix(prefix): v for k, v in stats.items() if k.startswith(prefix)},
            "health_alerts": health,
        }

    def _at_shutdown(self) -> None:
        """The reactor stops: unless the store writer has written the run's end and stopped, write it here."""
        if not self._started or self.store.run_end_stored:
            return
        facts = None
        if not self.store.run_end_handed:
            facts = self._end_of_run("shutdown", [])
            facts["stop_reason"] = (
                f"{self._reason or 'shutdown'}: stopped by a signal before the run's end was recorded"
            )
        self.store.run_end_now(facts)


def _spider_args(spider: Spider) -> dict[str, str]:
    """The `-a` arguments of an ad-hoc run, as far as the spider kept them."""
    return {k: str(v) for k, v in getattr(spider, "run_args", {}).items()}
