"""`CrawlHealth`: at the end of every run, its health figures, compared with the site's recent runs, recorded in
`crawl_runs.health` and alerted through the change alerts' sinks.

Settings: `NEWSMON_HEALTH_ENABLED` (True), `NEWSMON_HEALTH_HISTORY_RUNS` (10), and the thresholds of
`crawler.runtime.health.baseline.Thresholds` (`NEWSMON_HEALTH_COVERAGE_DROP`, `NEWSMON_HEALTH_MAX_ERROR_RATE`,
`NEWSMON_HEALTH_STALE_HOURS`, `NEWSMON_HEALTH_MIN_ARTICLES`); spidermon's `SPIDERMON_*` for its monitors.

`crawl_runs.health` (one document per run; the web page and `newsmon health` read it):

    {status: "ok" | "alert", site, checked_at,
     metrics: {articles, coverage: {kicker: 0.8, headline: 1.0, ...}, rejects, reject_rate,
               rejects_by_reason: [{reason, count}], http: {requests, responses, errors, exceptions, error_rate,
               statuses}, pages_per_minute, minutes, new_articles, new_versions},
     baseline: {runs, coverage: {...}, error_rate, reject_rate, pages_per_minute},
     monitors: [{monitor, status, message}],
     alerts: [{type: "health", kind, site, message, ongoing, ...}],
     sent: 2,
     discovery: {missing: [{url, status, since}]}}

`alerts` are the run's conditions; only those that start (not `ongoing`: the run before did not have them) and
the previous run's conditions that ended are sent (`sent`), so a persistent condition alerts when it starts and
when it ends. `discovery.missing` are configured section pages, feeds and sitemaps that answered 404/410: a
finding about the site's configuration, not a rejected page and not an alert.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pymongo.errors import PyMongoError
from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from twisted.internet.threads import deferToThread

from crawler.changes.alerts import build_alerter
from crawler.config import option
from crawler.model.items import ArticleItem, RejectItem
from crawler.runtime.extensions import awaitable_handler
from crawler.runtime.health.baseline import Thresholds, compare, missing_since, transitions
from crawler.runtime.health.coverage import Coverage
from crawler.runtime.health.history import recent_runs
from crawler.runtime.health.metrics import run_metrics
from crawler.store.facade import Store

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

logger = logging.getLogger("newsmon.health")


class CrawlHealth:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.history_runs = option(settings, "NEWSMON_HEALTH_HISTORY_RUNS")
        self.thresholds = Thresholds(
            coverage_drop=option(settings, "NEWSMON_HEALTH_COVERAGE_DROP"),
            max_error_rate=option(settings, "NEWSMON_HEALTH_MAX_ERROR_RATE"),
            stale_hours=option(settings, "NEWSMON_HEALTH_STALE_HOURS"),
            min_articles=option(settings, "NEWSMON_HEALTH_MIN_ARTICLES"),
        )
        self.coverage = Coverage()
        self.rejects: Counter[str] = Counter()
        self.started = datetime.now(UTC)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlHealth:
        if not option(crawler.settings, "NEWSMON_HEALTH_ENABLED"):
            raise NotConfigured
        return cls(crawler)

    def item_scraped(self, item: Any) -> None:
        if isinstance(item, ArticleItem):
            self.coverage.observe(vars(item))  # read only: no copy of the article per item on the reactor thread
        elif isinstance(item, RejectItem):
            self.rejects[item.reason.split(" (")[0][:120]] += 1

    @awaitable_handler
    def spider_closed(self, spider: Spider, reason: str) -> Deferred:
        """After the store has written the run's items: figures, history, comparison, monitors, record, alert."""
        store = Store.of(self.crawler)
        finished = datetime.now(UTC)
        done = store.flush()
        done.addCallback(lambda _: deferToThread(self._history, store, spider))
        done.addCallback(lambda history: self._check(store, spider, finished, history))
        done.addErrback(self._failed)
        return done

    def _history(self, store: Store, spider: Spider) -> list[dict[str, Any]]:
        try:
            return recent_runs(store.db, spider.site, exclude=store.run_id, limit=self.history_runs)
        except PyMongoError as exc:
            logger.warning("Health: the site's recent runs could not be read: %s", store.redact(str(exc))[:200])
            return []

    def _check(self, store: Store, spider: Spider, finished: datetime, history: list[dict[str, Any]]) -> None:
        from crawler.runtime.health.monitors import run_close_suite  # spidermon is only imported when a run ends

        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        metrics = run_metrics(stats, self.coverage, self.rejects, self.started, finished, store.counts())
        base, alerts = compare(spider.site, metrics, history, self.thresholds, now=finished)
        previous = (history[0].get("health") or {}) if history else {}
        missing = missing_since(
            getattr(spider, "discovery_missing", {}),
            (previous.get("discovery") or {}).get("missing") or [],
            finished,
        )
        health: dict[str, Any] = {"site": spider.site, "metrics": metrics, "baseline": base, "alerts": alerts}
        health["discovery"] = {"missing": missing}
        if missing:
            logger.info(
                "Discovery of %s: %d configured page(s) not on the site (404/410): %s",
                spider.site,
                len(missing),
                ", ".join(m["url"] for m in missing[:10]),
            )
        if metrics["http"]["robots_forbidden"]:
            logger.info(
                "robots.txt of %s forbids %d page(s): not fetched, as the site asks",
                spider.site,
                metrics["http"]["robots_forbidden"],
            )
        health["monitors"] = run_close_suite(self.crawler, spider, stats, health)
        for failed in health["monitors"]:
            if failed["status"] != "OK" and failed["monitor"].split("/")[0] != "Site history":
                alerts.append(
                    {
                        "type": "health",
                        "kind": "monitor",
                        "site": spider.site,
                        "monitor": failed["monitor"],
                        "message": f"{spider.site}: {failed['monitor']}: {failed['message']}",
                    }
                )
        unmeasured = frozenset({"field_gone"} if metrics["articles"] < self.thresholds.min_articles else ())
        send, health["alerts"] = transitions(spider.site, alerts, previous.get("alerts") or [], unmeasured)
        health.update(status="alert" if health["alerts"] else "ok", checked_at=datetime.now(UTC), sent=len(send))
        store.run_health(health)
        alerter = store.alerter or build_alerter(self.crawler.settings)
        for alert in send:
            alerter.health(alert)
        if self.crawler.stats:
            self.crawler.stats.set_value("newsmon/health/alerts", len(send))
        logger.info(
            "Health of %s: %s (%d articles, %d unchanged, error rate %.0f%%, %.0f pages/min, %d alert(s) sent)",
            spider.site,
            health["status"],
            metrics["articles"],
            metrics["not_modified"],
            metrics["http"]["error_rate"] * 100,
            metrics["pages_per_minute"],
            len(send),
        )

    @staticmethod
    def _failed(failure: Any) -> None:
        logger.error("Health check failed: %s", failure.getErrorMessage())
