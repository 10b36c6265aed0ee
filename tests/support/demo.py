"""`make demo`: the main job end to end on the embedded default.

Starts (or reuses) the embedded database and the local publisher site, crawls it with the real `merkur`
spider, prints what the database holds, then edits the seed article's kicker on the site as a publisher
would, re-crawls the article and prints the change newsmon flagged, with its word diff. Nothing leaves
127.0.0.1. It runs from a checkout (`make demo`, `python -m tests.support.demo`): the local site is test support,
not part of the installed package.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from crawler.apps.summary import summarize
from crawler.changes import compact
from crawler.config import data_dir, load_settings
from crawler.store.connection import connect, redact_uri, resolve_uri
from crawler.store.embedded.private import private_dir
from crawler.store.sequence import committed_seq
from tests.support.localsite import LocalSite

EDITED_KICKER = "Blinken reist nach Kiew"


def crawl(base_url: str, log_file: Path, env: dict[str, str], extra: list[str] | None = None) -> float:
    """One `scrapy crawl merkur` in a subprocess (Scrapy's reactor starts once per process)."""
    command = [sys.executable, "-m", "scrapy", "crawl", "merkur", "-a", f"base_url={base_url}"]
    command += ["-s", f"LOG_FILE={log_file}", "-s", "LOG_LEVEL=INFO", *(extra or [])]
    started = time.monotonic()
    done = subprocess.run(command, env=env, check=False)
    if done.returncode != 0:
        tail = log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
        raise SystemExit(f"crawl failed (exit {done.returncode}); last log lines:\n" + "\n".join(tail))
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=40, help="articles on the local site")
    parser.add_argument("--port", type=int, default=0, help="port of the local site (0: a free one)")
    args = parser.parse_args(argv)

    settings = load_settings()
    uri = resolve_uri(settings)
    where = ("MongoDB at " if settings.get("MONGO_URI") else "embedded database ") + redact_uri(uri)
    print(f"Database: {where} (data dir {data_dir(settings)})")
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    logs = private_dir(data_dir(settings) / "logs")

    site = LocalSite(n_articles=args.articles, seed=1)
    with site.serve(port=args.port) as base_url:
        print(f"Local publisher site: {base_url} ({len(site.articles)} articles)")
        seconds = crawl(base_url, logs / "demo-crawl-1.log", env)
        print(f"First crawl done in {seconds:.1f}s (log: {logs / 'demo-crawl-1.log'})")

        client, db = connect(settings, uri)
        try:
            print()
            print(summarize(db, site="merkur.de"))
            last_seq = committed_seq(db)

            seed = site.article(site.seed_article_id)
            print(f"\nThe publisher rewrites the kicker of the seed article ({base_url}{seed.path}):")
            print(f"  before: {seed.kicker}\n  after:  {EDITED_KICKER}")
            site.edit_article(site.seed_article_id, kicker=EDITED_KICKER)
            seconds = crawl(base_url, logs / "demo-crawl-2.log", env, ["-a", f"url={base_url}{seed.path}"])
            print(f"Re-fetched the article in {seconds:.1f}s")

            aid = f"merkur.de:{site.seed_article_id}"
            flagged = list(db.changes.find({"article_id": aid, "seq": {"$gt": last_seq}}).sort("seq", 1))
            print(f"\nChanges flagged for {aid} ({len(flagged)}):")
            for change in flagged:
                print(
                    f"  #{change['seq']} {change['field']} [{change['edit_class']}] "
                    f"v{change['version_from']} -> v{change['version_to']}: {compact(change['diff'])}"
                )
            if not any(c["field"] == "kicker" for c in flagged):
                raise SystemExit("demo failed: the kicker edit was not flagged")
        finally:
            client.close()
    print("\nThe embedded database keeps running for other readers; stop it with `.venv/bin/newsmon db stop`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
