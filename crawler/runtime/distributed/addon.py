"""The switch: distributed mode when `REDIS_URL` is set (setting, `-s`, or env), else nothing changes."""

from __future__ import annotations

import logging

from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

PRIORITY = "addon"
SCHEDULER = "crawler.runtime.distributed.scheduler.SharedScheduler"
START_MIDDLEWARE = "crawler.runtime.distributed.start.JoinedRunStart"
START_MIDDLEWARE_ORDER = 50


class DistributedAddon:
    """Listed in `ADDONS` after the env add-on (which may set `REDIS_URL`).

    Only scrapy-redis' scheduler, queue and duplicate filter are used, through newsmon's subclasses. Not its
    `RedisSpider` (Scrapy 2.19 no longer calls `start_requests()`, and URLs pushed onto its list skip the
    duplicate filter: `crawler.runtime.distributed.seed` pushes through the filter instead), not its stats collector
    (fails at close under Scrapy 2.19), not its item pipeline (deprecated APIs; newsmon's store stays MongoDB).
    """

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            return
        settings.set("SCHEDULER", SCHEDULER, priority=PRIORITY)
        settings.set("SCHEDULER_PERSIST", True, priority=PRIORITY)
        settings.setdefault_in_component_priority_dict("SPIDER_MIDDLEWARES", START_MIDDLEWARE, START_MIDDLEWARE_ORDER)
