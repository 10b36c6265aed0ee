"""`crawl_runs` as the scheduler sees it: runs settled after their process ended, and runs that died unrecorded.

A crawl records itself (`crawler.runtime.extensions.crawl_runs.CrawlRunRecorder`): `running` at its start, its end state
at its end. A crawl killed in between (SIGKILL, out of memory, a crash) stays `running` until someone
who saw it end says so: the scheduler, which knows each child's pid and exit code, or the next crawl on the same
host, which finds the recorded pid gone (`settle_dead_runs`). A crawl that died before it could record anything
still gets a document, so every scheduled run is visible.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import UTC, datetime
from typing import Any

import pymongo
from pymongo.database import Database
from pymongo.errors import PyMongoError

from crawler.config import data_dir
from crawler.store import schema
from crawler.store.connection import connect, redact_text
from crawler.store.spool import Spool

logger = logging.getLogger(__name__)

RUNNING = "running"
FAILED = "failed"

LAST_WORD_TIMEOUT = 15.0
"""Seconds the run's end may take to reach the database at a forced shutdown before it goes to the spool. The
embedded server applies one write command at a time, so the run's end waits behind the store's last batch (a
3,000-teaser close took 4 s): 3 s sent it to the spool, where it waited for the next crawl."""


def find_run(db: Database, host: str, pid: int, since: datetime) -> dict[str, Any] | None:
    """The run document a crawl process wrote (its host and pid, started after `since`)."""
    return db[schema.CRAWL_RUNS].find_one(
        {"host": host, "pid": pid, "started_at": {"$gte": since}}, sort=[("started_at", -1)]
    )


def settle_run(db: Database, run: dict[str, Any] | None, outcome: dict[str, Any]) -> str:
    """Complete what the crawl could not: a run still `running` after its process ended gets the scheduler's
    verdict (`outcome["status"]`: `failed`, or `interrupted` when the scheduler itself stopped it); a run that
    recorded its end only gains the scheduler's facts (`exit_code`, `scheduled`). Without a document, one is
    written."""
    now = datetime.now(UTC)
    if run is None:
        doc = {
            "_id": f"{now:%Y%m%dT%H%M%SZ}-sched-{uuid.uuid4().hex[:8]}",
            "finished_at": now,
            "counts": {},
            **outcome,
        }
        doc.setdefault("status", FAILED)
        db[schema.CRAWL_RUNS].insert_one(doc)
        return doc["_id"]
    update: dict[str, Any] = {k: v for k, v in outcome.items() if k in ("exit_code", "scheduled", "log_file")}
    # Still `running` (killed, crashed), or `finished` by its own account but exit code 1 (it could not do what it
    # was asked: every start request failed): the scheduler's verdict stands.
    if run.get("status") == RUNNING or (outcome.get("exit_code") and outcome.get("status") == FAILED):
        update.update(status=outcome.get("status", FAILED), stop_reason=outcome.get("stop_reason"), finished_at=now)
        if outcome.get("log_tail"):
            update["log_tail"] = outcome["log_tail"]
    db[schema.CRAWL_RUNS].update_one({"_id": run["_id"]}, {"$set": update})
    return str(run["_id"])


def write_run_now(settings: Any, uri: str, spool_destination: str, doc: dict[str, Any]) -> None:
    """A run's end written past the batch writer, when a signal stopped it first: straight to the database on a
    client of its own (the store's may be closed by now), else to the spool of the store's destination, which
    the next crawl to that database replays (crawler/store/spool.py)."""
    fields = {k: v for k, v in doc.items() if k != "_id"}
    client, db = connect(settings, uri)
    try:
        with pymongo.timeout(LAST_WORD_TIMEOUT):
            db[schema.CRAWL_RUNS].update_one({"_id": doc["_id"]}, {"$set": fields}, upsert=True)
        return
    except PyMongoError as exc:
        logger.warning("The run's end goes to the spool: %s", redact_text(str(exc).split(", Timeout:")[0], uri))
    finally:
        client.close()
    try:
        Spool(data_dir(settings) / "spool", spool_destination).put("crawl_run", [doc])
    except OSError as exc:
        logger.error("The run's end could not be kept: %s", exc)


def settle_dead_runs(db: Database, host: str) -> list[str]:
    """Runs of this host still `running` whose process is gone (a kill, a crash, or a scheduler killed with them)."""
    settled = []
    for run in db[schema.CRAWL_RUNS].find({"status": RUNNING, "host": host}, {"pid": 1}):
        pid = run.get("pid")
        if isinstance(pid, int) and not pid_alive(pid):
            result = db[schema.CRAWL_RUNS].update_one(
                {"_id": run["_id"], "status": RUNNING},
                {
                    "$set": {
                        "status": FAILED,
                        "stop_reason": "died (its process was gone when the scheduler or a later crawl looked)",
                        "finished_at": datetime.now(UTC),
                    }
                },
            )
            if result.modified_count:
                settled.append(str(run["_id"]))
    return settled


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
