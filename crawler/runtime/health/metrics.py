"""A run's health figures, from Scrapy's stats and the field coverage: what `crawl_runs.health.metrics` holds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from crawler.runtime.health.coverage import Coverage

STATUS_PREFIX = "downloader/response_status_count/"
ERROR_STATUSES = frozenset({403, 408, 429})
"""Besides every 5xx: answers that mean the site refuses or chokes, not that a page is gone (404/410 are)."""
IGNORED_STAT = "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest"
PAGES_CUT = "newsmon/listing/pages_cut"
"""Listing pages cut at NEWSMON_LISTING_MAX_LINKS (counted by `crawler.discover.listing_cap`)."""
LINKS_CUT = "newsmon/listing/links_cut"


def http_figures(stats: Mapping[str, Any]) -> dict[str, Any]:
    """Requests, responses, error answers (5xx, 403, 408, 429) and download exceptions, and their rate.

    A request a downloader middleware drops (`IgnoreRequest`: robots.txt forbids it, ...) is counted in Scrapy's
    `downloader/exception_count` but was never sent: it is no failed request of the site, and counting it made
    rates over 100% (15 forbidden of 1 request sent). Those are left out; robots.txt's are `robots_forbidden`."""
    statuses = {k.removeprefix(STATUS_PREFIX): int(v) for k, v in stats.items() if k.startswith(STATUS_PREFIX)}
    bad = sum(n for code, n in statuses.items() if code.isdigit() and (int(code) >= 500 or int(code) in ERROR_STATUSES))
    ignored = int(stats.get(IGNORED_STAT, 0))
    exceptions = max(int(stats.get("downloader/exception_count", 0)) - ignored, 0)
    requests = int(stats.get("downloader/request_count", 0))
    errors = bad + exceptions
    return {
        "requests": requests,
        "responses": int(stats.get("downloader/response_count", 0)),
        "errors": errors,
        "exceptions": exceptions,
        "error_rate": rate(errors, requests),
        "statuses": statuses,
        "robots_forbidden": int(stats.get("robotstxt/forbidden", 0)),
    }


def rate(part: int, whole: int) -> float:
    """`part` of `whole`, never over 1 (a part counted on more than the whole is all of it), 0 of nothing."""
    return round(min(part / whole, 1.0), 4) if whole > 0 else 0.0


def run_metrics(
    stats: Mapping[str, Any],
    coverage: Coverage,
    rejects: Counter[str],
    started: datetime,
    finished: datetime,
    stored: Mapping[str, int],
) -> dict[str, Any]:
    """The figures compared across runs. `stored`: the store writer's counts (`new_articles`, `new_versions`,
    `not_modified`: article re-fetches answered 304)."""
    minutes = max((finished - started).total_seconds() / 60, 1 / 60)
    http = http_figures(stats)
    pages = http["responses"]
    # A 304 is a page that answered fine (unchanged since the last fetch): it counts as read, not as missing.
    not_modified = int(stored.get("not_modified", 0))
    read = coverage.articles + not_modified + sum(rejects.values())
    return {
        "articles": coverage.articles,
        "not_modified": not_modified,
        "pages_read": read,
        "coverage": coverage.shares(),
        "extractors": coverage.extractor_shares(),
        "rejects": sum(rejects.values()),
        "reject_rate": rate(sum(rejects.values()), read),
        "rejects_by_reason": [{"reason": r, "count": n} for r, n in rejects.most_common(20)],
        "http": http,
        "pages_per_minute": round(pages / minutes, 1),
        "minutes": round(minutes, 2),
        "new_articles": int(stored.get("new_articles", 0)),
        "new_versions": int(stored.get("new_versions", 0)),
        "listing_links_cut": int(stats.get(LINKS_CUT, 0)),
        "listings_cut": int(stats.get(PAGES_CUT, 0)),
    }
