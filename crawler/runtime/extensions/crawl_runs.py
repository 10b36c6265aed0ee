"""Record every run of a spider in `crawl_runs`: when, what it was asked, what it did and why it stopped.

The record survives a signal at any moment of shutdown. Scrapy stops the reactor when a SIGTERM/SIGINT
arrives during the close (at once on the second signal, or once its own graceful stop returns on the first),
and the run's end, still in the store writer's queue or not even built while the last items are written,
would be lost with the process: the run stayed `running`. So a reactor "before shutdown" trigger checks
whether the end reached the store writer and the writer finished; if not, it writes the end itself, straight
to the database with a short timeout (or to the spool on disk, replayed at the next start), as `interrupted`
with the counts known then, unless the run's own end was already built.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pymongo
from pymongo.errors import PyMongoError
from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

from crawler.config import data_dir, option
from crawler.runtime.extensions import awaitable_handler
from crawler.store import schema
from crawler.store.connection import connect, redact_text
from crawler.store.runs import settle_dead_runs
from crawler.store.runtime import StoreRuntime
from crawler.store.spool import Spool

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

LAST_WORD_TIMEOUT = 15.0
"""Seconds the run's end may take to reach the database at a forced shutdown before it goes to the spool. The
embedded server applies one write command at a time, so the run's end waits behind the store's last batch (a
3,000-teaser close took 4 s): 3 s sent it to the spool, where it waited for the next crawl."""

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
        self.runtime = StoreRuntime.of(crawler)
        self.started_at = datetime.now(UTC)
        self._start: dict[str, Any] = {}
        self._reason: str | None = None
        self._end: dict[str, Any] | None = None
        """The run's end as handed to the store writer (None until the run's close has built it)."""
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
        self._start = {
            "_id": self.runtime.run_id,
            "spider": spider.name,
            "site": getattr(spider, "site", None),
            "args": _spider_args(spider),
            "started_at": self.started_at,
            "status": "running",
            "host": self.host,
            "pid": os.getpid(),
        }
        self.runtime.writer.put("crawl_run", dict(self._start))
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
        self._reason = reason
        flushed = self.runtime.flush()
        flushed.addCallback(lambda _: self.runtime.finish_changes())
        flushed.addCallback(lambda health: self._finish(reason, health))
        return flushed

    def _finish(self, reason: str, health: list[dict[str, Any]]) -> None:
        end = self._end_of_run(reason, health)
        if self.runtime.writer.closed:  # a signal stopped the engine, and the store, before the close was done
            self._write_last_word(end)
        else:
            self.runtime.writer.put("crawl_run", end)
        self._end = end

    def _end_of_run(self, reason: str, health: list[dict[str, Any]]) -> dict[str, Any]:
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
        return {
            "_id": self.runtime.run_id,
            "finished_at": datetime.now(UTC),
            "status": STATUS_BY_REASON.get(reason, "stopped"),
            "stop_reason": reason,
            "counts": counts,
            "http_status": status_codes,
            "store_errors": writer.errors[-10:],
            "health_alerts": health,
        }

    def _at_shutdown(self) -> None:
        """The reactor stops: unless the store writer has written the run's end and stopped, write it here."""
        if not self._start or (self._end is not None and self.runtime.writer.finished):
            return
        end = self._end
        if end is None:
            end = self._end_of_run("shutdown", [])
            end["stop_reason"] = f"{self._reason or 'shutdown'}: stopped by a signal before the run's end was recorded"
        logger.warning("Shutting down before the run's end was stored: writing it now (%s)", end["status"])
        self._write_last_word(end)

    def _write_last_word(self, end: dict[str, Any]) -> None:
        doc = {**self._start, **end}
        fields = {k: v for k, v in doc.items() if k != "_id"}
        client, db = connect(self.crawler.settings, self.runtime.uri)  # the store's own may be closed by now
        try:
            with pymongo.timeout(LAST_WORD_TIMEOUT):
                db[schema.CRAWL_RUNS].update_one({"_id": doc["_id"]}, {"$set": fields}, upsert=True)
            return
        except PyMongoError as exc:
            logger.warning(
                "The run's end goes to the spool: %s", redact_text(str(exc).split(", Timeout:")[0], self.runtime.uri)
            )
        finally:
            client.close()
        try:
            # bound to the store's destination, so the next crawl to that database replays it (crawler/store/spool.py)
            Spool(data_dir(self.crawler.settings) / "spool", self.runtime.destination).put("crawl_run", [doc])
        except OSError as exc:
            logger.error("The run's end could not be kept: %s", exc)


def _spider_args(spider: Spider) -> dict[str, str]:
    """The `-a` arguments of an ad-hoc run, as far as the spider kept them."""
    return {k: str(v) for k, v in getattr(spider, "run_args", {}).items()}
