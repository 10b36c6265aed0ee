"""One site's shared frontier in Redis: the queue, the seen-set, the run, the workers and their in-flight requests.

scrapy-redis keeps a queue and a seen-set and nothing else: a request popped by a worker exists only in that
worker's memory, so a SIGKILL loses it (and its fingerprint is already in the seen-set, so nobody fetches it
again). Here a pop moves the request into the worker's in-flight set in the same Lua script, the worker removes
it only once the request is fully handled, and a worker whose heartbeat key expired has its in-flight requests
moved back into the queue by whoever notices first (a starting or a live worker; the script re-checks the
heartbeat, so two never do it both).

A *run* is the frontier's life from its first request to the moment the last worker leaves with nothing queued:
whoever starts a run clears the seen-set (each URL once per run, again in the next run), whoever arrives while
one is in progress joins it and does not seed it again. Starting, joining, seeding and leaving take the site's
lock, so one process decides.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from crawler.runtime.distributed.keys import Keys

logger = logging.getLogger(__name__)

LOCK_SECONDS = 30.0
SEEN_TTL_SECONDS = 7 * 86400
"""A finished run's seen-set is kept this long for inspection, then Redis drops it (the next run clears it anyway)."""

# KEYS: queue, inflight. Returns the request with the best score, now in the worker's in-flight set.
_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
redis.call('ZADD', KEYS[2], r[2], r[1])
return r[1]
"""
# KEYS: seen, queue. ARGV: fingerprint ('' = don't filter), score, request. 1 when queued, 0 when seen before.
# One script, so a request is never marked seen without being queued (a dropped connection in between would
# otherwise lose it for the rest of the run).
_ADD = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""
# KEYS: alive, inflight, queue, workers. ARGV: worker, force. Moves a dead (or leaving) worker's requests back.
_REQUEUE = """
if ARGV[2] ~= '1' and redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local n = redis.call('ZCARD', KEYS[2])
if n > 0 then
  redis.call('ZUNIONSTORE', KEYS[3], 2, KEYS[3], KEYS[2], 'AGGREGATE', 'MIN')
  redis.call('DEL', KEYS[2])
end
redis.call('SREM', KEYS[4], ARGV[1])
return n
"""


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Run:
    id: str
    started: str
    by: str
    joined: bool
    """True when this process joined a run in progress (it does not seed it)."""


class Frontier:
    def __init__(self, server: redis.Redis, keys: Keys, worker: str | None = None, timeout: float = 30.0) -> None:
        self.server = server
        self.keys = keys
        self.worker = worker or new_worker_id()
        self.timeout = timeout
        """Seconds without a heartbeat after which a worker counts as dead."""
        self._pop = server.register_script(_POP)
        self._add = server.register_script(_ADD)
        self._requeue = server.register_script(_REQUEUE)

    # -- requests ------------------------------------------------------------------------------------------------
    def add(self, fingerprint: str | None, score: float, data: bytes) -> bool:
        """Queue `data` unless its fingerprint was seen this run (None: queue it anyway, `dont_filter`)."""
        return bool(self._add(keys=[self.keys.seen, self.keys.requests], args=[fingerprint or "", score, data]))

    def pop(self) -> bytes | None:
        """The next request, moved into this worker's in-flight set (never blocks: see `SharedScheduler`)."""
        return self._pop(keys=[self.keys.requests, self.keys.inflight(self.worker)])

    def ack(self, data: Iterable[bytes]) -> int:
        """Requests fully handled: out of the in-flight set."""
        members = list(data)
        return int(self.server.zrem(self.keys.inflight(self.worker), *members)) if members else 0

    def recover(self, held: Collection[bytes]) -> int:
        """Put back requests in this worker's in-flight set that the worker does not hold; returns how many.

        A pop whose reply is lost (Redis closed the connection, or the reply timed out, after the script ran)
        leaves the request in the in-flight set with no one to fetch it: the worker's heartbeat goes on, so no
        other worker reaps it, and the run cannot end without it. Called when Redis answers again.
        """
        inflight = self.keys.inflight(self.worker)
        held = set(held)
        lost = {data: score for data, score in self.server.zrange(inflight, 0, -1, withscores=True) if data not in held}
        if lost:
            pipe = self.server.pipeline()  # MULTI: never in neither set
            pipe.zadd(self.keys.requests, lost)
            pipe.zrem(inflight, *lost)
            pipe.execute()
        return len(lost)

    def queued(self) -> int:
        return int(self.server.zcard(self.keys.requests))

    def inflight(self) -> dict[str, int]:
        """In-flight requests per registered worker."""
        workers = sorted(w.decode() for w in self.server.smembers(self.keys.workers))
        pipe = self.server.pipeline(transaction=False)
        for worker in workers:
            pipe.zcard(self.keys.inflight(worker))
        return dict(zip(workers, (int(n) for n in pipe.execute()), strict=True))

    def pending_elsewhere(self) -> int:
        """Requests queued or in flight at other workers (which may yet yield more): 0 means all is done."""
        others = sum(n for w, n in self.inflight().items() if w != self.worker)
        return self.queued() + others

    # -- workers -------------------------------------------------------------------------------------------------
    def heartbeat(self) -> None:
        """I am alive (and registered, even if Redis lost the registry)."""
        pipe = self.server.pipeline(transaction=False)
        pipe.set(self.keys.alive(self.worker), str(time.time()), px=int(self.timeout * 1000))
        pipe.sadd(self.keys.workers, self.worker)
        pipe.execute()

    def reap(self) -> int:
        """Put back the in-flight requests of workers whose heartbeat expired; returns how many.

        Not within `timeout` of a Redis (re)start: a restart does not keep time, so a live worker's heartbeat may
        have expired while Redis was down; after `timeout` every live worker has beaten again.
        """
        if int(self.server.info("server").get("uptime_in_seconds", 0)) < self.timeout:
            return 0
        moved = 0
        for raw in self.server.smembers(self.keys.workers):
            worker = raw.decode()
            if worker == self.worker:
                continue
            n = self._requeue_worker(worker, force=False)
            if n > 0:
                logger.warning(
                    "Worker %s of %s stopped beating: %d of its in-flight requests are back in the queue",
                    worker,
                    self.keys.site,
                    n,
                )
            moved += max(n, 0)
        return moved

    def give_back(self) -> int:
        """This worker's own in-flight requests back into the queue (a process that stops with work unfinished)."""
        return max(0, self._requeue_worker(self.worker, force=True))

    def _requeue_worker(self, worker: str, *, force: bool) -> int:
        keys = [self.keys.alive(worker), self.keys.inflight(worker), self.keys.requests, self.keys.workers]
        return int(self._requeue(keys=keys, args=[worker, "1" if force else "0"]))

    # -- runs ----------------------------------------------------------------------------------------------------
    @contextmanager
    def locked(self, timeout: float = LOCK_SECONDS) -> Iterator[None]:
        """The site's lock (redis-py's Lock: a token, an expiry, released only by its holder)."""
        lock = self.server.lock(self.keys.lock, timeout=timeout, blocking_timeout=timeout)
        if not lock.acquire():
            raise TimeoutError(f"could not take the lock of {self.keys.site} within {timeout:.0f} s")
        try:
            yield
        finally:
            try:
                lock.release()
            except redis.exceptions.LockError:
                logger.warning("The lock of %s expired before it was released", self.keys.site)

    def current_run(self) -> dict[str, str] | None:
        raw = self.server.get(self.keys.run)
        return json.loads(raw) if raw else None

    def active(self) -> bool:
        """A run is in progress: it has requests queued, or registered workers (live, or dead and not reaped)."""
        if self.current_run() is None:
            return False
        return self.queued() > 0 or int(self.server.scard(self.keys.workers)) > 0

    def new_run(self, by: str) -> Run:
        """Start a run: a fresh seen-set. Call it under `locked()` after `active()` said no."""
        run = {"id": f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}", "started": _now(), "by": by}
        pipe = self.server.pipeline()
        pipe.delete(self.keys.seen)
        pipe.set(self.keys.run, json.dumps(run))
        pipe.execute()
        return Run(run["id"], run["started"], by, joined=False)

    def begin(self) -> Run:
        """Register this worker in the run in progress, or start one (then this worker seeds it)."""
        with self.locked():
            self.reap()
            current = self.current_run() if self.active() else None
            run = (
                Run(current["id"], current["started"], current["by"], joined=True)
                if current
                else self.new_run(self.worker)
            )
            self.heartbeat()
        return run

    def leave(self) -> bool:
        """Unregister (giving back anything unfinished); True when this was the run's end (nothing left)."""
        with self.locked():
            self.give_back()
            pipe = self.server.pipeline()
            pipe.srem(self.keys.workers, self.worker)
            pipe.delete(self.keys.alive(self.worker))
            pipe.execute()
            if self.server.scard(self.keys.workers) or self.queued():
                return False
            pipe = self.server.pipeline()
            pipe.delete(self.keys.run)
            pipe.expire(self.keys.seen, SEEN_TTL_SECONDS)
            pipe.execute()
            return True

    def status(self) -> dict[str, object]:
        """What an operator wants to see (`python -m crawler.runtime.distributed status`)."""
        alive = {w: bool(self.server.exists(self.keys.alive(w))) for w in self.inflight()}
        return {
            "site": self.keys.site,
            "run": self.current_run(),
            "queued": self.queued(),
            "seen": int(self.server.scard(self.keys.seen)),
            "workers": {w: {"in_flight": n, "alive": alive.get(w, False)} for w, n in self.inflight().items()},
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
