"""The close-of-run checks, as a spidermon suite: spidermon's own monitors where they fit, plus one monitor that
turns the baseline comparison (`crawler.runtime.health.baseline`) into failures.

Used from spidermon: `FinishReasonMonitor` (the run ended as `finished`: not killed, not stopped by an error)
and `UnwantedHTTPCodesMonitor` (`SPIDERMON_UNWANTED_HTTP_CODES`). Not from spidermon: `PagesReadMonitor`
(`SPIDERMON_MIN_ITEMS`: a run whose browser or handler failed exits 0 with no page read; pages answered 304
count as read), and the comparison with the site's recent runs; spidermon's only monitor of that kind
(`ZyteJobsComparisonMonitor`) reads jobs from Zyte's cloud, and its
field-coverage monitor checks fixed per-field floors, where newsmon needs each site's own usual share.

The suite is run by `crawler.runtime.health.extension.CrawlHealth` after the store has flushed and the history is read,
not by spidermon's Scrapy extension (which runs its close suites at once, before either).
"""

from __future__ import annotations

import logging
from typing import Any

from spidermon import Monitor, MonitorSuite, monitors
from spidermon.contrib.scrapy.monitors import FinishReasonMonitor, UnwantedHTTPCodesMonitor
from spidermon.contrib.scrapy.runners import SpiderMonitorResult
from spidermon.runners import MonitorRunner

logger = logging.getLogger("newsmon.health")

UNWANTED_HTTP_CODES: dict[int, dict[str, float]] = {
    code: {"max_percentage": 0.1} for code in (403, 429, 500, 502, 503, 504)
}
"""Default of `SPIDERMON_UNWANTED_HTTP_CODES`: more than 10 % of requests answered so is a failure."""


@monitors.name("Site history")
class SiteHistoryMonitor(Monitor):
    """The run compared with the site's recent runs (NEWSMON_HEALTH_*): one test per kind of drop."""

    def _none_of(self, kind: str) -> None:
        found = [a["message"] for a in self.data["health"]["alerts"] if a["kind"] == kind]
        if found:
            self.fail("; ".join(found))

    @monitors.name("No field went missing")
    def test_field_coverage(self) -> None:
        self._none_of("field_gone")

    @monitors.name("HTTP errors not up")
    def test_errors(self) -> None:
        self._none_of("errors_up")

    @monitors.name("Rejects not up")
    def test_rejects(self) -> None:
        self._none_of("rejects_up")

    @monitors.name("Something new lately")
    def test_news(self) -> None:
        self._none_of("nothing_new")


@monitors.name("Pages read")
class PagesReadMonitor(Monitor):
    """At least `SPIDERMON_MIN_ITEMS` pages read: articles stored or checked unchanged (a 304 is a page that
    answered fine). Replaces spidermon's `ItemCountMonitor`, which counts items only (an unchanged re-crawl
    has none) and, when no item was scraped, fails with "Unable to find 'item_scraped_count' in job stats"."""

    @monitors.name("Enough pages read")
    def test_pages_read(self) -> None:
        metrics = self.data["health"]["metrics"]
        least = self.data.crawler.settings.getint("SPIDERMON_MIN_ITEMS", 1)
        read = metrics.get("articles", 0) + metrics.get("not_modified", 0)
        if read < least:
            forbidden = metrics.get("http", {}).get("robots_forbidden", 0)
            self.fail(
                f"{read} article page(s) read (stored or unchanged), at least {least} expected; "
                f"{metrics.get('rejects', 0)} could not be read"
                + (f"; robots.txt forbids {forbidden}" if forbidden else "")
            )


class CloseSuite(MonitorSuite):
    monitors = [FinishReasonMonitor, PagesReadMonitor, UnwantedHTTPCodesMonitor, SiteHistoryMonitor]  # noqa: RUF012


class _LoggedResult(SpiderMonitorResult):
    """spidermon's result, logging through `newsmon.health` (its own goes through the deprecated `Spider.log`).

    Its report (some 25 lines) is held back: replayed when a monitor fails, one line when all passed."""

    def __init__(self, spider: Any) -> None:
        super().__init__(spider)
        self.lines: list[tuple[int, str]] = []

    def log(self, msg: str, level: int = logging.DEBUG) -> None:
        self.lines.append((level, msg))

    def report(self, outcomes: list[dict[str, Any]]) -> None:
        failed = [o["monitor"] for o in outcomes if o["status"] != "OK"]
        if not failed:
            logger.info("[Spidermon] all %d monitors passed", len(outcomes))
            return
        for level, msg in self.lines:
            logger.log(level, "[Spidermon] %s", msg)


class _Runner(MonitorRunner):
    def __init__(self, spider: Any) -> None:
        super().__init__()
        self.spider = spider

    def create_result(self) -> SpiderMonitorResult:
        return _LoggedResult(self.spider)


def run_close_suite(crawler: Any, spider: Any, stats: dict[str, Any], health: dict[str, Any]) -> list[dict[str, Any]]:
    """Run the suite; one `{"monitor", "status", "message"}` per monitor test."""
    runner = _Runner(spider)
    result = runner.run(CloseSuite(crawler=crawler), stats=stats, crawler=crawler, spider=spider, health=health)
    assert isinstance(result, _LoggedResult)
    outcomes = []
    for item in result.monitor_results:
        message = str(item.error or "").strip().splitlines()
        outcomes.append(
            {
                "monitor": item.item.name,
                "status": str(item.status),
                "message": message[-1].removeprefix("AssertionError: ") if message else None,
            }
        )
    result.report(outcomes)
    return outcomes
