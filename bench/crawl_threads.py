"""Where a crawl's CPU goes while it crawls: each crawler thread (and how long it waited for a core), the embedded
database server and the local site, between the site's first and last answer (start-up and the store's catching
up left out). One run:

    .venv/bin/python bench/crawl_threads.py [--articles 600] [--seed 7] [--delay 0] [--repeat 2]

Crawls `tests.support.localsite.LocalSite` with `scrapy crawl merkur` as bench/distributed.py does (same settings),
alternating newsmon with the store and without pipelines and extensions, into a fresh database of one embedded
server; samples `/proc/<pid>/task/*/stat` every 20 ms. On a machine others load, pages/s move with the load; the CPU
seconds of the reactor thread (the crawler's first thread) inside the crawl window, with and without the store,
are what to compare (issue 19: docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.distributed import COMMON  # noqa: E402
from bench.procstat import cpu_seconds  # noqa: E402


class Sampler:
    """CPU seconds of every thread of a process and of other whole processes, every 20 ms, with the time."""

    def __init__(self, pid: int, others: dict[str, int]) -> None:
        self.pid, self.others = pid, others
        self.times: list[float] = []
        self.samples: list[dict[str, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        while not self._stop.wait(0.02):
            sample: dict[str, float] = {}
            try:
                tasks = sorted(os.listdir(f"/proc/{self.pid}/task"), key=int)
            except OSError:
                tasks = []
            for rank, task in enumerate(tasks):
                try:
                    fields = Path(f"/proc/{self.pid}/task/{task}/stat").read_text().rsplit(")", 1)[1].split()
                    waited = int(Path(f"/proc/{self.pid}/task/{task}/schedstat").read_text().split()[1]) / 1e9
                except OSError:
                    continue
                name = "crawler reactor thread" if rank == 0 else f"crawler thread {task}"
                sample[name] = (int(fields[11]) + int(fields[12])) / tick
                sample[f"{name}: waiting for a core"] = waited  # runnable, not running (the kernel's run queue)
            for name, pid in self.others.items():
                with contextlib.suppress(OSError):
                    sample[name] = cpu_seconds(pid)
            self.times.append(time.monotonic())
            self.samples.append(sample)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def between(self, start: float, end: float) -> dict[str, float]:
        """CPU seconds each spent from `start` to `end` (monotonic), those above 0.02 s."""

        def at(moment: float, name: str) -> float:
            index = max(0, min(bisect.bisect_right(self.times, moment) - 1, len(self.samples) - 1))
            return next((s[name] for s in reversed(self.samples[: index + 1]) if name in s), 0.0)

        names = {name for sample in self.samples for name in sample}
        spent = {name: round(at(end, name) - at(start, name), 2) for name in sorted(names)}
        return {name: value for name, value in spent.items() if value > 0.02}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--repeat", type=int, default=2, help="pairs of runs (with the store, without)")
    args = parser.parse_args()

    from crawler.store.embedded.launcher import ensure_embedded_server, stop_embedded_server
    from tests.support.localsite import LocalSite

    tmp = Path(tempfile.mkdtemp(prefix="newsmon-bench-threads-"))
    server = ensure_embedded_server(tmp / "embedded", port=0)
    site = LocalSite(n_articles=args.articles, seed=args.seed)
    try:
        with site.serve(port=0) as base_url:
            site.warm()
            if args.delay > 0:
                site.set_fault(".", "slow", delay=args.delay)
            for run in range(args.repeat * 2):
                store = run % 2 == 0
                env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SCRAPY_SETTINGS_MODULE")}
                env.update(
                    MONGO_URI=server.uri,
                    NEWSMON_MONGO_DB=f"bench_threads_{uuid.uuid4().hex[:6]}",
                    NEWSMON_DATA_DIR=str(tmp / f"data{run}"),
                    SCRAPY_SETTINGS_MODULE="crawler.settings",
                    NEWSMON_RENDER_SAMPLE_PAGES=env.get("NEWSMON_RENDER_SAMPLE_PAGES", "0"),
                )
                command = [sys.executable, "-m", "scrapy", "crawl", "merkur", "-a", f"base_url={base_url}", *COMMON,
                           "-s", f"LOG_FILE={tmp / f'crawl{run}.log'}"]  # fmt: skip
                if not store:
                    command += ["-s", "ITEM_PIPELINES={}", "-s", "EXTENSIONS={}"]
                site.clear_requests()
                process = subprocess.Popen(command, env=env, cwd=PROJECT)
                sampler = Sampler(process.pid, {"database server": server.pid, "site (this process)": os.getpid()})
                code = process.wait(timeout=1800)
                sampler.stop()
                records = [r for r in site.requests if r.path != "/robots.txt"]
                first, last = min(r.at for r in records), max(r.at for r in records)
                print(json.dumps({
                    "config": "newsmon" if store else "newsmon, no store", "exit": code, "pages": len(records),
                    "crawl_s": round(last - first, 2), "pages_per_s": round(len(records) / (last - first), 1),
                    "cpu_s_in_crawl": sampler.between(first, last), "load": round(os.getloadavg()[0], 2),
                }), flush=True)  # fmt: skip
    finally:
        stop_embedded_server(tmp / "embedded")


if __name__ == "__main__":
    main()
