"""What a crawler process does besides crawling in distributed mode: heartbeat, acknowledgements, waking its
engine when others queued work, stopping when the whole run is done, pausing while Redis is away.

Two places reach into Scrapy's engine (`_slot`), because Scrapy exposes no public hook for them:
- `in_progress`: the engine's set of requests taken from the scheduler and not yet fully handled (downloaded,
  parsed, their requests scheduled and their items through the pipelines). A request leaves it exactly when it
  may be acknowledged; no signal says so for every outcome (callback, errback, redirect, ignored request).
- `wake`: an idle engine asks its scheduler again only on its 5-second heartbeat; another worker's requests
  should not wait that long (scrapy-redis' RedisSpider polls on `spider_idle`, about every 5 s, likewise).
tests/test_distributed_crawl.py fails if either stops working after a Scrapy upgrade.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.task import LoopingCall
from twisted.internet.threads import deferToThread

from crawler.config import option
from crawler.runtime.distributed.connection import REDIS_ERRORS
from crawler.runtime.distributed.keys import STAT
from crawler.store import facade

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.runtime.distributed.frontier import Frontier, Run
    from crawler.runtime.distributed.queue import ReliableQueue

logger = logging.getLogger(__name__)

WAKE_SECONDS = 0.25
PROBE_SECONDS = 1.0


def in_progress(crawler: Crawler) -> set[Request]:
    slot = getattr(crawler.engine, "_slot", None)
    inprogress = getattr(slot, "inprogress", None)
    if inprogress is None:
        raise RuntimeError("Scrapy's engine has no _slot.inprogress: crawler.runtime.distributed needs updating")
    return inprogress


def wake(crawler: Crawler) -> None:
    slot = getattr(crawler.engine, "_slot", None)
    if slot is not None and slot.closing is None:
        slot.nextcall.schedule()


class PausingScheduler(Protocol):
    """What the loop drives of its scheduler (`scheduler.SharedScheduler`, which starts the loop and passes itself
    in): named here so that worker.py need not import the scheduler, which imports it."""

    frontier: Frontier
    queue: ReliableQueue
    outbox: list[Request]
    down_since: float | None
    run: Run | None

    def lost(self, exc: BaseException) -> None: ...
    def resumed(self) -> None: ...
    def flush_outbox(self) -> int: ...


class WorkerLoop:
    """Started by `SharedScheduler.open`, finished by its `close`.

    Settings: `NEWSMON_REDIS_WORKER_TIMEOUT` (heartbeat expiry; beats every third of it),
    `MAX_IDLE_TIME_BEFORE_CLOSE` (seconds with nothing queued or in flight anywhere before the process stops;
    0: wait for new work forever), `NEWSMON_STORE_FLUSH_SECONDS` (how often handled requests are acknowledged).
    Redis is probed every second while it is away.
    """

    def __init__(self, crawler: Crawler, scheduler: PausingScheduler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.scheduler = scheduler
        self.frontier = scheduler.frontier
        self.max_idle = option(settings, "MAX_IDLE_TIME_BEFORE_CLOSE")
        self.ack_seconds = max(0.2, option(settings, "NEWSMON_STORE_FLUSH_SECONDS"))
        self.beat_seconds = min(PROBE_SECONDS, max(0.2, self.frontier.timeout / 3))
        self.has_store = facade.enabled(crawler)
        self.idle_since: float | None = None
        self._wake = LoopingCall(self._wake_engine)
        self._beat = LoopingCall(self._looped(self._beat_async))
        self._ack = LoopingCall(self._looped(self._ack_async))

    def start(self) -> None:
        self.crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        self._wake.start(WAKE_SECONDS, now=False)
        self._beat.start(self.beat_seconds, now=False)
        self._ack.start(self.ack_seconds, now=False)

    # -- periodic ------------------------------------------------------------------------------------------------
    def _wake_engine(self) -> None:
        if self.scheduler.down_since is None:
            wake(self.crawler)

    async def _beat_async(self) -> None:
        """Heartbeat and reaping, on a loop of their own: a slow store flush must not let the heartbeat expire."""
        scheduler = self.scheduler
        try:
            if scheduler.down_since is not None:
                if await self._probe():
                    self.frontier.heartbeat()  # first: our heartbeat may have expired while Redis was away
                    scheduler.resumed()
                return
            self.frontier.heartbeat()
            if self.frontier.reap():
                self.crawler.stats.inc_value(f"{STAT}reaped_workers")
        except REDIS_ERRORS as exc:
            scheduler.lost(exc)

    async def _ack_async(self) -> None:
        if self.scheduler.down_since is not None:
            return
        try:
            self.scheduler.flush_outbox()
            await self.acknowledge()
        except REDIS_ERRORS as exc:
            self.scheduler.lost(exc)

    def _looped(self, step: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[], Deferred[None]]:
        def run() -> Deferred[None]:
            d = ensureDeferred(step())
            d.addErrback(lambda f: logger.error("Distributed worker: %s failed: %s", step.__name__, f.getTraceback()))
            return d

        return run

    async def _probe(self) -> bool:
        """A PING off the reactor thread (a Redis behind a dead network would otherwise block it)."""
        try:
            await deferToThread(self.frontier.server.ping)
            return True
        except REDIS_ERRORS:
            return False

    async def acknowledge(self, everything: bool = False) -> int:
        """Remove handled requests from this worker's in-flight set, after their items reached the store (so a
        SIGKILL can lose neither a request nor the article it brought)."""
        queue = self.scheduler.queue
        done = dict(queue.taken) if everything else queue.completed(in_progress(self.crawler))
        if not done:
            return 0
        if self.has_store:
            await facade.Store.of(self.crawler).flush()
        self.frontier.ack(done.values())
        queue.forget(done)
        self.crawler.stats.inc_value(f"{STAT}acknowledged", len(done))
        return len(done)

    # -- idle and close ------------------------------------------------------------------------------------------
    def spider_idle(self) -> None:
        """Stay while anything is queued or in flight anywhere (another worker's page may yield more requests),
        or while Redis is away; stop after `MAX_IDLE_TIME_BEFORE_CLOSE` seconds of all done."""
        if self.scheduler.down_since is not None or self.scheduler.outbox:
            raise DontCloseSpider
        try:
            pending = self.frontier.pending_elsewhere()
        except REDIS_ERRORS as exc:
            self.scheduler.lost(exc)
            raise DontCloseSpider from None
        now = time.monotonic()
        if pending:
            self.idle_since = None
            raise DontCloseSpider
        if self.idle_since is None:
            self.idle_since = now
        if self.max_idle <= 0 or now - self.idle_since < self.max_idle:
            raise DontCloseSpider

    async def finish(self, reason: str) -> None:
        for loop in (self._wake, self._beat, self._ack):
            if loop.running:
                loop.stop()
        scheduler = self.scheduler
        deadline = time.monotonic() + 30
        while True:
            try:
                scheduler.flush_outbox()
                await self.acknowledge(everything=True)
                ended = self.frontier.leave()
                break
            except REDIS_ERRORS as exc:
                scheduler.lost(exc)
                if time.monotonic() > deadline:
                    logger.error(
                        "Redis still away at close: %d new requests not queued; %d handled requests stay in "
                        "flight and are fetched again after this worker's heartbeat expires",
                        len(scheduler.outbox),
                        len(scheduler.queue.taken),
                    )
                    return
                await _sleep(1.0)
        stats = self.crawler.stats
        logger.info(
            "Worker %s left run %s (%s)%s",
            self.frontier.worker,
            scheduler.run.id if scheduler.run else "?",
            reason,
            ": the run is finished" if ended else "",
        )
        stats.set_value(f"{STAT}run_finished", ended)


def _sleep(seconds: float) -> Any:
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    return deferLater(reactor, seconds, lambda: None)
