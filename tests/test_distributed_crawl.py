"""End to end in distributed mode: `scrapy crawl merkur` processes sharing one Redis, killed, and Redis restarted."""

from __future__ import annotations

import collections
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from crawler.runtime.distributed.keys import Keys
from tests.support.crawling import crawl, stored_ids
from tests.support.localsite import LocalSite
from tests.support.redis_server import LocalRedis

ARTICLE = r"^/(?:[a-z0-9-]+/)+(?:[a-z0-9-]*-)?\d{8}\.html$"


@pytest.fixture
def local_redis() -> Iterator[LocalRedis]:
    server = LocalRedis()
    server.start()
    yield server
    server.close()


def worker(
    base_url: str,
    mongo_uri: str,
    db,
    tmp_path: Path,
    name: str,
    redis_url: str,
    prefix: str,
    *extra: str,
    timeout: float = 10,
) -> subprocess.Popen:
    """A crawler process; `timeout`: its heartbeat's (short where a test kills a process, else loose: a loaded
    machine must not make a slow live worker look dead)."""
    return crawl(
        base_url,
        mongo_uri,
        db,
        tmp_path / name,
        "-s", f"REDIS_URL={redis_url}",
        "-s", f"NEWSMON_REDIS_PREFIX={prefix}",
        "-s", f"NEWSMON_REDIS_WORKER_TIMEOUT={timeout}",
        "-s", "MAX_IDLE_TIME_BEFORE_CLOSE=1",
        "-s", "AUTOTHROTTLE_ENABLED=False",
        *extra,
        wait=False,
    )  # fmt: skip


def finish(*processes: subprocess.Popen, exit_codes: frozenset[int] = frozenset({0})) -> list[int]:
    """Wait for every process before judging any (a failed assertion must not leave one running: its Popen
    would warn of a subprocess still running in a later test); their exit codes, each one of `exit_codes`."""
    codes = []
    for process in processes:
        try:
            codes.append(process.wait(timeout=240))
        except subprocess.TimeoutExpired:
            process.kill()
            codes.append(process.wait())
    assert set(codes) <= exit_codes, codes
    return codes


def article_fetches(site: LocalSite) -> collections.Counter[str]:
    return collections.Counter(r.path for r in site.requests if re.match(ARTICLE, r.path) and r.status == 200)


def log_of(tmp_path: Path, name: str) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in (tmp_path / name).glob("crawl-*.log"))


def frontier_is_empty(redis_url: str, prefix: str) -> bool:
    client = redis.Redis.from_url(redis_url)
    keys = Keys(prefix, "merkur.de")
    left = [k for k in client.keys(f"{prefix}:*") if k.decode() != keys.seen]
    client.close()
    return left == []


def wait_for_fetches(site: LocalSite, at_least: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while sum(article_fetches(site).values()) < at_least:
        assert time.monotonic() < deadline, "the crawl did not get going"
        time.sleep(0.05)


def test_two_processes_share_one_queue_and_seen_set(mongo_uri, db, tmp_path, local_redis):
    site = LocalSite(n_articles=60, seed=11)
    prefix = f"t{uuid.uuid4().hex[:8]}"
    with site.serve(port=0) as base_url:
        a = worker(base_url, mongo_uri, db, tmp_path, "a", local_redis.url, prefix)
        b = worker(base_url, mongo_uri, db, tmp_path, "b", local_redis.url, prefix)
        finish(a, b)

    expected = {f"merkur.de:{article.id}" for article in site.articles}
    assert stored_ids(db) == expected
    fetches = article_fetches(site)
    assert len(fetches) == len(expected) and set(fetches.values()) == {1}, "each article fetched exactly once"
    pages = collections.Counter(r.path for r in site.requests if r.path != "/robots.txt")
    assert max(pages.values()) == 1, "no page fetched twice"
    logs = {name: log_of(tmp_path, name) for name in "ab"}
    assert all("'newsmon/distributed/acknowledged'" in text for text in logs.values()), "both took requests"
    assert sum("started run" in text for text in logs.values()) == 1  # one seeded the run, the other joined
    assert "the run is finished" in logs["a"] + logs["b"]
    assert frontier_is_empty(local_redis.url, prefix)
    assert {run["status"] for run in db.crawl_runs.find()} == {"finished"}


def test_a_killed_process_loses_no_request(mongo_uri, db, tmp_path, local_redis):
    site = LocalSite(n_articles=60, seed=12)
    site.set_fault(ARTICLE, "slow", delay=0.25)  # long enough to kill a worker with requests in flight
    prefix = f"t{uuid.uuid4().hex[:8]}"
    with site.serve(port=0) as base_url:
        a = worker(base_url, mongo_uri, db, tmp_path, "a", local_redis.url, prefix, timeout=3)
        b = worker(base_url, mongo_uri, db, tmp_path, "b", local_redis.url, prefix, timeout=3)
        wait_for_fetches(site, 15)
        a.send_signal(signal.SIGKILL)
        a.wait()
        finish(b)
        assert stored_ids(db) == {f"merkur.de:{article.id}" for article in site.articles}
        assert "stopped beating" in log_of(tmp_path, "b")

        # Killed alone: the next process started takes its requests up.
        site.clear_requests()
        prefix = f"t{uuid.uuid4().hex[:8]}"
        other = LocalSite(n_articles=40, seed=13)
        other.set_fault(ARTICLE, "slow", delay=0.25)
    with other.serve(port=0) as base_url:
        c = worker(base_url, mongo_uri, db, tmp_path, "c", local_redis.url, prefix, timeout=3)
        wait_for_fetches(other, 10)
        c.send_signal(signal.SIGKILL)
        c.wait()
        d = worker(base_url, mongo_uri, db, tmp_path, "d", local_redis.url, prefix, timeout=3)
        finish(d)
        assert "joined run" in log_of(tmp_path, "d")
    assert {f"merkur.de:{article.id}" for article in other.articles} <= stored_ids(db)
    assert frontier_is_empty(local_redis.url, prefix)


def test_redis_restarted_mid_run_pauses_the_crawl_and_it_goes_on(mongo_uri, db, tmp_path, local_redis):
    site = LocalSite(n_articles=60, seed=14)
    site.set_fault(ARTICLE, "slow", delay=0.2)
    prefix = f"t{uuid.uuid4().hex[:8]}"
    with site.serve(port=0) as base_url:
        a = worker(base_url, mongo_uri, db, tmp_path, "a", local_redis.url, prefix)
        wait_for_fetches(site, 10)
        local_redis.restart(down_seconds=2.0)
        finish(a)

    assert stored_ids(db) == {f"merkur.de:{article.id}" for article in site.articles}
    fetches = article_fetches(site)
    assert set(fetches.values()) == {1}, "nothing fetched twice across the restart"
    log = log_of(tmp_path, "a")
    assert re.search(r"Redis at redis://127\.0\.0\.1:\d+/0 does not answer .*: crawl paused", log)
    assert re.search(r"Redis at .* answers again after [\d.]+ s: crawl resumed", log)
    assert frontier_is_empty(local_redis.url, prefix)
