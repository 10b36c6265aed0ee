"""A run's record (`crawl_runs`) survives SIGTERM during a long shutdown, once or twice
(crawler/runtime/extensions/crawl_runs.py: the reactor's "before shutdown" trigger writes the run's end)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.crawling import crawl
from tests.support.localsite import LocalSite


def wait_for(log: Path, text: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not (log.exists() and text in log.read_text(encoding="utf-8", errors="replace")):
        assert process.poll() is None, f"the crawl ended before {text!r}"
        assert time.monotonic() < deadline, f"no {text!r} in the log"
        time.sleep(0.05)


@pytest.mark.parametrize("signals", [1, 2])
def test_the_run_is_recorded_when_sigterm_arrives_during_shutdown(signals, mongo_uri, db, tmp_path):
    site = LocalSite(n_articles=8, seed=31)
    site.set_fault(r"^/$", "link_flood", links=3000)  # 3,000 teasers for the store to write at the close
    slow_close = ["-s", "NEWSMON_LISTING_MAX_LINKS=0", "-a", "max_articles=3"]
    slow_close += ["-s", "NEWSMON_STORE_FLUSH_SECONDS=3600", "-s", "NEWSMON_STORE_BATCH_SIZE=100000"]
    with site.serve(port=0) as base_url:
        process = crawl(base_url, mongo_uri, db, tmp_path, *slow_close, "-s", "NEWSMON_RENDER=never", wait=False)
        log = tmp_path / "crawl-0.log"
        try:
            wait_for(log, "Closing spider (finished)", process)
            time.sleep(0.3)
            for _ in range(signals):
                process.send_signal(signal.SIGTERM)
                time.sleep(0.5)
            process.wait(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
    text = log.read_text(encoding="utf-8")
    assert "Received SIGTERM" in text, "the signal came during the shutdown"
    run = db.crawl_runs.find_one()
    assert run is not None and run["status"] != "running", run
    assert run["finished_at"] is not None and run["counts"]["requests"] > 0
    if signals == 2:
        assert "forcing unclean shutdown" in text
        assert run["status"] == "interrupted" and "before the run's end was recorded" in run["stop_reason"]


def test_a_run_end_the_database_does_not_take_is_spooled_for_the_store_destination(tmp_path):
    """At a forced shutdown with the database away, the run's end waits on disk where the next crawl to the same
    database replays it: under the store's destination, not loose in `spool/` (never replayed since batches keep
    their destination)."""
    import socket
    from types import SimpleNamespace

    from scrapy.settings import Settings

    from crawler.store.facade import Store
    from crawler.store.spool import Spool

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    store = Store.__new__(Store)  # only what the last word needs
    store.crawler = SimpleNamespace(
        settings=Settings({"NEWSMON_DATA_DIR": str(tmp_path), "NEWSMON_STORE_TIMEOUT_MS": 200})
    )
    store._runtime = SimpleNamespace(uri=f"mongodb://127.0.0.1:{dead}/?directConnection=true", destination="embedded/x")
    store._run_start = {"_id": "run-1", "spider": "merkur", "status": "running"}
    store._run_end = {"_id": "run-1", "status": "interrupted", "stop_reason": "shutdown"}
    store.run_end_now()
    (path,) = Spool(tmp_path / "spool", "embedded/x").files()
    kind, docs = Spool(tmp_path / "spool", "embedded/x").read(path)
    assert kind == "crawl_run" and docs[0]["_id"] == "run-1" and docs[0]["status"] == "interrupted"
    assert list((tmp_path / "spool").glob("*.jsonl")) == []
