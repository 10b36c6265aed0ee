"""`newsmon schedule`: run each configured spider on its interval, unattended, until told to stop.

Each run is a `scrapy crawl` subprocess (its own reactor, memory and log file), started when its job is due. The
scheduler never overlaps two runs of one spider and site: a run holds an OS lock (`fcntl.flock`) on
`<data dir>/locks/<spider>-<site>.lock`, inherited by the crawl, so the lock is held exactly as long as a process
of that run lives and a crash or a kill of either releases it; a second scheduler on the same data dir skips a
job whose lock is taken. A run that fails (exit code, a crash, a kill) is recorded and the next one starts on
time. Every run is in `crawl_runs`: the crawl records itself, and after it exits the scheduler adds its exit
code, marks a run still `running` as `failed` (killed, crashed) and writes a document for a run that died before
it could (see `crawler.store.runs`).

SIGINT or SIGTERM: no new runs; running crawls get one SIGINT (Scrapy's graceful stop: the run finishes its
writes and records `interrupted`), are waited for up to `stop_timeout` seconds, then killed; exit code 0.

The schedule is a TOML file (`--config`, or the `NEWSMON_SCHEDULE` setting):

    max_parallel = 2          # runs at once, all jobs together
    stop_timeout = 60         # seconds a crawl may take to stop after SIGINT
    refresh = "due"           # the jobs' default `-a refresh=` (the revisit policy)

    [[jobs]]
    spider = "merkur"
    every = "15m"
    args = { section = "politik" }          # spider arguments (-a)
    settings = { NEWSMON_REVISIT_BUDGET = 300 }   # Scrapy settings (-s)
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from crawler.discover.revisit.policy import parse_duration
from crawler.store.embedded.private import private_dir, private_opener

logger = logging.getLogger(__name__)

TICK = 0.2
JOB_KEYS = {"spider", "every", "args", "settings", "name"}
TOP_KEYS = {"jobs", "max_parallel", "stop_timeout", "refresh", "log_dir"}


class ScheduleError(ValueError):
    """A schedule that cannot be run; the message says which job and key."""


@dataclass(frozen=True)
class Job:
    spider: str
    every: timedelta
    args: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    name: str = ""

    @property
    def key(self) -> str:
        """The lock's name: one run at a time per spider and site (`-a site=` or `-a config=`)."""
        target = self.args.get("site") or Path(self.args.get("config") or "").stem
        return re.sub(r"[^A-Za-z0-9._-]+", "_", f"{self.spider}-{target}" if target else self.spider)


@dataclass(frozen=True)
class Schedule:
    jobs: tuple[Job, ...]
    max_parallel: int = 2
    stop_timeout: float = 60.0
    log_dir: Path | None = None


MAX_EVERY = timedelta(days=3660)
"""Ten years: anything longer is a typo (and `999999999999d` would not fit a timedelta)."""
MAX_PARALLEL = 64


def load_schedule(path: str | Path) -> Schedule:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ScheduleError(f"{path}: not UTF-8 text (byte {exc.start}); TOML files are UTF-8") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScheduleError(f"{path}: {exc}") from exc
    return schedule_from_dict(data, str(path))


def schedule_from_dict(data: Mapping[str, Any], source: str = "schedule") -> Schedule:
    """A checked schedule: every key's type and range, with a message naming the job and key."""
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise ScheduleError(
            f"{source}: unknown keys {', '.join(sorted(unknown))}; known: {', '.join(sorted(TOP_KEYS))}"
        )
    raw_jobs = data.get("jobs") or []
    if not isinstance(raw_jobs, list):
        raise ScheduleError(f"{source}: jobs: expected [[jobs]] tables, got {_shown(raw_jobs)}")
    if not raw_jobs:
        raise ScheduleError(f"{source}: no [[jobs]]")
    refresh = _refresh(data.get("refresh", "due"), f"{source}: refresh")
    jobs = []
    for index, raw in enumerate(raw_jobs, 1):
        where = f"{source}: job {index}"
        if not isinstance(raw, dict):
            raise ScheduleError(f"{where}: a job is a table ([[jobs]])")
        if isinstance(raw.get("name"), str) and raw["name"]:
            where += f" ({raw['name']})"
        elif isinstance(raw.get("spider"), str) and raw["spider"]:
            where += f" ({raw['spider']})"
        unknown = set(raw) - JOB_KEYS
        if unknown:
            raise ScheduleError(
                f"{where}: unknown keys {', '.join(sorted(unknown))}; known: {', '.join(sorted(JOB_KEYS))}"
            )
        if not raw.get("spider"):
            raise ScheduleError(f"{where}: missing spider")
        spider = _text(raw["spider"], f"{where}: spider")
        name = _text(raw.get("name") or spider, f"{where}: name")
        every = _every(raw.get("every", ""), f"{where}: every")
        args = {k: _setting(v) for k, v in _table(raw.get("args"), f"{where}: args").items()}
        if "refresh" in args:
            _refresh(args["refresh"], f"{where}: args.refresh")
        args.setdefault("refresh", refresh)
        settings = {k: _setting(v) for k, v in _table(raw.get("settings"), f"{where}: settings").items()}
        jobs.append(Job(spider, every, args, settings, name))
    keys = [job.key for job in jobs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ScheduleError(
            f"{source}: two jobs for one spider and site ({', '.join(twice)}): they share one lock, merge them"
        )
    log_dir = data.get("log_dir")
    return Schedule(
        tuple(jobs),
        max_parallel=max_parallel(data.get("max_parallel", 2), f"{source}: max_parallel"),
        stop_timeout=_seconds(data.get("stop_timeout", 60.0), f"{source}: stop_timeout"),
        log_dir=Path(_text(log_dir, f"{source}: log_dir")).expanduser() if log_dir is not None else None,
    )


def max_parallel(value: object, where: str = "max_parallel") -> int:
    """Runs at once: a whole number from 1 to MAX_PARALLEL (the file's key and `--max-parallel`)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PARALLEL:
        raise ScheduleError(f"{where}: expected a whole number from 1 to {MAX_PARALLEL}, got {_shown(value)}")
    return value


def _seconds(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 86400:
        raise ScheduleError(f"{where}: expected seconds from 0 to 86400, got {_shown(value)}")
    return float(value)


def _every(value: object, where: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, str):
        raise ScheduleError(f'{where}: expected a duration such as "15m" (a string), got {_shown(value)}')
    try:
        every = parse_duration(value)
    except (ValueError, OverflowError) as exc:
        message = str(exc) if isinstance(exc, ValueError) else f"{value!r} is too long"
        raise ScheduleError(f"{where}: {message}") from None
    if every.total_seconds() <= 0:
        raise ScheduleError(f"{where}: must be positive")
    if every > MAX_EVERY:
        raise ScheduleError(f"{where}: {value!r} is longer than {MAX_EVERY.days} days")
    return every


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ScheduleError(f"{where}: expected a non-empty string, got {_shown(value)}")
    return value


def _refresh(value: object, where: str) -> str:
    from crawler.discover.revisit.planner import REFRESH_MODES

    if not isinstance(value, str) or value.strip().lower() not in REFRESH_MODES:
        raise ScheduleError(f"{where}: expected one of {', '.join(REFRESH_MODES)}, got {_shown(value)}")
    return value


def _table(value: object, where: str) -> dict[str, Any]:
    """`args`/`settings`: a table of names to plain values (string, number, boolean)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ScheduleError(f'{where}: expected a table such as {{ name = "value" }}, got {_shown(value)}')
    for key, item in value.items():
        if not isinstance(item, str | int | float | bool):
            raise ScheduleError(f"{where}.{key}: expected a string, number or boolean, got {_shown(item)}")
    return {str(k): v for k, v in value.items()}


def _shown(value: object) -> str:
    """A value for a one-line message: TOML's type name and a short repr."""
    kinds = {bool: "boolean", int: "integer", float: "float", str: "string", dict: "table", list: "array"}
    text = repr(value)
    return f"{kinds.get(type(value), type(value).__name__)} {text if len(text) <= 40 else text[:37] + '...'}"


def resolve_sites(schedule: Schedule, settings: Any) -> dict[str, str | None]:
    """Each job's site key (for its records), checking that every spider exists: a typo fails at start, not
    every interval. A site config that cannot be read is left to the run (it fails, is recorded, and the
    scheduler goes on)."""
    from scrapy.spiderloader import get_spider_loader

    from crawler.model.sites import SiteConfigError, load_site

    loader = get_spider_loader(settings)
    known = sorted(loader.list())
    sites: dict[str, str | None] = {}
    for job in schedule.jobs:
        if job.spider not in known:
            raise ScheduleError(f"job {job.name}: no spider {job.spider!r}; known: {', '.join(known)}")
        site = job.args.get("site") or getattr(loader.load(job.spider), "site_key", None)
        if job.args.get("config"):
            try:
                site = load_site(job.args["config"]).key
            except SiteConfigError:
                site = None
        sites[job.key] = site
    return sites


def _setting(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class Run:
    job: Job
    process: subprocess.Popen[bytes]
    lock: TextIO
    log: Path
    started: datetime
    stop_sent: bool = False


class Scheduler:
    """The loop: launch due jobs, reap finished runs, settle their records, stop on a signal."""

    def __init__(
        self,
        schedule: Schedule,
        data_dir: Path,
        *,
        db_factory: Callable[[], Any] | None = None,
        sites: Mapping[str, str | None] | None = None,
        python: str = sys.executable,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.schedule = schedule
        self.data_dir = data_dir
        self.log_dir = schedule.log_dir or data_dir / "logs"
        self.lock_dir = data_dir / "locks"
        self.db_factory = db_factory
        self.sites = dict(sites or {})
        self.python = python
        self.env = {**(env if env is not None else os.environ), "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
        self.clock = clock
        self.host = socket.gethostname()
        self.running: dict[str, Run] = {}
        self.next_at: dict[str, float] = {job.key: clock() for job in schedule.jobs}
        self.launched: dict[str, int] = {job.key: 0 for job in schedule.jobs}
        self.stopping = False
        self.results: list[dict[str, Any]] = []

    # -- the loop --------------------------------------------------------------------------------------------------
    def run(self, once: bool = False) -> int:
        """Until SIGINT/SIGTERM (or, with `once`, until every job ran once). Returns the exit code: 0."""
        private_dir(self.lock_dir)
        private_dir(self.log_dir)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        logger.info(
            "Scheduling %d job(s): %s",
            len(self.schedule.jobs),
            ", ".join(f"{job.name} every {span(job.every)}" for job in self.schedule.jobs),
        )
        self._with_db(self._settle_dead, "settle runs left running")
        try:
            while not self.stopping:
                self._reap()
                if once and all(self.launched.values()) and not self.running:
                    break
                self._launch_due(once)
                time.sleep(TICK)
            self._stop_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        logger.info("Scheduler stopped")
        return 0

    def _on_signal(self, signum: int, frame: Any) -> None:
        if not self.stopping:
            logger.info("%s: no new runs; stopping %d running crawl(s)", signal.Signals(signum).name, len(self.running))
        self.stopping = True

    def _launch_due(self, once: bool) -> None:
        now = self.clock()
        for job in self.schedule.jobs:
            if len(self.running) >= self.schedule.max_parallel:
                return
            if job.key in self.running or now < self.next_at[job.key] or (once and self.launched[job.key]):
                continue
            self.next_at[job.key] = now + job.every.total_seconds()
            self._launch(job)

    def _launch(self, job: Job) -> None:
        lock = open(self.lock_dir / f"{job.key}.lock", "a+", opener=private_opener)  # noqa: SIM115 - kept by the run
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            logger.warning("%s: a run of %s is still going (lock held elsewhere); skipped this turn", job.name, job.key)
            self.launched[job.key] += 1
            return
        started = datetime.now(UTC)
        log = self.log_dir / f"{job.key}-{started:%Y%m%dT%H%M%S}.log"
        command = self.command(job, log)
        with open(log, "ab", opener=private_opener) as out:
            process = subprocess.Popen(
                command,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                pass_fds=(lock.fileno(),),  # the crawl holds the lock too, for as long as it lives
                start_new_session=True,  # a Ctrl-C in the terminal reaches the scheduler only: it forwards once
            )
        self.launched[job.key] += 1
        self.running[job.key] = Run(job, process, lock, log, started)
        logger.info("%s: started pid %d (log %s)", job.name, process.pid, log)

    def command(self, job: Job, log: Path) -> list[str]:
        command = [self.python, "-m", "scrapy", "crawl", job.spider]
        for name, value in job.args.items():
            command += ["-a", f"{name}={value}"]
        settings = {"LOG_FILE": str(log), "NEWSMON_PROGRESS_LIVE": "off", **job.settings}
        for name, value in settings.items():
            command += ["-s", f"{name}={value}"]
        return command

    def _reap(self) -> None:
        for key, run in list(self.running.items()):
            code = run.process.poll()
            if code is None:
                continue
            del self.running[key]
            self._finish(run, code)

    def _finish(self, run: Run, code: int) -> None:
        run.lock.close()
        status = "failed"
        if run.stop_sent and code in (0, -signal.SIGINT):
            status, reason = "interrupted", "stopped by the scheduler (SIGINT)"
        elif code < 0:
            reason = f"killed by {signal.Signals(-code).name}"
        elif code:
            reason = f"exit code {code}"
        else:
            reason = "exit code 0"
        outcome = {
            "spider": run.job.spider,
            "site": self.sites.get(run.job.key),
            "args": run.job.args,
            "started_at": run.started,
            "host": self.host,
            "pid": run.process.pid,
            "exit_code": code,
            "status": status,
            "stop_reason": reason,
            "scheduled": run.job.name,
            "log_file": str(run.log),
            "log_tail": _tail(run.log) if code else None,
        }
        level = logging.INFO if code == 0 else logging.WARNING
        logger.log(level, "%s: pid %d ended (%s)", run.job.name, run.process.pid, reason)
        self.results.append(outcome)
        self._with_db(lambda db: self._record(db, run, outcome), f"record the run of {run.job.name}")

    def _record(self, db: Any, run: Run, outcome: dict[str, Any]) -> None:
        from crawler.store import schema
        from crawler.store.runs import find_run, settle_run

        found = find_run(db, self.host, run.process.pid, run.started - timedelta(seconds=5))
        outcome["run_id"] = settle_run(db, found, outcome)
        logger.info("%s", run_summary(run.job.name, db[schema.CRAWL_RUNS].find_one({"_id": outcome["run_id"]}) or {}))

    def _settle_dead(self, db: Any) -> None:
        from crawler.store.runs import settle_dead_runs

        for run_id in settle_dead_runs(db, self.host):
            logger.warning("Run %s was left running by a process that is gone: marked failed", run_id)

    def _stop_all(self) -> None:
        for run in self.running.values():
            if run.process.poll() is None and not run.stop_sent:
                run.process.send_signal(signal.SIGINT)
                run.stop_sent = True
        deadline = self.clock() + self.schedule.stop_timeout
        while self.running and self.clock() < deadline:
            self._reap()
            time.sleep(TICK)
        for run in list(self.running.values()):
            logger.warning(
                "%s: pid %d did not stop in %.0fs: killed", run.job.name, run.process.pid, self.schedule.stop_timeout
            )
            run.process.kill()
            run.process.wait()
        self._reap()

    def _with_db(self, action: Callable[[Any], None], what: str) -> None:
        """Run a database action; the scheduler goes on when the database does not answer."""
        if self.db_factory is None:
            return
        try:
            client, db = self.db_factory()
        except Exception as exc:  # the embedded server may fail to start, a URI may be wrong: go on
            logger.error("Could not %s: %s", what, str(exc).split(", Timeout:")[0][:300])
            return
        try:
            action(db)
        except Exception as exc:
            logger.error("Could not %s: %s", what, str(exc).split(", Timeout:")[0][:300])
        finally:
            client.close()


def run_summary(name: str, doc: dict[str, Any]) -> str:
    """One line per finished run: what it found and what it cost, as `crawl_runs` recorded it."""
    c = doc.get("counts") or {}
    return (
        f"{name}: run {doc.get('_id')} {doc.get('status')}: articles {c.get('articles', 0)} "
        f"(new {c.get('new_articles', 0)}), new versions {c.get('new_versions', 0)}, changes {c.get('changes', 0)}, "
        f"rejects {c.get('rejects', 0)}, health alerts {len(doc.get('health_alerts') or [])}, "
        f"requests {c.get('requests', 0)}"
    )


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])[-4000:]


def span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
