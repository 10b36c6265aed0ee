"""The shared frontier against a real redis-server: in-flight requests, dead workers, runs, locks, seeding."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from scrapy.settings import Settings

from crawler.config import load_settings
from crawler.runtime.distributed.addon import SCHEDULER, START_MIDDLEWARE, DistributedAddon
from crawler.runtime.distributed.connection import redact
from crawler.runtime.distributed.frontier import Frontier
from crawler.runtime.distributed.keys import Keys
from crawler.runtime.distributed.queue import ReliableQueue
from crawler.runtime.distributed.seed import push_due, push_urls, start_requests
from tests.support.redis_server import LocalRedis


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with LocalRedis() as url:
        yield url


@pytest.fixture
def server(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def keys() -> Keys:
    return Keys(f"test-{uuid.uuid4().hex[:8]}", "merkur.de")


def wait_for_uptime(server: redis.Redis, seconds: float) -> None:
    """Dead workers are reaped only once Redis has been up a worker timeout (see Frontier.reap)."""
    while int(server.info("server")["uptime_in_seconds"]) < seconds:
        time.sleep(0.2)


def test_taken_requests_stay_in_flight_until_acknowledged_and_a_dead_workers_come_back(server, keys):
    a = Frontier(server, keys, "a", timeout=0.5)
    b = Frontier(server, keys, "b", timeout=0.5)
    for i, data in enumerate((b"r1", b"r2", b"r3")):
        assert a.add(f"fp{i}", -i, data)
    a.heartbeat()
    b.heartbeat()
    taken = [a.pop(), a.pop()]
    assert taken == [b"r3", b"r2"]  # best score (highest priority) first, as scrapy-redis' PriorityQueue
    assert a.queued() == 1 and a.inflight() == {"a": 2, "b": 0}
    assert a.ack([b"r3"]) == 1
    assert b.pending_elsewhere() == 2  # one queued, one in flight at a: b must not stop yet

    wait_for_uptime(server, 1)
    a.heartbeat()
    assert b.reap() == 0  # a's heartbeat is still alive
    time.sleep(0.6)  # a was SIGKILLed: no more heartbeats
    b.heartbeat()
    assert b.reap() == 1
    assert sorted(server.zrange(keys.requests, 0, -1)) == [b"r1", b"r2"]
    assert server.smembers(keys.workers) == {b"b"} and not server.exists(keys.inflight("a"))
    assert b.reap() == 0  # and only once


def test_a_pop_whose_answer_was_lost_goes_back_to_the_queue(server, keys):
    """Redis restarted (or a reply timed out) after the pop script ran: the request sits in this live worker's
    in-flight set, which nobody reaps; `recover` (run when Redis answers again) puts it back."""
    a = Frontier(server, keys, "a")
    for i, data in enumerate((b"held", b"orphan", b"queued")):
        assert a.add(f"fp{i}", -i, data)
    assert a.pop() == b"queued"
    assert a.pop() == b"orphan"  # the reply that never reached the worker
    assert a.pop() == b"held"
    assert a.recover([b"queued", b"held"]) == 1
    assert server.zrange(keys.requests, 0, -1, withscores=True) == [(b"orphan", -1.0)]
    assert sorted(server.zrange(keys.inflight("a"), 0, -1)) == [b"held", b"queued"]
    assert a.recover([b"queued", b"held"]) == 0
    assert a.pop() == b"orphan"


def test_seen_set_is_per_run_and_dont_filter_passes(server, keys):
    f = Frontier(server, keys, "w")
    assert f.add("fp", 0, b"x") and not f.add("fp", 0, b"x-again")
    assert f.add(None, 0, b"retry") and f.add(None, 0, b"retry2")  # dont_filter: never marked seen
    f.new_run(by="test")
    assert f.add("fp", 0, b"x")  # a new run fetches it again


def test_runs_start_join_and_finish_with_their_last_worker(server, keys):
    a, b = Frontier(server, keys, "a"), Frontier(server, keys, "b")
    first = a.begin()
    assert not first.joined and a.current_run()["id"] == first.id
    a.add("fp", 0, b"page")
    second = b.begin()
    assert second.joined and second.id == first.id
    assert not b.add("fp", 0, b"page")  # seen in this run, whoever queued it

    assert b.pop() == b"page"
    assert not a.leave()  # b still works
    assert not b.leave()  # b stops before acknowledging: its request goes back, the run is not over...
    assert a.queued() == 1 and a.current_run() is not None
    assert Frontier(server, keys, "c").begin().joined  # ...and the next process resumes it
    c = Frontier(server, keys, "c")
    c.ack([c.pop()])
    assert c.leave() and c.current_run() is None
    assert server.ttl(keys.seen) > 0  # the finished run's seen-set expires; the next run starts a fresh one
    assert not Frontier(server, keys, "d").begin().joined


def test_the_lock_admits_one_holder(server, keys):
    a, b = Frontier(server, keys, "a"), Frontier(server, keys, "b")
    with a.locked(), pytest.raises(TimeoutError), b.locked(timeout=0.3):
        pass
    with b.locked(timeout=0.3):
        pass


def test_push_urls_drops_repeats_and_push_due_never_overlaps_a_run(redis_url, server, keys):
    settings = load_settings({"REDIS_URL": redis_url, "NEWSMON_REDIS_PREFIX": keys.prefix})
    base = "http://127.0.0.1:9"
    urls = [f"{base}/politik/artikel-{90000000 + i}.html" for i in range(100)]
    seeded = push_urls("merkur", urls + urls[:20], {"base_url": base}, settings)
    assert (seeded.queued, seeded.offered) == (100, 120)
    assert server.zcard(keys.requests) == 100

    assert push_due("merkur", {"base_url": base}, settings) is None  # a run is in progress
    server.delete(keys.requests, keys.run)
    due = push_due("merkur", {"base_url": base}, settings)
    assert due is not None and not due.run.joined and due.queued == due.offered > 0
    assert push_due("merkur", {"base_url": base}, settings) is None


def test_push_due_queues_what_the_spider_starts_with(redis_url):
    from crawler.runtime.distributed.seed import build_spider

    spider = build_spider("merkur", {"base_url": "http://127.0.0.1:9"}, load_settings())
    urls = [r.url for r in start_requests(spider)]
    assert "http://127.0.0.1:9/" in urls and any(u.endswith(".xml") or "rss" in u for u in urls)


def test_addon_switches_on_only_with_redis_url():
    off = Settings({"SCHEDULER": "scrapy.core.scheduler.Scheduler"})
    DistributedAddon().update_settings(off)
    assert off["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"
    assert START_MIDDLEWARE not in off.getwithbase("SPIDER_MIDDLEWARES")

    on = Settings({"REDIS_URL": "redis://127.0.0.1:1/0"})
    DistributedAddon().update_settings(on)
    assert on["SCHEDULER"] == SCHEDULER and on.getbool("SCHEDULER_PERSIST")
    assert START_MIDDLEWARE in on.getwithbase("SPIDER_MIDDLEWARES")


def test_scheduler_idle_before_close_never_blocks_the_reactor(redis_url, caplog):
    """scrapy-redis' SCHEDULER_IDLE_BEFORE_CLOSE turns each empty poll into a blocking pop (a 301-page crawl took
    57 s instead of 4 s): ignored with a warning, and an empty queue answers at once."""
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from crawler.runtime.distributed.scheduler import SharedScheduler

    settings = {"REDIS_URL": redis_url, "NEWSMON_REDIS_PREFIX": f"t{uuid.uuid4().hex[:8]}"}
    crawler = get_crawler(Spider, {**settings, "SCHEDULER_IDLE_BEFORE_CLOSE": 5})
    with caplog.at_level("WARNING", logger="crawler.runtime.distributed.scheduler"):
        scheduler = SharedScheduler.from_crawler(crawler)
    assert scheduler.idle_before_close == 0
    assert "SCHEDULER_IDLE_BEFORE_CLOSE is ignored" in caplog.text
    frontier = Frontier(scheduler.server, Keys(settings["NEWSMON_REDIS_PREFIX"], "example"), "w")
    queue = ReliableQueue(scheduler.server, Spider("example"), frontier.keys.requests, frontier)
    started = time.monotonic()
    assert queue.pop(timeout=5) is None
    assert time.monotonic() - started < 1


def test_redis_url_passwords_stay_out_of_logs():
    assert redact("redis://:s3cret@cache:6379/0") == "redis://***@cache:6379/0"
    assert redact("redis://user:s3cret@cache/1") == "redis://***@cache/1"
    assert redact("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_command_line_seeds_pushes_and_shows_a_sites_frontier(redis_url, server, keys, monkeypatch, capsys):
    """`python -m crawler.runtime.distributed seed|push|status`, settings from the environment as in production."""
    from crawler.runtime.distributed.__main__ import main

    monkeypatch.delenv("REDIS_URL", raising=False)
    assert main(["status", "merkur"]) == 2
    assert "REDIS_URL is not set" in capsys.readouterr().err

    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("NEWSMON_REDIS_PREFIX", keys.prefix)
    site = ["-a", "base_url=http://127.0.0.1:9"]
    assert main(["seed", "merkur", *site]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{keys.site}: started run ") and "start requests queued" in out
    seeded = server.zcard(keys.requests)
    assert seeded > 0
    assert main(["seed", "merkur", *site]) == 0
    assert "a run is in progress; nothing queued" in capsys.readouterr().out
    assert server.zcard(keys.requests) == seeded

    url = "http://127.0.0.1:9/politik/artikel-90000001.html"
    assert main(["push", "merkur", url, url, *site]) == 0
    assert capsys.readouterr().out.startswith(f"{keys.site}: 1 of 2 URLs queued in run ")

    assert main(["status", "merkur", *site]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["site"] == keys.site and status["run"]["by"].startswith("seed:")
    assert status["queued"] == status["seen"] == seeded + 1
    assert status["workers"] == {}
