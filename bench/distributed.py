"""Distributed crawling: pages/s of bare Scrapy, newsmon in one process, and newsmon in 1, 2 and 4 processes
sharing Redis, on the same pages of the local site, with duplicate fetches and lost requests. One run:

    .venv/bin/python bench/distributed.py [--articles 600] [--seed 7] [--delay 0] [--json FILE]

Serves `tests.support.localsite.LocalSite(articles, seed)` on 127.0.0.1, starts Debian's redis-server on a free port
and the embedded database (or uses MONGO_URI), and crawls:

- `bare`: a minimal Scrapy spider (this file, run with `scrapy runspider`, Scrapy's default settings) that
  fetches exactly the pages newsmon fetched, in one process: no extraction, no pipelines, no store (the peer);
- `bare + lxml parse`: the same, parsing each page with lxml and nothing more: the floor of any extractor that
  reads the page (where the time goes, not a peer);
- `newsmon, no store`: `scrapy crawl merkur` with `ITEM_PIPELINES={}` and `EXTENSIONS={}`: discovery and
  extraction only (where the time goes);
- `newsmon`: `scrapy crawl merkur` without Redis (Scrapy's own scheduler), into a fresh database;
- `redis xN`: N `scrapy crawl merkur` processes with REDIS_URL, into a fresh database; the run is seeded with
  `crawler.runtime.distributed.seed.push_due` before they start, so every process joins it.

Every configuration has AutoThrottle off and 16 requests at a time per site (newsmon's politeness defaults
would measure the throttle, not the crawler) and robots.txt obeyed. Crawl time is the site's own clock from the
first to the last request it answered (process start-up excluded; reported beside it as wall time). `--delay`
makes every answer wait, as a real publisher's do: on the local site with no delay a page costs the crawler
far more CPU than its download, so the comparison with bare Scrapy measures newsmon's extraction and store. Duplicates:
pages (robots.txt aside: each process reads it) fetched more than once. Lost: articles of the site not fetched or
not stored. CPU: user+system seconds of the crawler processes; server CPU: the same of the embedded database server
and of redis-server during the configuration (where the rest of the time goes). Load: the 1-minute load average
before and after.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import scrapy

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:  # also when Scrapy loads this file as the bare spider (runspider)
    sys.path.insert(0, str(PROJECT))

from bench.procstat import cpu_seconds, rss_kib  # noqa: E402

GOAL = 0.7
"""newsmon in one process at >= 70% of bare Scrapy's pages/s (issue 10)."""
COMMON = [
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "CONCURRENT_REQUESTS=16",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "-s", "ROBOTSTXT_OBEY=True",
    "-s", "LOG_LEVEL=INFO",
]  # fmt: skip


class BareSpider(scrapy.Spider):
    """Fetches the pages listed in `-a urls=FILE`; reads nothing."""

    name = "bare"

    def __init__(self, urls: str = "", parse: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url_file = urls
        self.lxml = parse == "lxml"

    async def start(self):  # type: ignore[no-untyped-def]
        for line in Path(self.url_file).read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield scrapy.Request(line.strip(), callback=self.parse, dont_filter=True)

    def parse(self, response):  # type: ignore[no-untyped-def]
        if self.lxml:
            import lxml.html

            lxml.html.document_fromstring(response.text)


class PeakRss:
    """Peak resident memory of each of a set of processes, sampled every 0.2 s."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak: dict[int, int] = dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            for pid in self.pids:
                with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                    self.peak[pid] = max(self.peak[pid], (rss_kib(pid) or 0) // 1024)

    def stop(self) -> list[int]:
        self._stop.set()
        self._thread.join()
        return [self.peak[p] for p in self.pids]


def run_processes(commands: list[tuple[list[str], dict[str, str], Path]]) -> tuple[float, float, list[int], float]:
    """Start them together, wait; (wall seconds, CPU seconds of the children, peak RSS MB of each, the monotonic
    time the last one exited)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    processes = [subprocess.Popen(cmd, env=env, cwd=cwd) for cmd, env, cwd in commands]
    memory = PeakRss([p.pid for p in processes])
    codes = [p.wait(timeout=1800) for p in processes]
    ended = time.monotonic()
    wall = ended - start
    peaks = memory.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if any(codes):
        raise SystemExit(f"a crawl failed: exit codes {codes}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peaks, ended


def cpu_of(pid: int | None) -> float:
    """User+system CPU seconds of a running process (0 when there is none or it is gone)."""
    if pid is None:
        return 0.0
    try:
        return cpu_seconds(pid)
    except OSError:
        return 0.0


def measure(
    name: str, site: Any, commands: list, db: Any | None, processes: int, servers: dict[str, int | None]
) -> dict[str, Any]:
    """`servers`: pids of the embedded database and redis-server (None: not here, e.g. MONGO_URI)."""
    site.clear_requests()
    load_before = os.getloadavg()[0]
    server_cpu = {name: cpu_of(pid) for name, pid in servers.items()}
    wall, cpu, peaks, ended = run_processes(commands)
    server_cpu = {name: round(cpu_of(pid) - server_cpu[name], 2) for name, pid in servers.items() if pid}
    records = [r for r in site.requests if r.path != "/robots.txt"]
    counts = collections.Counter(r.path for r in records)
    fetched_ok = {r.path for r in records if r.status == 200}
    articles = {a.path for a in site.articles}
    crawl = max(r.at for r in records) - min(r.at for r in records)
    article_paths = {a.path for a in site.articles}
    article_pages = sum(1 for r in records if r.path in article_paths)
    result: dict[str, Any] = {
        "config": name,
        "processes": processes,
        "pages": len(records),
        "crawl_s": round(crawl, 2),
        "pages_per_s": round(len(records) / crawl, 1),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "pages_per_cpu_s": round(len(records) / cpu, 1) if cpu else None,
        "cpu_ms_per_page": round(1000 * cpu / len(records), 2),
        "cpu_ms_per_article_page": round(1000 * cpu / article_pages, 2) if article_pages else None,
        # From the site's last answer to the crawl's exit, which waits for the store to write everything.
        "tail_s": round(ended - max(r.at for r in records), 2),
        "server_cpu_s": server_cpu,
        "duplicates": sum(n - 1 for n in counts.values() if n > 1),
        "not_fetched": len(articles - fetched_ok),
        "peak_rss_mb": peaks,
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }
    if db is not None:
        stored = db.articles.count_documents({})
        result["stored"] = stored
        result["lost"] = len(articles - fetched_ok) + (len(articles) - stored)
        if server_cpu.get("database") is not None and stored:
            result["database_cpu_ms_per_article"] = round(1000 * server_cpu["database"] / stored, 2)
    print(json.dumps(result), flush=True)
    return result


def machine() -> dict[str, Any]:
    """What the figures were taken on: cores, Python, Scrapy, scrapy-redis, redis-py and redis-server."""
    from importlib.metadata import version

    server = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "scrapy": scrapy.__version__,
        "scrapy_redis": version("scrapy-redis"),
        "redis_py": version("redis"),
        "redis_server": next((w[2:] for w in server if w.startswith("v=")), "?"),
    }


def newsmon_command(base_url: str, log: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "scrapy", "crawl", "merkur", "-a", f"base_url={base_url}", *COMMON,
            "-s", f"LOG_FILE={log}", *extra]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--processes", default="1,2,4", help="process counts sharing Redis")
    parser.add_argument(
        "--delay", type=float, default=0.0, help="seconds the site waits before each answer (a publisher's latency)"
    )
    parser.add_argument("--json", type=Path, default=PROJECT / "bench" / "results" / "distributed.json")
    args = parser.parse_args()
    load_at_start = [round(x, 2) for x in os.getloadavg()]

    from pymongo import MongoClient

    from crawler.config import load_settings
    from crawler.runtime.distributed.seed import push_due
    from crawler.store.embedded.launcher import ensure_embedded_server, stop_embedded_server
    from tests.support.localsite import LocalSite
    from tests.support.redis_server import LocalRedis

    tmp = Path(tempfile.mkdtemp(prefix="newsmon-bench-dist-"))
    embedded = None
    servers: dict[str, int | None] = {"database": None}
    mongo_uri = os.environ.get("MONGO_URI")
    if not mongo_uri:
        embedded = tmp / "embedded"
        server = ensure_embedded_server(embedded, port=0)
        mongo_uri, servers["database"] = server.uri, server.pid
    client: MongoClient = MongoClient(mongo_uri)
    site = LocalSite(n_articles=args.articles, seed=args.seed)
    results: list[dict[str, Any]] = []
    redis = LocalRedis(tmp / "redis")
    try:
        redis_url = redis.start()
        servers["redis"] = redis.process.pid if redis.process else None
        with site.serve(port=0) as base_url:
            site.warm()
            if args.delay > 0:
                site.set_fault(".", "slow", delay=args.delay)
            base_env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SCRAPY_SETTINGS_MODULE")}
            base_env["MONGO_URI"] = mongo_uri
            # A site's first run also renders a sample of its listing pages (issue 14: do scripts add teasers?),
            # once a week per site; the bench measures steady crawling. Set it in the environment to include it.
            base_env.setdefault("NEWSMON_RENDER_SAMPLE_PAGES", "0")

            def env_for(db: str, name: str, **extra: str) -> dict[str, str]:
                return {**base_env, "NEWSMON_MONGO_DB": db, "NEWSMON_DATA_DIR": str(tmp / name / "data"),
                        "SCRAPY_SETTINGS_MODULE": "crawler.settings", **extra}  # fmt: skip

            db_name = f"bench_dist_{uuid.uuid4().hex[:6]}"
            (tmp / "newsmon").mkdir()
            cmd = newsmon_command(base_url, tmp / "newsmon" / "crawl.log")
            results.append(
                measure("newsmon", site, [(cmd, env_for(db_name, "newsmon"), PROJECT)], client[db_name], 1, servers)
            )
            urls = tmp / "urls.txt"
            urls.write_text("\n".join(base_url + r.path for r in site.requests if r.path != "/robots.txt"))
            client.drop_database(db_name)

            bare = [sys.executable, "-m", "scrapy", "runspider", str(Path(__file__).resolve()), "-a", f"urls={urls}",
                    *COMMON, "-s", "TELNETCONSOLE_ENABLED=False", "-s", f"LOG_FILE={tmp / 'bare.log'}"]  # fmt: skip
            results.insert(0, measure("bare Scrapy", site, [(bare, dict(base_env), tmp)], None, 1, servers))
            parsing = [*bare, "-a", "parse=lxml"]
            results.insert(
                1, measure("bare Scrapy + lxml parse", site, [(parsing, dict(base_env), tmp)], None, 1, servers)
            )
            (tmp / "nostore").mkdir()
            cmd = newsmon_command(
                base_url, tmp / "nostore" / "crawl.log", "-s", "ITEM_PIPELINES={}", "-s", "EXTENSIONS={}"
            )
            results.insert(
                2, measure("newsmon, no store", site, [(cmd, env_for(db_name, "nostore"), PROJECT)], None, 1, servers)
            )

            for n in (int(x) for x in args.processes.split(",")):
                db_name = f"bench_dist_{uuid.uuid4().hex[:6]}"
                prefix = f"bench{uuid.uuid4().hex[:6]}"
                extra = {"REDIS_URL": redis_url, "NEWSMON_REDIS_PREFIX": prefix}
                push_due("merkur", {"base_url": base_url}, load_settings(extra))
                commands = []
                for i in range(n):
                    name = f"redis{n}-{i}"
                    (tmp / name).mkdir()
                    commands.append(
                        (newsmon_command(base_url, tmp / name / "crawl.log"), env_for(db_name, name, **extra), PROJECT)
                    )
                results.append(measure(f"newsmon, Redis, {n} process(es)", site, commands, client[db_name], n, servers))
                client.drop_database(db_name)
    finally:
        redis.close()
        client.close()
        if embedded is not None:
            stop_embedded_server(embedded)

    bare_rate = results[0]["pages_per_s"]
    single = next(r for r in results if r["config"] == "newsmon")
    nostore = next(r for r in results if r["config"] == "newsmon, no store")
    report = {
        "command": " ".join(sys.argv),
        "articles": args.articles,
        "seed": args.seed,
        "delay": args.delay,
        "machine": machine(),
        "load_avg_at_start": load_at_start,
        "results": results,
        "newsmon_vs_bare": round(single["pages_per_s"] / bare_rate, 2),
        "newsmon_vs_no_store": round(single["pages_per_s"] / nostore["pages_per_s"], 2),
        "goal": GOAL,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print("\n| config | processes | pages | crawl s | pages/s | vs bare | wall s | CPU s | pages/CPU s | database / "
          "Redis CPU s | duplicates | lost | peak RSS MB | load before/after |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['config']} | {r['processes']} | {r['pages']} | {r['crawl_s']} | {r['pages_per_s']} | "
            f"{r['pages_per_s'] / bare_rate:.0%} | {r['wall_s']} | {r['cpu_s']} | {r['pages_per_cpu_s']} | "
            f"{r['server_cpu_s'].get('database', '-')} / {r['server_cpu_s'].get('redis', '-')} | "
            f"{r['duplicates']} | {r.get('lost', '-')} | {', '.join(map(str, r['peak_rss_mb']))} | "
            f"{r['load_before']} / {r['load_after']} |"
        )
    print(
        f"\nnewsmon, one process: {single.get('database_cpu_ms_per_article', '-')} ms of database server CPU per "
        f"stored article, {single['cpu_ms_per_article_page']} ms of crawler CPU per article page "
        f"({single['cpu_ms_per_page']} per page), {report['newsmon_vs_no_store']:.0%} of newsmon without the store, "
        f"crawl exited {single['tail_s']} s after the last page"
    )
    verdict = "met" if report["newsmon_vs_bare"] >= GOAL else "missed"
    print(
        f"\nnewsmon, one process: {report['newsmon_vs_bare']:.0%} of bare Scrapy's pages/s (goal {GOAL:.0%}: {verdict})"
    )


if __name__ == "__main__":
    main()
