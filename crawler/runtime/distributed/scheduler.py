"""The scheduler of distributed mode: scrapy-redis' Scheduler on newsmon's frontier, paused while Redis is away."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy_redis import picklecompat
from scrapy_redis.scheduler import Scheduler
from twisted.internet.defer import Deferred, ensureDeferred

from crawler.config import option
from crawler.runtime.distributed.connection import REDIS_ERRORS, redact, redis_from_settings
from crawler.runtime.distributed.dupefilter import RunDupeFilter
from crawler.runtime.distributed.frontier import Frontier
from crawler.runtime.distributed.keys import STAT, Keys
from crawler.runtime.distributed.queue import ReliableQueue
from crawler.runtime.distributed.worker import WorkerLoop

if TYPE_CHECKING:
    import redis

    from crawler.runtime.distributed.frontier import Run

logger = logging.getLogger(__name__)


class SharedScheduler(Scheduler):
    """scrapy-redis' Scheduler with these changes, each for a gap measured with scrapy-redis 0.9.1:

    - the queue is a `ReliableQueue` (in-flight requests kept per worker in Redis) and the seen-set a
      `RunDupeFilter` (per site and per run, never deleted by a stopping worker): `persist` is always on;
    - a request is marked seen and queued in one Lua script (`Frontier.add`);
    - `SCHEDULER_IDLE_BEFORE_CLOSE` is ignored: its blocking pop stops Scrapy's reactor for that long on every
      empty poll (a 301-page crawl took 57 s instead of 4 s); idle workers stop after
      `MAX_IDLE_TIME_BEFORE_CLOSE` instead (`WorkerLoop`);
    - while Redis does not answer the crawl pauses instead of failing: new requests wait in memory
      (`outbox`), nothing is taken, the spider does not close; `WorkerLoop` probes and resumes.
    """

    def __init__(self, server: redis.Redis, crawler: Crawler) -> None:
        super().__init__(server, persist=True, idle_before_close=0, serializer=picklecompat)
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.url = redact(settings.get("REDIS_URL"))
        self.prefix = option(settings, "NEWSMON_REDIS_PREFIX")
        self.worker_timeout = option(settings, "NEWSMON_REDIS_WORKER_TIMEOUT")
        self.outbox: list[Request] = []
        self.down_since: float | None = None
        self.frontier: Frontier
        self.run: Run | None = None
        self.loop: WorkerLoop | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        settings = crawler.settings
        if settings.getint("SCHEDULER_IDLE_BEFORE_CLOSE") > 0:
            logger.warning(
                "SCHEDULER_IDLE_BEFORE_CLOSE is ignored: a blocking pop would stop the crawl; "
                "idle processes stop after MAX_IDLE_TIME_BEFORE_CLOSE seconds"
            )
        server = redis_from_settings(settings)
        try:
            server.ping()
        except REDIS_ERRORS as exc:
            raise RuntimeError(
                f"REDIS_URL is set but Redis at {redact(settings.get('REDIS_URL'))} does not answer ({exc}): "
                "start it, or unset REDIS_URL to crawl in one process"
            ) from exc
        return cls(server, crawler)

    # -- open and close ------------------------------------------------------------------------------------------
    def open(self, spider: Spider) -> None:
        self.spider = spider
        keys = Keys.for_spider(spider, self.prefix)
        self.frontier = Frontier(self.server, keys, timeout=self.worker_timeout)
        self.queue = ReliableQueue(self.server, spider, keys.requests, self.frontier, self.serializer)
        self.df = RunDupeFilter.for_keys(self.server, keys, debug=self.crawler.settings.getbool("DUPEFILTER_DEBUG"))
        self.run = self.frontier.begin()
        self.stats.set_value(f"{STAT}worker", self.frontier.worker)
        self.stats.set_value(f"{STAT}run", self.run.id)
        self.stats.set_value(f"{STAT}joined", self.run.joined)
        logger.info(
            "Distributed crawl of %s through Redis at %s: %s run %s as worker %s (%d requests queued)",
            keys.site,
            self.url,
            "joined" if self.run.joined else "started",
            self.run.id,
            self.frontier.worker,
            self.frontier.queued(),
        )
        self.loop = WorkerLoop(self.crawler, self)
        self.loop.start()

    def close(self, reason: str) -> Deferred[None]:
        """Flush what waits, acknowledge what is done, give back the rest, leave the run (persist: always)."""
        assert self.loop is not None
        return ensureDeferred(self.loop.finish(reason))

    def flush(self) -> None:
        """Never clears the shared queue (scrapy-redis does on close unless SCHEDULER_PERSIST)."""

    # -- requests ------------------------------------------------------------------------------------------------
    def enqueue_request(self, request: Request) -> bool:
        if self.down_since is not None or self.outbox:
            self.outbox.append(request)
            return True
        try:
            return self._add(request)
        except REDIS_ERRORS as exc:
            self.lost(exc)
            self.outbox.append(request)
            return True

    def _add(self, request: Request) -> bool:
        fingerprint = self.df.fingerprint(request)
        if not self.frontier.add(fingerprint, -request.priority, self.queue.encode(request)):
            self.df.log(request, self.spider)
            self.stats.inc_value("dupefilter/filtered")
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.down_since is not None:
            return None
        try:
            request = self.queue.pop()
        except REDIS_ERRORS as exc:
            self.lost(exc)
            return None
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        if self.down_since is not None or self.outbox:
            return True  # paused, not finished
        try:
            return len(self.queue) > 0
        except REDIS_ERRORS as exc:
            self.lost(exc)
            return True

    # -- Redis away and back -------------------------------------------------------------------------------------
    def lost(self, exc: BaseException) -> None:
        if self.down_since is not None:
            return
        self.down_since = time.monotonic()
        self.stats.inc_value(f"{STAT}redis_outages")
        logger.warning(
            "Redis at %s does not answer (%s): crawl paused (requests found meanwhile wait in memory); "
            "retrying every second",
            self.url,
            exc,
        )

    def flush_outbox(self) -> int:
        """Queue the requests that waited in memory, oldest first; stops at the first Redis error."""
        pushed = 0
        while self.outbox:
            self._add(self.outbox[0])
            self.outbox.pop(0)
            pushed += 1
        return pushed

    def resumed(self) -> None:
        """Redis answers again (called by `WorkerLoop` after a successful probe)."""
        if self.down_since is None:
            return
        waited = time.monotonic() - self.down_since
        self.down_since = None
        pushed = recovered = 0
        try:
            pushed = self.flush_outbox()
            recovered = self.frontier.recover(self.queue.taken.values())
        except REDIS_ERRORS as exc:
            self.lost(exc)
            return
        self.stats.inc_value(f"{STAT}paused_seconds", round(waited, 1))
        if recovered:
            self.stats.inc_value(f"{STAT}recovered", recovered)
        logger.warning(
            "Redis at %s answers again after %.1f s: crawl resumed (%d waiting requests queued, %d taken requests "
            "whose answer was lost put back)",
            self.url,
            waited,
            pushed,
            recovered,
        )

    def counts(self) -> dict[str, Any]:
        return {"outbox": len(self.outbox), "taken": len(self.queue.taken), "paused": self.down_since is not None}
