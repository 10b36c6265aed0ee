"""Every line of a crawl's log is safe to show on a terminal: scraped text cannot send escape sequences."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy import signals

from crawler.model.terminal import make_handlers_safe

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class SafeLog:
    """Wraps the root log handlers' formatters in :class:`crawler.model.terminal.SafeFormatter`.

    A headline quoted by an alert, an error message carrying a page's text, a URL: whatever a log line holds
    is stripped of control characters and bidi overrides on its way to the terminal or the log file. Done again
    at engine start because Scrapy replaces its root handler after building the extensions.
    """

    def __init__(self, crawler: Crawler) -> None:
        make_handlers_safe()
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SafeLog:
        return cls(crawler)

    def engine_started(self) -> None:
        make_handlers_safe()
