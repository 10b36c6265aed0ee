"""Progress of a long run: a periodic stats line in the log, and a live line on a terminal.

The log line (every `NEWSMON_PROGRESS_INTERVAL` seconds, default 60; 0: none) adds newsmon's counts to what
Scrapy's LogStats says: articles, new articles and versions, changes, rejects, pages answered `304`, known
articles skipped as not due, requests waiting. The live line (`NEWSMON_PROGRESS_LIVE`: `auto` = only when stderr
is a terminal, `on`, `off`) rewrites one line on stderr twice a second; log records printed to the same terminal
clear it first, so the two never garble each other. Scheduled runs write to a log file: no live line there.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.log import get_scrapy_root_handler

from crawler.config import option

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

LIVE_MODES = ("auto", "on", "off")
LIVE_SECONDS = 0.5
CLEAR = "\r\x1b[K"


class Progress:
    def __init__(self, crawler: Crawler, interval: float, live: bool, stream: TextIO | None = None) -> None:
        self.crawler = crawler
        self.interval = interval
        self.live = live
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self._tasks: list[Any] = []
        self._shown = False
        self._filter: _ClearLine | None = None
        self._last_pages = 0
        self._last_at = self.started
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = option(crawler.settings, "NEWSMON_PROGRESS_INTERVAL")
        mode = str(option(crawler.settings, "NEWSMON_PROGRESS_LIVE")).strip().lower()
        if mode not in LIVE_MODES:
            raise ValueError(f"NEWSMON_PROGRESS_LIVE={mode!r}: use one of {', '.join(LIVE_MODES)}")
        live = mode == "on" or (mode == "auto" and _is_terminal(sys.stderr))
        if interval <= 0 and not live:
            raise NotConfigured
        return cls(crawler, interval, live)

    # -- what it says ----------------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        writer = _writer_counts(self.crawler)
        return {
            "pages": stats.get("response_received_count", 0),
            "articles": stats.get("newsmon/store/queued/article", 0),
            "new_articles": writer.get("new_articles", 0),
            "new_versions": writer.get("new_versions", 0),
            "changes": writer.get("changes", 0),
            "rejects": stats.get("newsmon/store/queued/reject", 0),
            "not_modified": stats.get("newsmon/revisit/not_modified", 0) + stats.get("httpcache/revalidate", 0),
            "not_due": stats.get("newsmon/revisit/skip/not_due", 0),
            "waiting": max(0, stats.get("scheduler/enqueued", 0) - stats.get("scheduler/dequeued", 0)),
        }

    def line(self, counts: dict[str, int] | None = None) -> str:
        c = counts or self.counts()
        elapsed = time.monotonic() - self.started
        return (
            f"{_clock(elapsed)} {c['pages']} pages, {c['articles']} articles "
            f"({c['new_articles']} new, {c['new_versions']} new versions, {c['changes']} changes), "
            f"{c['rejects']} rejects, {c['not_modified']} not modified, {c['not_due']} not due, "
            f"{c['waiting']} waiting"
        )

    # -- when ------------------------------------------------------------------------------------------------------
    def spider_opened(self, spider: Spider) -> None:
        if self.interval > 0:
            task = create_looping_call(self.log)
            task.start(self.interval, now=False)
            self._tasks.append(task)
        if self.live:
            handler = get_scrapy_root_handler()
            if handler is not None and getattr(handler, "stream", None) is self.stream:
                self._filter = _ClearLine(self)
                handler.addFilter(self._filter)
            task = create_looping_call(self.show)
            task.start(LIVE_SECONDS, now=True)
            self._tasks.append(task)

    def log(self) -> None:
        counts = self.counts()
        now = time.monotonic()
        rate = (counts["pages"] - self._last_pages) * 60.0 / max(now - self._last_at, 1e-6)
        self._last_pages, self._last_at = counts["pages"], now
        logger.info("Progress: %s (%.0f pages/min)", self.line(counts), rate)

    def show(self) -> None:
        width = shutil.get_terminal_size((120, 20)).columns - 1
        self.stream.write(CLEAR + self.line()[:width])
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.stream.write(CLEAR)
            self.stream.flush()
            self._shown = False

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for task in self._tasks:
            if task.running:
                task.stop()
        if self.live:
            self.clear()
            self.stream.write(f"{self.line()} [{reason}]\n")
            self.stream.flush()
            handler = get_scrapy_root_handler()
            if handler is not None and self._filter is not None:
                handler.removeFilter(self._filter)


class _ClearLine(logging.Filter):
    """Clears the live line before a log record is written to the same terminal; the next tick redraws it."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress

    def filter(self, record: logging.LogRecord) -> bool:
        self.progress.clear()
        return True


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _writer_counts(crawler: Crawler) -> dict[str, int]:
    """The store writer's counts, if this crawl stores (the writer updates them from its thread)."""
    from crawler.store.facade import Store

    store = Store.opened(crawler)
    if store is None:
        return {}
    return {**store.counts(), "changes": store.changes_written}
