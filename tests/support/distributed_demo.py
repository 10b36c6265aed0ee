"""`python -m tests.support.distributed_demo [--processes 2] [--articles 60]`: distributed mode on one machine.

Debian's redis-server, the local publisher site and the embedded database on 127.0.0.1 on free ports, in a
temporary directory; N `scrapy crawl merkur` processes share the site's frontier; prints who took what, how
many pages were fetched twice and how many articles were stored, then stops everything (docs/deployment.md).
It runs from a checkout: the local site and the throwaway Redis are test support, not part of the installed package.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pymongo import MongoClient

from crawler.store.connection import redact_uri
from crawler.store.embedded.launcher import ensure_embedded_server, stop_embedded_server
from tests.support.crawling import PROJECT
from tests.support.localsite import LocalSite
from tests.support.redis_server import LocalRedis


def demo(processes: int, articles: int) -> int:
    """Everything on 127.0.0.1 on free ports, in a temporary directory, stopped at the end."""
    tmp = Path(tempfile.mkdtemp(prefix="newsmon-distributed-demo-"))
    site = LocalSite(n_articles=articles, seed=5)
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
            running = []
            for i in range(processes):
                log = tmp / f"crawl-{i}.log"
                command = [sys.executable, "-m", "scrapy", "crawl", "merkur", "-a", f"base_url={base_url}",
                           "-s", f"LOG_FILE={log}"]  # fmt: skip
                worker_env = {**env, "NEWSMON_DATA_DIR": str(tmp / f"data-{i}")}
                running.append(subprocess.Popen(command, env=worker_env, cwd=PROJECT))
                print(f"process {i}: scrapy crawl merkur (log {log})")
            codes = [p.wait() for p in running]
            pages = collections.Counter(r.path for r in site.requests if r.path != "/robots.txt")
            client: MongoClient = MongoClient(mongo.uri)
            stored = client.newsmon_demo.articles.count_documents({})
            client.close()
            for i in range(processes):
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
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.distributed_demo",
        description="local Redis, site and database on free ports; N processes share the crawl",
    )
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--articles", type=int, default=60)
    args = parser.parse_args(argv)
    return demo(args.processes, args.articles)


if __name__ == "__main__":
    sys.exit(main())
