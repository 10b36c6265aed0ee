"""newsmon's Scrapy commands (`COMMANDS_MODULE`): `scrapy crawl` that refuses a mistake in one line.

Scrapy's own `crawl` ends a bad setting, an unknown spider or a bad `-a` argument in a traceback and exits 0 when
nothing it was asked could be fetched; scrapyd and `newsmon schedule` run `scrapy crawl`, so the fix lives here
and in :func:`run_crawl`, which `newsmon crawl` shares.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcessBase

from crawler.config import SettingError, apply_env, check_settings

USAGE, FAILED = 2, 1


def _debug(settings: Any) -> bool:
    return str(settings.get("LOG_LEVEL") or "").upper() == "DEBUG"


def run_crawl(
    process: CrawlerProcessBase,
    name: str,
    spider_args: dict[str, Any],
    prog: str,
    create: Callable[[Any], Crawler] | None = None,
) -> int:
    """Run one spider; the exit code: 0 done, 1 nothing asked could be done, 2 a usage mistake (one line on
    stderr, the traceback only at log level DEBUG)."""
    from crawler.news_spider import FAILED_STAT

    debug = _debug(process.settings)
    try:
        spidercls = process.spider_loader.load(name)
    except KeyError:
        known = ", ".join(sorted(process.spider_loader.list()))
        print(f"{prog}: no spider named {name!r}; spiders: {known}", file=sys.stderr)
        return USAGE
    try:
        # Typed and checked on the process's settings too: Scrapy copies them onto the crawler again after the
        # spider's own check, and `-s NAME=no` must arrive as False.
        apply_env(process.settings)
        check_settings(process.settings)
        crawler = (create or process.create_crawler)(spidercls)
        spidercls(**spider_args)  # arguments are checked before the first request, without a crawler
    except (SettingError, ValueError, TypeError, OSError) as exc:
        if debug:
            raise
        print(f"{prog}: {exc}", file=sys.stderr)
        return USAGE
    process.crawl(crawler, **spider_args)
    process.start()
    if process.bootstrap_failed:
        return FAILED
    return FAILED if crawler.stats.get_value(FAILED_STAT) else 0
