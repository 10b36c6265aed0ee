"""Running a real crawl from a test: `scrapy crawl` in a subprocess (Scrapy's reactor starts once per process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pymongo.database import Database

PROJECT = Path(__file__).resolve().parents[2]


def crawl_command(
    base_url: str, mongo_uri: str, db_name: str, data_dir: Path, log: Path, *args: str, spider: str = "merkur"
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a `scrapy crawl` into database `db_name` (tests and benchmarks)."""
    env = {
        **os.environ,
        "MONGO_URI": mongo_uri,
        "NEWSMON_MONGO_DB": db_name,
        "NEWSMON_DATA_DIR": str(data_dir),
        "SCRAPY_SETTINGS_MODULE": "crawler.settings",
        # No rendered samples of listing pages (docs/rendering.md) unless a test asks with `-s`: they would start
        # Chromium in every first crawl and find the local site's script-only teasers on the politik page.
        "NEWSMON_RENDER_SAMPLE_PAGES": "0",
    }
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    if spider != "news":
        command += ["-a", f"base_url={base_url}"]
    command += ["-s", f"LOG_FILE={log}", "-s", "NEWSMON_STORE_FLUSH_SECONDS=0.2", *args]
    return command, env


def crawl(
    base_url: str,
    mongo_uri: str,
    db: Database,
    tmp_path: Path,
    *args: str,
    wait: bool = True,
    spider: str = "merkur",
    exit_code: int = 0,
) -> subprocess.Popen | subprocess.CompletedProcess:
    """`scrapy crawl` into `db`; the spider gets `base_url` unless it reads it from a config. `exit_code`: the one
    expected (1 where nothing the crawl was asked could be fetched: the one `-a url=` rejected, every start
    forbidden)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    log = tmp_path / f"crawl-{len(list(tmp_path.glob('crawl-*.log')))}.log"
    command, env = crawl_command(base_url, mongo_uri, db.name, tmp_path / "data", log, *args, spider=spider)
    if not wait:
        return subprocess.Popen(command, env=env, cwd=PROJECT)
    done = subprocess.run(command, env=env, cwd=PROJECT, timeout=300, check=False)
    assert done.returncode == exit_code, log.read_text(encoding="utf-8")[-3000:]
    return done


def stored_ids(db: Database) -> set[str]:
    return {d["_id"] for d in db.articles.find({}, {"_id": 1})}
