"""newsmon's Scrapy commands (`COMMANDS_MODULE`): `scrapy crawl` that refuses a mistake in one line.

Scrapy's own `crawl` ends a bad setting, an unknown spider or a bad `-a` argument in a traceback and exits 0 when
nothing it was asked could be fetched; scrapyd and `newsmon schedule` run `scrapy crawl`, so the fix lives here
and in :func:`check_crawl` and :func:`run_crawl`, which `newsmon crawl` shares.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler, CrawlerProcessBase
from scrapy.settings import Settings
from scrapy.spiderloader import get_spider_loader

from crawler.config import SettingError, apply_env, check_data_dir, check_settings

USAGE, FAILED = 2, 1


def _debug(settings: Any) -> bool:
    return str(settings.get("LOG_LEVEL") or "").upper() == "DEBUG"


def check_crawl(settings: Settings, name: str, spider_args: dict[str, Any], prog: str) -> type[Spider] | None:
    """The spider class when the spider, the settings and the arguments are all usable; else None, after one
    line on stderr saying what is wrong (the traceback too at log level DEBUG). Nothing is fetched or stored."""
    loader = get_spider_loader(settings)
    try:
        spidercls = loader.load(name)
    except KeyError:
        print(f"{prog}: no spider named {name!r}; spiders: {', '.join(sorted(loader.list()))}", file=sys.stderr)
        return None
    try:
        # Typed and checked on the process's settings: Scrapy copies them onto the crawler again after the
        # spider's own check, and `-s NAME=no` must arrive as False.
        apply_env(settings)
        check_settings(settings)
        check_data_dir(settings)  # the spool and the embedded database live there
        spidercls(**spider_args)  # arguments are checked before the first request, without a crawler
    except (SettingError, ValueError, TypeError, OSError) as exc:
        if _debug(settings):
            raise
        print(f"{prog}: {exc}", file=sys.stderr)
        return None
    return spidercls


def run_crawl(
    process: CrawlerProcessBase,
    spidercls: type[Spider],
    spider_args: dict[str, Any],
    create: Callable[[Any], Crawler] | None = None,
) -> int:
    """Run one checked spider; the exit code: 0 done, 1 nothing it was asked could be done."""
    from crawler.discover.spider import FAILED_STAT

    crawler = (create or process.create_crawler)(spidercls)
    process.crawl(crawler, **spider_args)
    process.start()
    if process.bootstrap_failed:
        return FAILED
    return FAILED if crawler.stats.get_value(FAILED_STAT) else 0
