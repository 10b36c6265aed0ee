"""The store's one front door for crawl components: they hand it items and run facts, it writes the collections.

The pipelines, the revisit planner, the run and health extensions and the distributed worker use `Store.of(crawler)`
and `enabled(crawler)`; only crawler/store builds documents (`documents`) and writes them (the batch writer and its
savers, see docs/reliability.md). A test keeps it so (tests/test_store_front_door.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scrapy.settings import BaseSettings
from scrapy.utils.conf import build_component_list
from twisted.internet.threads import deferToThread

from crawler.store.connection import redact_text
from crawler.store.documents import NotModified, item_doc, revisit_doc, run_end_doc, teaser_doc
from crawler.store.revisit import load_known
from crawler.store.runs import settle_dead_runs, write_run_now
from crawler.store.runtime import StoreRuntime

if TYPE_CHECKING:
    from pymongo.database import Database
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

    from crawler.changes.alerts import Alerter
    from crawler.model.items import ArticleItem, RejectItem
    from crawler.model.teasers import TeaserRecord

logger = logging.getLogger(__name__)

STORE_PIPELINE = "crawler.pipelines.store.StorePipeline"
"""The pipeline that hands a crawl's items to the store: a crawl without it stores nothing."""
_ATTR = "_newsmon_store"
QUEUED = "newsmon/store/queued/"


def enabled(source: Crawler | BaseSettings) -> bool:
    """Whether a crawl stores: its `ITEM_PIPELINES` hold the store pipeline."""
    settings = source if isinstance(source, BaseSettings) else source.settings
    pipelines = build_component_list(settings.getwithbase("ITEM_PIPELINES"))
    return any(_path(p) == STORE_PIPELINE for p in pipelines)


class Store:
    """One per crawler, opened on first use; its connection and writer close when the engine stops."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._runtime = StoreRuntime.of(crawler)
        self._teaser_flushes = 0
        self._teasers_written: set[str] = set()
        """Articles whose teasers were written in this run, so `runs` counts the run once after an early flush."""
        self._run_start: dict[str, Any] = {}
        self._run_end: dict[str, Any] | None = None
        """The run's end as handed to the writer (None until the run's close has built it)."""

    @classmethod
    def of(cls, crawler: Crawler) -> Store:
        store = cls.opened(crawler)
        if store is None:
            store = cls(crawler)
            setattr(crawler, _ATTR, store)
        return store

    @staticmethod
    def opened(crawler: Crawler) -> Store | None:
        """The crawler's store if some component opened it, without opening it."""
        return getattr(crawler, _ATTR, None)

    @property
    def run_id(self) -> str:
        return self._runtime.run_id

    @property
    def db(self) -> Database:
        """For reads a crawl needs (stored articles, recent runs); writes go through the methods below."""
        return self._runtime.db

    @property
    def alerter(self) -> Alerter | None:
        return self._runtime.recorder.alerter

    def redact(self, text: str) -> str:
        """An error's text without the credentials of `MONGO_URI`."""
        return redact_text(text, self._runtime.uri)

    # -- items -----------------------------------------------------------------------------------------------------
    def save(self, item: ArticleItem | RejectItem) -> None:
        """Queue an article (new version or not, decided at write time) or a reject; returns at once."""
        kind, doc = item_doc(item, self.run_id)
        self._put(kind, doc)
        self._stat(QUEUED + kind)

    def record_teasers(self, records: list[TeaserRecord]) -> None:
        """Queue a flush of the run's teaser records (one per article), merged into the stored teasers once."""
        if not records:
            return
        self._teaser_flushes += 1
        flush_id = f"{self.run_id}:{self._teaser_flushes}"
        for record in records:
            new_run = record.article_id not in self._teasers_written
            self._teasers_written.add(record.article_id)
            self._put("teaser", teaser_doc(record, flush_id, self.run_id, new_run))
        self._stat(QUEUED + "teaser", len(records))

    def record_not_modified(self, check: NotModified) -> None:
        """A stored article answered `304 Not Modified`: its fetch time, next visit and validators move on."""
        self._put("revisit", revisit_doc(check))

    # -- run facts -------------------------------------------------------------------------------------------------
    def run_started(self, facts: dict[str, Any]) -> None:
        """The run's document at its start (spider, site, args, started_at, status `running`, host, pid)."""
        self._run_start = {"_id": self.run_id, **facts}
        self._put("crawl_run", dict(self._run_start))

    def run_ended(self, facts: dict[str, Any]) -> None:
        """The run's end: the crawl's facts (status, stop reason, counts, ...) and what the store did."""
        end = self._end_document(facts)
        if self._runtime.writer.closed:  # a signal stopped the engine, and the store, before the close was done
            self._write_run_now(end)
        else:
            self._put("crawl_run", end)
        self._run_end = end

    def run_health(self, health: dict[str, Any]) -> None:
        self._put("crawl_run", {"_id": self.run_id, "health": health})

    @property
    def run_end_stored(self) -> bool:
        """The run's end was handed to the writer and the writer has written (or spooled) it and stopped."""
        return self._run_end is not None and self._runtime.writer.finished

    @property
    def run_end_handed(self) -> bool:
        return self._run_end is not None

    def run_end_now(self, facts: dict[str, Any] | None = None) -> None:
        """At a forced shutdown: write the run's end past the writer, the one handed over or else one of `facts`."""
        end = self._run_end if self._run_end is not None else self._end_document(facts or {})
        logger.warning("Shutting down before the run's end was stored: writing it now (%s)", end.get("status"))
        self._write_run_now(end)

    def settle_dead_runs(self, host: str) -> Deferred:
        """Runs of this host left `running` by a process that is gone are marked failed (off the reactor)."""
        return deferToThread(settle_dead_runs, self.db, host)

    def counts(self) -> dict[str, int]:
        """What the store did so far (`new_articles`, `new_versions`, `unchanged`, `not_modified`, ...)."""
        return dict(self._runtime.writer.stats.counts)

    @property
    def changes_written(self) -> int:
        return self._runtime.recorder.written

    # -- flow ------------------------------------------------------------------------------------------------------
    def flush(self) -> Deferred:
        """Write everything queued so far, off the reactor thread."""
        return self._runtime.flush()

    def finish_changes(self) -> Deferred:
        """At the run's end, after a flush: decide held presence flips (drift); fires with the health alerts."""
        return self._runtime.finish_changes()

    def known_articles(self, site: str) -> Deferred:
        """The site's stored articles by id and their URLs (`crawler.store.revisit.load_known`), off the reactor."""
        return self.read(load_known, site)

    def read(self, query: Callable[..., Any], *args: Any, **kwargs: Any) -> Deferred:
        """Run `query(db, *args, **kwargs)` off the reactor thread: a read a crawl needs."""
        return deferToThread(query, self.db, *args, **kwargs)

    # -- inside ----------------------------------------------------------------------------------------------------
    def _put(self, kind: str, doc: dict[str, Any]) -> None:
        self._runtime.writer.put(kind, doc)

    def _end_document(self, facts: dict[str, Any]) -> dict[str, Any]:
        recorder = self._runtime.recorder
        return run_end_doc(self.run_id, facts, self._runtime.writer.stats, recorder.written, recorder.suppressed)

    def _write_run_now(self, end: dict[str, Any]) -> None:
        runtime = self._runtime
        write_run_now(self.crawler.settings, runtime.uri, runtime.destination, {**self._run_start, **end})

    def _stat(self, name: str, n: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(name, n)


def _path(component: Any) -> str:
    return component if isinstance(component, str) else f"{component.__module__}.{component.__qualname__}"
