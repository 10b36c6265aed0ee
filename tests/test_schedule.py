"""`newsmon schedule`: jobs on intervals as `scrapy crawl` subprocesses against the local site, into a throwaway
database; locks, failures, kills and signals, and every run in `crawl_runs`."""

from __future__ import annotations

import fcntl
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pymongo.database import Database

from crawler.apps.schedule import Job, ScheduleError, Scheduler, load_schedule, schedule_from_dict
from crawler.store.runs import settle_dead_runs
from tests.support.crawling import PROJECT, crawl
from tests.support.localsite import LocalSite

FAST = {"AUTOTHROTTLE_ENABLED": False, "NEWSMON_STORE_FLUSH_SECONDS": 0.2, "RETRY_TIMES": 0}


@pytest.fixture
def site() -> Iterator[tuple[LocalSite, str]]:
    local = LocalSite(n_articles=6, seed=4)
    with local.serve(port=0) as base_url:
        yield local, base_url


def write_schedule(path: Path, jobs: list[dict], **top) -> Path:
    lines = [f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"' for k, v in top.items()]
    for job in jobs:
        lines.append("[[jobs]]")
        for key in ("spider", "every", "name"):
            if key in job:
                lines.append(f'{key} = "{job[key]}"')
        for key in ("args", "settings"):
            table = {**(FAST if key == "settings" else {}), **job.get(key, {})}
            items = ", ".join(
                f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {str(v).lower()}" for k, v in table.items()
            )
            lines.append(f"{key} = {{ {items} }}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_scheduler(config: Path, mongo_uri: str, db: Database, tmp_path: Path, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "MONGO_URI": mongo_uri,
        "NEWSMON_MONGO_DB": db.name,
        "NEWSMON_DATA_DIR": str(tmp_path / "data"),
    }
    with (tmp_path / "scheduler.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "crawler.apps.cli", "schedule", "--config", str(config), *args],
            env=env,
            cwd=PROJECT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_for(condition: Callable[[], object], timeout: float = 120, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    if process.poll() is None:
        process.send_signal(sig)
    return process.wait(120)


def test_a_schedule_is_checked_before_it_runs(tmp_path):
    good = schedule_from_dict(
        {"jobs": [{"spider": "merkur", "every": "15m"}, {"spider": "ippen", "every": "1h", "args": {"site": "tz.de"}}]}
    )
    assert [j.key for j in good.jobs] == ["merkur", "ippen-tz.de"]
    assert good.jobs[0].args == {"refresh": "due"}, "scheduled runs use the revisit policy unless told otherwise"
    assert good.jobs[1].every == timedelta(hours=1)
    for data, message in [
        ({}, "no \\[\\[jobs\\]\\]"),
        ({"jobs": [{"every": "1h"}]}, "job 1: missing spider"),
        ({"jobs": [{"spider": "merkur", "every": "soon"}]}, "job 1 \\(merkur\\): every: not a duration"),
        ({"jobs": [{"spider": "merkur", "every": "1h", "interval": "2h"}]}, "unknown keys interval"),
        ({"jobs": [{"spider": "merkur", "every": "1h"}, {"spider": "merkur", "every": "2h"}]}, "share one lock"),
        ({"jobs": [{"spider": "merkur", "every": "1h"}], "parallel": 2}, "unknown keys parallel"),
    ]:
        with pytest.raises(ScheduleError, match=message):
            schedule_from_dict(data)
    with pytest.raises(ScheduleError, match=r"missing\.toml"):
        load_schedule(tmp_path / "missing.toml")


def test_the_command_line_of_a_run():
    job = Job("ippen", timedelta(minutes=5), {"site": "tz.de", "refresh": "due"}, {"NEWSMON_REVISIT_BUDGET": "9"})
    scheduler = Scheduler(schedule_from_dict({"jobs": [{"spider": "merkur", "every": "1m"}]}), Path("/tmp/x"))
    command = scheduler.command(job, Path("/tmp/x/logs/run.log"))
    assert command[1:5] == ["-m", "scrapy", "crawl", "ippen"]
    assert " ".join(command[5:]) == (
        "-a site=tz.de -a refresh=due -s LOG_FILE=/tmp/x/logs/run.log -s NEWSMON_PROGRESS_LIVE=off "
        "-s NEWSMON_REVISIT_BUDGET=9"
    )


def test_runs_on_their_interval_never_overlap_failures_are_recorded_and_sigterm_stops_cleanly(
    site, mongo_uri, db, tmp_path
):
    local, base_url = site
    config = write_schedule(
        tmp_path / "schedule.toml",
        [
            {"spider": "merkur", "every": "1s", "args": {"base_url": base_url}},
            {"spider": "news", "every": "1s", "name": "broken", "args": {"config": str(tmp_path / "missing.toml")}},
        ],
        max_parallel=2,
    )
    scheduler = start_scheduler(config, mongo_uri, db, tmp_path)
    try:
        wait_for(lambda: db.crawl_runs.count_documents({"spider": "merkur", "exit_code": 0}) >= 2, what="two runs")
        wait_for(lambda: db.crawl_runs.count_documents({"scheduled": "broken"}) >= 2, what="two failed runs")
    finally:
        assert stop(scheduler) == 0
    log = (tmp_path / "scheduler.log").read_text(encoding="utf-8")
    assert "SIGTERM: no new runs" in log and "Scheduler stopped" in log

    runs = list(db.crawl_runs.find({"spider": "merkur"}).sort("started_at", 1))
    assert len(runs) >= 2 and all(r["status"] in ("finished", "interrupted") for r in runs), runs
    for before, after in itertools.pairwise(runs):
        assert before["finished_at"] <= after["started_at"], "two runs of one spider and site never overlap"
    assert all(r["scheduled"] == "merkur" for r in runs)
    assert [r["exit_code"] for r in runs[:-1]] == [0] * (len(runs) - 1)
    assert runs[-1]["exit_code"] in (0, -signal.SIGINT), "the last run got SIGINT, maybe before Scrapy could catch it"
    assert runs[0]["counts"]["new_articles"] == len(local.articles)

    failed = list(db.crawl_runs.find({"scheduled": "broken", "status": "failed"}))
    assert len(failed) >= 2 and all(f["exit_code"] == 2 for f in failed), failed  # a usage error
    assert all("missing.toml" in f["log_tail"] for f in failed), "the reason is in the record"
    assert db.crawl_runs.count_documents({"status": "running"}) == 0


def test_a_killed_crawl_is_recorded_as_failed_and_the_next_run_starts(site, mongo_uri, db, tmp_path):
    local, base_url = site
    local.set_fault(r"-\d{8}\.html$", "slow", delay=1.0)
    config = write_schedule(
        tmp_path / "schedule.toml",
        [{"spider": "merkur", "every": "1s", "args": {"base_url": base_url}, "settings": {"CONCURRENT_REQUESTS": 1}}],
    )
    scheduler = start_scheduler(config, mongo_uri, db, tmp_path)
    try:
        running = wait_for(lambda: db.crawl_runs.find_one({"status": "running"}), what="a running crawl")
        os.kill(running["pid"], signal.SIGKILL)
        killed = wait_for(
            lambda: db.crawl_runs.find_one({"_id": running["_id"], "status": "failed"}), what="the kill recorded"
        )
        assert killed["stop_reason"] == "killed by SIGKILL" and killed["exit_code"] == -signal.SIGKILL
        local.clear_faults()
        wait_for(lambda: db.crawl_runs.find_one({"status": "finished"}), what="the next run, after the kill")
    finally:
        assert stop(scheduler) == 0


def test_sigint_is_forwarded_once_and_the_run_ends_interrupted(site, mongo_uri, db, tmp_path):
    local, base_url = site
    local.set_fault(r"-\d{8}\.html$", "slow", delay=1.0)
    config = write_schedule(
        tmp_path / "schedule.toml",
        [{"spider": "merkur", "every": "1h", "args": {"base_url": base_url}, "settings": {"CONCURRENT_REQUESTS": 1}}],
    )
    scheduler = start_scheduler(config, mongo_uri, db, tmp_path)
    wait_for(lambda: db.crawl_runs.find_one({"status": "running"}), what="a running crawl")
    assert stop(scheduler, signal.SIGINT) == 0
    (run,) = list(db.crawl_runs.find())
    assert (run["status"], run["stop_reason"], run["exit_code"]) == ("interrupted", "shutdown", 0)


def test_a_run_whose_lock_is_held_elsewhere_is_skipped(site, mongo_uri, db, tmp_path):
    _, base_url = site
    config = write_schedule(
        tmp_path / "schedule.toml", [{"spider": "merkur", "every": "1h", "args": {"base_url": base_url}}]
    )
    locks = tmp_path / "data" / "locks"
    locks.mkdir(parents=True)
    with (locks / "merkur.lock").open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert start_scheduler(config, mongo_uri, db, tmp_path, "--once").wait(60) == 0
        assert db.crawl_runs.count_documents({}) == 0
        assert "still going (lock held elsewhere); skipped" in (tmp_path / "scheduler.log").read_text(encoding="utf-8")
    assert start_scheduler(config, mongo_uri, db, tmp_path, "--once").wait(120) == 0
    assert db.crawl_runs.count_documents({"status": "finished"}) == 1


def test_runs_left_running_by_dead_processes_are_settled(db):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = socket.gethostname()
    now = datetime.now(UTC)
    db.crawl_runs.insert_many(
        [
            {"_id": "dead", "status": "running", "host": host, "pid": dead.pid, "started_at": now},
            {"_id": "alive", "status": "running", "host": host, "pid": os.getpid(), "started_at": now},
            {"_id": "elsewhere", "status": "running", "host": "other-host", "pid": dead.pid, "started_at": now},
        ]
    )
    assert settle_dead_runs(db, host) == ["dead"]
    assert db.crawl_runs.find_one({"_id": "dead"})["status"] == "failed"
    assert {d["_id"] for d in db.crawl_runs.find({"status": "running"})} == {"alive", "elsewhere"}


def test_an_ad_hoc_crawl_settles_the_runs_its_host_left_running(site, mongo_uri, db, tmp_path):
    """Not only the scheduler: a crawl killed by hand is settled by the next crawl on the same host."""
    _, base_url = site
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    started = datetime.now(UTC) - timedelta(hours=1)
    db.crawl_runs.insert_one(
        {"_id": "killed", "status": "running", "host": socket.gethostname(), "pid": dead.pid, "started_at": started}
    )
    crawl(base_url, mongo_uri, db, tmp_path, "-s", "AUTOTHROTTLE_ENABLED=False")
    killed = db.crawl_runs.find_one({"_id": "killed"})
    assert killed["status"] == "failed" and killed["stop_reason"].startswith("died")
    assert db.crawl_runs.count_documents({"status": "finished"}) == 1
    assert "Marked 1 run(s) of dead processes as failed: killed" in (tmp_path / "crawl-0.log").read_text("utf-8")


def test_a_run_that_fetched_nothing_it_was_asked_is_failed_and_each_run_logs_a_summary(site, mongo_uri, db, tmp_path):
    """`-a section=` answered 404: the crawl records itself finished but exits 1, so the run is `failed`; every
    run leaves one summary line in the scheduler's log."""
    _, base_url = site
    for name, args in (("merkur", {"base_url": base_url}), ("gone", {"base_url": base_url, "section": "nosuch"})):
        job = {"spider": "merkur", "every": "1h", "name": name, "args": args}
        config = write_schedule(tmp_path / f"{name}.toml", [job])
        assert start_scheduler(config, mongo_uri, db, tmp_path, "--once").wait(timeout=300) == 0
    gone = db.crawl_runs.find_one({"scheduled": "gone"})
    assert gone["status"] == "failed" and gone["exit_code"] == 1 and gone["stop_reason"] == "exit code 1"
    good = db.crawl_runs.find_one({"scheduled": "merkur"})
    assert good["status"] == "finished" and good["exit_code"] == 0
    log = (tmp_path / "scheduler.log").read_text(encoding="utf-8")
    summary = [line for line in log.splitlines() if f"run {good['_id']} finished: articles" in line]
    assert len(summary) == 1
    assert f"new versions {good['counts']['new_versions']}, changes {good['counts']['changes']}" in summary[0]
    assert f"run {gone['_id']} failed: articles 0" in log


def test_settings_from_the_environment_reach_scheduled_runs(site, mongo_uri, db, tmp_path):
    """The scheduler's environment is its crawls' environment: NEWSMON_REVISIT_BUDGET=7 is what a run uses."""
    _, base_url = site
    config = write_schedule(tmp_path / "s.toml", [{"spider": "merkur", "every": "1h", "args": {"base_url": base_url}}])
    env = {
        **os.environ,
        "MONGO_URI": mongo_uri,
        "NEWSMON_MONGO_DB": db.name,
        "NEWSMON_DATA_DIR": str(tmp_path / "data"),
        "NEWSMON_REVISIT_BUDGET": "7",
    }
    done = subprocess.run(
        [sys.executable, "-m", "crawler.apps.cli", "schedule", "--config", str(config), "--once"],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (log,) = (tmp_path / "data" / "logs").glob("merkur-*.log")
    assert "refresh=due, budget 7," in log.read_text(encoding="utf-8")
