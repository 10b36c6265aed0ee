"""`python -m crawler.runtime.distributed`: a site's shared frontier from the command line, and a local demo.

python -m crawler.runtime.distributed status merkur              # run, queue, seen-set, workers (REDIS_URL)
python -m crawler.runtime.distributed seed merkur [-a k=v ...]    # push_due: start a run unless one is in progress
python -m crawler.runtime.distributed push merkur URL [URL ...]   # queue article URLs (repeats dropped)
python -m crawler.runtime.distributed demo [--processes 2]        # local Redis, site and database; N processes crawl
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from crawler.config import load_settings

PROJECT = Path(__file__).resolve().parents[2]


def _args(pairs: Sequence[str]) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in pairs)


def _status(args: argparse.Namespace) -> int:
    from crawler.runtime.distributed.connection import redis_from_settings
    from crawler.runtime.distributed.frontier import Frontier
    from crawler.runtime.distributed.keys import Keys
    from crawler.runtime.distributed.seed import build_spider

    settings = load_settings()
    if not settings.get("REDIS_URL"):
        print("REDIS_URL is not set", file=sys.stderr)
        return 2
    spider = build_spider(args.spider, _args(args.arg), settings)
    frontier = Frontier(redis_from_settings(settings), Keys.for_spider(spider, settings.get("NEWSMON_REDIS_PREFIX")))
    print(json.dumps(frontier.status(), indent=2))
    return 0


def _seed(args: argparse.Namespace) -> int:
    from crawler.runtime.distributed.seed import push_due

    seeded = push_due(args.spider, _args(args.arg))
    if seeded is None:
        print(f"{args.spider}: a run is in progress; nothing queued")
        return 0
    print(f"{seeded.site}: started run {seeded.run.id}, {seeded.queued} start requests queued")
    return 0


def _push(args: argparse.Namespace) -> int:
    from crawler.runtime.distributed.seed import push_urls

    seeded = push_urls(args.spider, args.urls, _args(args.arg))
    print(f"{seeded.site}: {seeded.queued} of {seeded.offered} URLs queued in run {seeded.run.id}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    """Everything on 127.0.0.1 on free ports, in a temporary directory, stopped at the end."""
    from pymongo import MongoClient

    from crawler.runtime.distributed.redis_server import LocalRedis
    from crawler.store.connection import redact_uri
    from crawler.store.embedded.launcher import ensure_embedded_server, stop_embedded_server
    from tests.support.localsite import LocalSite

    tmp = Path(tempfile.mkdtemp(prefix="newsmon-distributed-demo-"))
    site = LocalSite(n_articles=args.articles, seed=5)
    mongo = ensure_embedded_server(tmp / "db", port=0)
    try:
        with LocalRedis(tmp / "redis") as redis_url, site.serve(port=0) as base_url:
            print(f"Redis {redis_url}, local site {base_url}, database {redact_uri(mongo.uri)}")
            env = {
                **os.environ,
                "REDIS_URL": redis_url,
                "MONGO_URI": mongo.uri,
                "NEWSMON_MONGO_DB": "newsmon_demo",
                "SCRAPY_SETTINGS_MODULE": "crawler.settings",
            }
            started = time.monotonic()
            processes = []
            for i in range(args.processes):
                log = tmp / f"crawl-{i}.log"
                command = [sys.executable, "-m", "scrapy", "crawl", "merkur", "-a", f"base_url={base_url}",
                           "-s", f"LOG_FILE={log}"]  # fmt: skip
                worker_env = {**env, "NEWSMON_DATA_DIR": str(tmp / f"data-{i}")}
                processes.append(subprocess.Popen(command, env=worker_env, cwd=PROJECT))
                print(f"process {i}: scrapy crawl merkur (log {log})")
            codes = [p.wait() for p in processes]
            pages = collections.Counter(r.path for r in site.requests if r.path != "/robots.txt")
            client: MongoClient = MongoClient(mongo.uri)
            stored = client.newsmon_demo.articles.count_documents({})
            client.close()
            for i in range(args.processes):
                log = (tmp / f"crawl-{i}.log").read_text(encoding="utf-8")
                role = "started the run" if "started run" in log else "joined the run"
                print(f"process {i}: exit {codes[i]}, {role}, {_stat(log, 'downloader/request_count')} requests")
            print(
                f"{len(pages)} pages in {time.monotonic() - started:.1f} s, "
                f"{sum(n - 1 for n in pages.values())} fetched twice; {stored} of {len(site.articles)} articles stored"
            )
    finally:
        stop_embedded_server(tmp / "db")
    return 0 if all(code == 0 for code in codes) else 1


def _stat(log: str, name: str) -> str:
    marker = f"'{name}': "
    at = log.rfind(marker)
    return log[at + len(marker) :].split(",", 1)[0] if at >= 0 else "?"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.runtime.distributed", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, text in (
        ("status", _status, "the site's run, queue, seen-set and workers"),
        ("seed", _seed, "start a run of the spider (push_due), unless one is in progress"),
        ("push", _push, "queue article URLs for the spider's site, each once per run"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("spider")
        if name == "push":
            command.add_argument("urls", nargs="+")
        command.add_argument("-a", dest="arg", action="append", default=[], help="spider argument NAME=VALUE")
        command.set_defaults(func=func)
    demo = sub.add_parser("demo", help="local Redis, site and database on free ports; N processes share the crawl")
    demo.add_argument("--processes", type=int, default=2)
    demo.add_argument("--articles", type=int, default=60)
    demo.set_defaults(func=_demo)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
