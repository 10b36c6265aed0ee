"""Crawl health, offline: field coverage, run figures, the comparison with a site's recent runs, the spidermon suite."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler

from crawler import settings
from crawler.runtime.health.baseline import Thresholds, compare, missing_since, transitions
from crawler.runtime.health.coverage import Coverage, present
from crawler.runtime.health.metrics import http_figures, run_metrics
from crawler.runtime.health.monitors import run_close_suite

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
FULL = {"kicker": 0.8, "headline": 1.0, "lead": 1.0, "authors": 0.9, "date": 1.0, "body": 1.0, "images": 0.7}


def metrics(**changes) -> dict:
    figures = {
        "articles": 40,
        "coverage": dict(FULL),
        "reject_rate": 0.0,
        "http": {"error_rate": 0.01},
        "pages_per_minute": 300.0,
        "new_articles": 3,
        "new_versions": 2,
    }
    for key, value in changes.items():
        if key in FULL:
            figures["coverage"][key] = value
        elif key == "error_rate":
            figures["http"] = {"error_rate": value}
        else:
            figures[key] = value
    return figures


def history(n: int = 5, hours_apart: float = 1.0, **changes) -> list[dict]:
    return [
        {
            "started_at": NOW - timedelta(hours=hours_apart * (i + 1)),
            "finished_at": NOW - timedelta(hours=hours_apart * (i + 1)) + timedelta(minutes=5),
            "health": {"metrics": metrics(**changes)},
        }
        for i in range(n)
    ]


def kinds(alerts: list[dict]) -> list[str]:
    return [a["kind"] for a in alerts]


def test_coverage_counts_fields_that_are_there():
    cov = Coverage()
    cov.observe({"headline": "H", "kicker": "  ", "body": [{"kind": "paragraph", "text": "x"}], "published": NOW})
    cov.observe({"headline": "H", "kicker": "K", "body": [], "authors": ["A"], "images": []})
    assert cov.shares() == {
        "kicker": 0.5,
        "headline": 1.0,
        "lead": 0.0,
        "authors": 0.5,
        "date": 0.5,
        "body": 0.5,
        "images": 0.0,
    }
    assert not present({"lead": None}, "lead") and Coverage().shares() == {}


def test_run_figures_from_scrapy_stats():
    stats = {
        "downloader/request_count": 100,
        "downloader/response_count": 95,
        "downloader/response_status_count/200": 80,
        "downloader/response_status_count/404": 5,
        "downloader/response_status_count/503": 10,
        "downloader/exception_count": 5,
    }
    http = http_figures(stats)
    assert (http["errors"], http["error_rate"], http["statuses"]["404"]) == (15, 0.15, 5)
    cov = Coverage()
    cov.observe({"headline": "H"})
    figures = run_metrics(stats, cov, Counter({"http 503": 3}), NOW - timedelta(minutes=2), NOW, {"new_articles": 1})
    assert figures["pages_per_minute"] == 47.5 and figures["reject_rate"] == 0.75
    assert figures["rejects_by_reason"] == [{"reason": "http 503", "count": 3}]
    assert (figures["new_articles"], figures["new_versions"]) == (1, 0)


def test_requests_robots_txt_forbade_are_no_failed_requests_and_rates_stay_within_100_percent():
    """Scrapy counts a request its robots.txt middleware drops in `downloader/exception_count` although it was
    never sent: 15 forbidden beside the one robots.txt fetch read "15 of 1 requests failed, 1500%"."""
    stats = {
        "downloader/request_count": 1,
        "downloader/response_count": 1,
        "downloader/response_status_count/200": 1,
        "downloader/exception_count": 16,
        "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest": 15,
        "downloader/exception_type_count/twisted.internet.error.TimeoutError": 1,
        "robotstxt/forbidden": 15,
    }
    http = http_figures(stats)
    assert (http["errors"], http["exceptions"], http["robots_forbidden"]) == (1, 1, 15)
    assert http["error_rate"] == 1.0  # 1 of 1; over-counting a part never makes it more than all
    figures = run_metrics(stats, Coverage(), Counter(), NOW - timedelta(minutes=1), NOW, {})
    assert (figures["rejects"], figures["reject_rate"]) == (0, 0.0)
    old = metrics(error_rate=15.0, reject_rate=1.0)  # a run recorded before: its rate over 100%
    base, _ = compare("x", metrics(), [{"health": {"metrics": old}}] * 3, Thresholds(), NOW)
    assert base["error_rate"] == 1.0


def test_a_normal_run_raises_nothing():
    base, alerts = compare("merkur.de", metrics(kicker=0.7, error_rate=0.03), history(), Thresholds(), NOW)
    assert alerts == [] and base["runs"] == 5 and base["coverage"]["kicker"] == 0.8


def test_a_field_gone_is_an_alert_with_its_share_and_usual_share():
    _, alerts = compare("merkur.de", metrics(kicker=0.0), history(), Thresholds(), NOW)
    (alert,) = alerts
    assert (alert["kind"], alert["field"], alert["share"], alert["baseline"]) == ("field_gone", "kicker", 0.0, 0.8)
    assert alert["message"] == "merkur.de: the kicker was found on 0% of 40 articles (usually on 80%)"
    assert alert["type"] == "health"


def test_small_runs_and_first_runs_compare_what_they_can():
    assert compare("x", metrics(articles=3, kicker=0.0), history(), Thresholds(), NOW)[1] == []
    assert compare("x", metrics(kicker=0.0), [], Thresholds(), NOW)[1] == []  # nothing to compare with yet
    _, alerts = compare("x", metrics(error_rate=0.5), [], Thresholds(), NOW)
    assert kinds(alerts) == ["errors_up"]  # an absolute floor holds from the first run


def test_errors_and_rejects_up():
    _, alerts = compare("x", metrics(error_rate=0.3, reject_rate=0.4), history(), Thresholds(), NOW)
    assert kinds(alerts) == ["errors_up", "rejects_up"]
    # a site that always fails a little more does not alert for its usual share
    assert compare("x", metrics(error_rate=0.15), history(error_rate=0.12), Thresholds(), NOW)[1] == []


def test_nothing_new_for_too_long():
    quiet = metrics(new_articles=0, new_versions=0)
    stale = history(n=3, hours_apart=12, new_articles=0, new_versions=0) + history(n=1, hours_apart=40)
    _, alerts = compare("x", quiet, stale, Thresholds(stale_hours=24), NOW)
    assert kinds(alerts) == ["nothing_new"] and alerts[0]["hours"] == pytest.approx(39.9, abs=0.1)
    assert compare("x", quiet, history(n=3, hours_apart=2), Thresholds(), NOW)[1] == []
    assert compare("x", metrics(), stale, Thresholds(), NOW)[1] == []


def test_the_spidermon_suite_runs_spidermons_monitors_and_the_history_monitor():
    crawler = get_crawler(
        Spider, {k: getattr(settings, k) for k in ("SPIDERMON_MIN_ITEMS", "SPIDERMON_UNWANTED_HTTP_CODES")}
    )
    spider = Spider("merkur")
    stats = {"finish_reason": "finished", "item_scraped_count": 10, "downloader/request_count": 20}
    read = {"articles": 10, "not_modified": 0, "rejects": 0}
    ok = run_close_suite(crawler, spider, stats, {"alerts": [], "metrics": read})
    assert {o["status"] for o in ok} == {"OK"} and len(ok) >= 6
    failing = run_close_suite(
        crawler,
        spider,
        {**stats, "finish_reason": "shutdown", "downloader/response_status_count/503": 5},
        {"alerts": [{"kind": "field_gone", "message": "merkur.de: field kicker on 0%"}], "metrics": read},
    )
    failed = {o["monitor"]: o["message"] for o in failing if o["status"] != "OK"}
    assert set(failed) == {
        "Finish Reason Monitor/Should have the expected finished reason(s)",
        "Unwanted HTTP codes monitor/Should not hit the limit of unwanted http status",
        "Site history/No field went missing",
    }
    assert failed["Site history/No field went missing"] == "merkur.de: field kicker on 0%"


def test_the_share_of_each_extractor_is_a_run_figure():
    cov = Coverage()
    for name in ("ippen/2023", "ippen/2023", "ippen/2023", "generic/2"):
        cov.observe({"headline": "H", "extractor": name})
    figures = run_metrics({}, cov, Counter(), NOW - timedelta(minutes=1), NOW, {})
    assert figures["extractors"] == [
        {"extractor": "ippen/2023", "count": 3, "share": 0.75},
        {"extractor": "generic/2", "count": 1, "share": 0.25},
    ]
    assert Coverage().extractor_shares() == []


def test_an_unchanged_recrawl_counts_its_304s_as_pages_read_and_raises_nothing():
    coverage = Coverage()  # every article answered 304: none parsed
    stats = {"downloader/request_count": 40, "downloader/response_count": 40}
    stats["downloader/response_status_count/304"] = 40
    figures = run_metrics(stats, coverage, Counter(), NOW - timedelta(minutes=1), NOW, {"not_modified": 40})
    assert (figures["pages_read"], figures["reject_rate"]) == (40, 0.0)
    figures.update(new_articles=0, new_versions=0)
    assert compare("merkur.de", figures, history(reject_rate=0.25), Thresholds(), NOW)[1] == []
    crawler = get_crawler(Spider, {"SPIDERMON_MIN_ITEMS": 1})
    suite = run_close_suite(
        crawler, Spider("merkur"), {"finish_reason": "finished"}, {"alerts": [], "metrics": figures}
    )
    assert {o["status"] for o in suite} == {"OK"}, suite  # no item scraped, and no "Unable to find ..." either


def test_rates_say_how_many_of_how_many():
    figures = metrics(reject_rate=0.5, rejects=4, pages_read=8)
    figures["http"] = {"error_rate": 0.25, "errors": 5, "requests": 20}
    _, alerts = compare("x", figures, history(), Thresholds(), NOW)
    assert [a["message"] for a in alerts] == [
        "x: 5 of 20 requests failed, 25% (usually 1%)",
        "x: 4 of 8 pages could not be read, 50% (usually 0%)",
    ]


def test_a_persistent_condition_alerts_when_it_starts_and_when_it_ends():
    gone = {"type": "health", "kind": "field_gone", "field": "kicker", "site": "x", "message": "x: kicker gone"}
    errors = {"type": "health", "kind": "errors_up", "site": "x", "message": "x: 5 of 20 requests failed"}
    send, marked = transitions("x", [gone], [])
    assert send == [{**gone, "ongoing": False}] and marked == send
    send, marked = transitions("x", [gone, errors], marked)  # the kicker still gone, errors start
    assert [a["kind"] for a in send] == ["errors_up"] and [a["ongoing"] for a in marked] == [True, False]
    send, marked = transitions("x", [errors], marked)  # the kicker is back
    assert [(a["kind"], a.get("ended")) for a in send] == [("ended", "field_gone")] and marked[0]["ongoing"]
    assert send[0]["message"] == "x: back to normal, no longer: kicker gone"
    assert transitions("x", [], [])[0] == []
    # a run that read too few articles to measure coverage (an unchanged re-crawl) does not end a field_gone
    send, marked = transitions("x", [], [{**gone, "ongoing": False}], frozenset({"field_gone"}))
    assert send == [] and marked == [{**gone, "ongoing": True}]


def test_a_missing_configured_page_keeps_its_since_while_it_stays_missing():
    earlier = NOW - timedelta(days=2)
    found = missing_since(
        {"https://x.de/a/": 404, "https://x.de/b/": 410}, [{"url": "https://x.de/a/", "since": earlier}], NOW
    )
    assert found == [
        {"url": "https://x.de/a/", "status": 404, "since": earlier},
        {"url": "https://x.de/b/", "status": 410, "since": NOW},
    ]
