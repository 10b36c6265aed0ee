"""Feeding a site's shared queue from outside a crawl: the scheduler's `push_due`, and `push_urls`.

In distributed mode one process decides what is due. The scheduler (`newsmon schedule`, or any cron job) calls
`push_due` when a site's interval has passed; under the site's Redis lock it starts a run, unless one is still in
progress (runs of a site never overlap), and queues the spider's start requests (listing pages, feeds,
sitemaps) through the run's seen-set. Crawler processes started with `REDIS_URL` anywhere join that run and work
it off; each process's revisit planner adds the stored articles that are due (`NewsSpider._fetch_leftovers`),
de-duplicated by the same seen-set, so two processes never fetch an article twice in a run.

`push_urls` queues given article URLs the same way (repeats are dropped, unlike URLs pushed onto a scrapy-redis
RedisSpider's list, which skip the duplicate filter).

The requests are built by the real spider class, instantiated here without a crawler (no store, no browser):
discovery stays the spider's.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scrapy import Request, Spider
from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader
from scrapy_redis import picklecompat

from crawler.config import load_settings, option
from crawler.runtime.distributed.connection import redact, redis_from_settings
from crawler.runtime.distributed.dupefilter import RunDupeFilter
from crawler.runtime.distributed.frontier import Frontier, Run, new_worker_id
from crawler.runtime.distributed.keys import Keys
from crawler.runtime.distributed.queue import ReliableQueue

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Seeded:
    site: str
    run: Run
    queued: int
    """Requests queued (those already seen in this run are not counted)."""
    offered: int


def push_due(
    spider: str,
    spider_args: Mapping[str, Any] | None = None,
    settings: BaseSettings | Mapping[str, Any] | None = None,
) -> Seeded | None:
    """Start a run of `spider` (its start requests queued in Redis); None while a run of its site is in progress.

    `spider_args` are the spider's `-a` arguments (`base_url`, `section`, ...); `settings` default to the
    project's with env (`REDIS_URL` must be set).
    """
    resolved = _settings(settings)
    instance = build_spider(spider, spider_args, resolved)
    feeder = _Feeder(resolved, instance)
    with feeder.frontier.locked():
        feeder.frontier.reap()
        if feeder.frontier.active():
            run = feeder.frontier.current_run() or {}
            logger.info("push_due %s: run %s still in progress, nothing queued", feeder.keys.site, run.get("id"))
            return None
        run = feeder.frontier.new_run(by=f"seed:{feeder.frontier.worker}")
        requests = start_requests(instance)
        queued = feeder.push(requests)
    logger.info("push_due %s: started run %s, %d start requests queued", feeder.keys.site, run.id, queued)
    return Seeded(feeder.keys.site, run, queued, len(requests))


def push_urls(
    spider: str,
    urls: Iterable[str],
    spider_args: Mapping[str, Any] | None = None,
    settings: BaseSettings | Mapping[str, Any] | None = None,
) -> Seeded:
    """Queue article URLs for `spider`'s site, each once per run (starting a run when none is in progress)."""
    resolved = _settings(settings)
    instance = build_spider(spider, spider_args, resolved)
    feeder = _Feeder(resolved, instance)
    make = getattr(instance, "article_request", None) or (lambda url: Request(url, callback=instance.parse))
    requests = [make(url) for url in urls]
    with feeder.frontier.locked():
        feeder.frontier.reap()
        current = feeder.frontier.current_run() if feeder.frontier.active() else None
        if current:
            run = Run(current["id"], current["started"], current["by"], joined=True)
        else:
            run = feeder.frontier.new_run(by=f"seed:{feeder.frontier.worker}")
        queued = feeder.push(requests)
    return Seeded(feeder.keys.site, run, queued, len(requests))


def build_spider(name: str, args: Mapping[str, Any] | None, settings: BaseSettings) -> Spider:
    """The spider as `scrapy crawl name -a k=v` would build it, without a crawler."""
    cls = SpiderLoader.from_settings(settings).load(name)
    return cls(**dict(args or {}))


def start_requests(spider: Spider) -> list[Request]:
    """Run the spider's `start()` to its end (without a crawler it reads no store) and keep its requests."""

    async def collect() -> list[Request]:
        return [r async for r in spider.start() if isinstance(r, Request)]

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(collect())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # called from async code: a loop of its own
        return pool.submit(asyncio.run, collect()).result()


class _Feeder:
    def __init__(self, settings: BaseSettings, spider: Spider) -> None:
        if not settings.get("REDIS_URL"):
            raise ValueError("REDIS_URL is not set: there is no shared queue to feed")
        server = redis_from_settings(settings)
        self.url = redact(settings.get("REDIS_URL"))
        self.keys = Keys.for_spider(spider, settings.get("NEWSMON_REDIS_PREFIX"))
        self.frontier = Frontier(server, self.keys, new_worker_id(), option(settings, "NEWSMON_REDIS_WORKER_TIMEOUT"))
        self.queue = ReliableQueue(server, spider, self.keys.requests, self.frontier, picklecompat)
        self.filter = RunDupeFilter.for_keys(server, self.keys)

    def push(self, requests: Iterable[Request]) -> int:
        return sum(self.frontier.add(self.filter.fingerprint(r), -r.priority, self.queue.encode(r)) for r in requests)


def _settings(settings: BaseSettings | Mapping[str, Any] | None) -> BaseSettings:
    if isinstance(settings, BaseSettings):
        return settings
    return load_settings(settings or {})
