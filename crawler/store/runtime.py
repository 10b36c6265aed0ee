"""One store connection, batch writer and change stage per crawler, behind the store's front door
(`crawler.store.facade.Store`): crawl components use that, not this."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pymongo.errors import PyMongoError
from scrapy import signals
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.changes.alerts import build_alerter
from crawler.changes.detector import ChangeDetector
from crawler.config import data_dir
from crawler.store.change_recorder import ChangeRecorder
from crawler.store.connection import connect, destination, redact_text, redact_uri, resolve_uri
from crawler.store.savers import default_savers
from crawler.store.spool import Spool, waiting
from crawler.store.writer import BatchWriter

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

_ATTR = "_newsmon_store_runtime"


class StoreRuntime:
    """Opened with the crawler's `Store`; closed when its engine stops."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.uri = resolve_uri(settings)
        self.client, self.db = connect(settings, self.uri)
        self.run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
        self.recorder = ChangeRecorder(ChangeDetector.from_settings(settings), build_alerter(settings))
        self.destination = spool_destination(settings, self.uri, self.db.name)
        spool_root = data_dir(settings) / "spool"
        for other in waiting(spool_root):
            if other.destination != self.destination:
                logger.warning(
                    "%d spooled document(s) wait on disk for %s, not this run's %s: they are written only there (%s)",
                    other.documents,
                    other.destination or "an unrecorded destination",
                    self.destination,
                    other.directory,
                )
        self.writer = BatchWriter(
            self.db,
            Spool(spool_root, self.destination),
            uri=self.uri,
            batch_size=settings.getint("NEWSMON_STORE_BATCH_SIZE"),
            flush_seconds=settings.getfloat("NEWSMON_STORE_FLUSH_SECONDS"),
            retries=settings.getint("NEWSMON_STORE_RETRIES"),
            backoff=settings.getfloat("NEWSMON_STORE_RETRY_BACKOFF"),
            savers=default_savers(self.recorder),
        )
        self.writer.start()
        crawler.signals.connect(self._engine_stopped, signal=signals.engine_stopped)
        logger.info("Storing to %s (database %s), run %s", redact_uri(self.uri), self.db.name, self.run_id)

    @classmethod
    def of(cls, crawler: Crawler) -> StoreRuntime:
        runtime = getattr(crawler, _ATTR, None)
        if runtime is None:
            runtime = cls(crawler)
            setattr(crawler, _ATTR, runtime)
        return runtime

    def flush(self) -> Deferred:
        """Write everything queued so far, off the reactor thread."""
        return deferToThread(self.writer.flush)

    def finish_changes(self) -> Deferred:
        """At the run's end, after a flush: decide held presence flips (drift), off the reactor thread."""
        return deferToThread(self._finish_changes)

    def _finish_changes(self) -> list[dict[str, Any]]:
        try:
            return self.recorder.finish(self.db)
        except PyMongoError as exc:
            logger.error(
                "Could not write the run's held changes (%d presence flips): %s",
                self.recorder.detector.held,
                redact_text(str(exc).split(", Timeout:")[0], self.uri)[:300],
            )
            return []

    async def _engine_stopped(self) -> None:
        await maybe_deferred_to_future(deferToThread(self._close))

    def _close(self) -> None:
        stats = self.writer.close()
        self.recorder.close()
        self.client.close()
        logger.info(
            "Store closed: written %s, rejected %d, spooled %d, replayed %d",
            dict(stats.written),
            stats.rejected,
            stats.spooled,
            stats.replayed,
        )


def spool_destination(settings: Any, uri: str, db_name: str) -> str:
    """The destination a crawl's spooled batches are bound to: `host:port/db` of `MONGO_URI`, or the embedded
    server of the data dir (its port changes between starts, so it is named by role)."""
    return destination(uri, db_name) if settings.get("MONGO_URI") else f"embedded/{db_name}"
