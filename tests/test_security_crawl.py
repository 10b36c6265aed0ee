"""Security of a crawl: credentials in MONGO_URI never reach the logs or the run record, response sizes are capped.

robots.txt disallows are obeyed: `tests/test_crawl_local_site.py::test_robots_txt_is_obeyed` (the local site
links a disallowed /intern/ page from every listing; no request goes there). Escaping of scraped markup and
spreadsheet formulas in exports belong to the consumers: `tests/test_consumers_*.py`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from crawler import settings as project_settings
from tests.support.localsite import LocalSite

PROJECT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "newsmon-reader", "s3cr3t-Pa55w0rd"


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def crawl_with_uri(base_url: str, uri: str, tmp_path: Path) -> str:
    """A crawl whose MONGO_URI carries credentials; returns everything it logged (log file, stdout, stderr)."""
    log = tmp_path / "crawl.log"
    env = {
        **os.environ,
        "MONGO_URI": uri,
        "NEWSMON_DATA_DIR": str(tmp_path / "data"),
        "NEWSMON_STORE_RETRIES": "1",
        "NEWSMON_STORE_TIMEOUT_MS": "500",
        "SCRAPY_SETTINGS_MODULE": "crawler.settings",
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "merkur", "-a", f"base_url={base_url}"]
    command += ["-s", f"LOG_FILE={log}", "-s", "LOG_LEVEL=DEBUG", "-s", "NEWSMON_STORE_FLUSH_SECONDS=0.2"]
    done = subprocess.run(command, env=env, cwd=PROJECT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return log.read_text(encoding="utf-8") + done.stdout + done.stderr


@pytest.fixture(scope="module")
def base_url():
    site = LocalSite(n_articles=4, seed=2)
    with site.serve(port=0) as url:
        yield url


def embedded_port(mongo_uri: str) -> int | None:
    if os.environ.get("MONGO_URI"):
        return None  # a real MongoDB may accept the made-up user: only the unreachable case applies
    from pymongo.uri_parser import parse_uri

    return int(parse_uri(mongo_uri)["nodelist"][0][1])


@pytest.mark.parametrize("where", ["refused", "unreachable"])
def test_credentials_in_mongo_uri_never_reach_the_log(where, base_url, mongo_uri, tmp_path):
    """`refused`: the embedded server refuses the made-up user (it takes only its owner's); `unreachable`: no
    server at all. Either way the crawl logs its store errors, at DEBUG too, and names the URI only redacted."""
    port = embedded_port(mongo_uri) if where == "refused" else dead_port()
    if port is None:
        pytest.skip("MONGO_URI is a real MongoDB")
    uri = f"mongodb://{USER}:{PASSWORD}@127.0.0.1:{port}/?directConnection=true&authSource=admin"
    text = crawl_with_uri(base_url, uri, tmp_path)
    assert "mongodb://***@127.0.0.1" in text, "the run names its (redacted) database"
    assert "kept" in text and "on disk" in text, "the store errors were logged"
    assert PASSWORD not in text and USER not in text
    spooled = [p for p in (tmp_path / "data" / "spool").rglob("*") if p.is_file()]  # batches and destination
    spool = "".join(p.read_text(encoding="utf-8") for p in spooled)
    assert spool and PASSWORD not in spool and USER not in spool


def test_response_sizes_are_capped():
    """Scrapy aborts a response above DOWNLOAD_MAXSIZE (the 20 MiB page of the fault suite becomes a reject
    `fetch: DownloadCancelledError`, see `tests/test_faults_crawl.py`) and warns above DOWNLOAD_WARNSIZE."""
    assert 1 * 2**20 <= project_settings.DOWNLOAD_MAXSIZE <= 32 * 2**20
    assert project_settings.DOWNLOAD_WARNSIZE < project_settings.DOWNLOAD_MAXSIZE
    assert project_settings.DOWNLOAD_TIMEOUT <= 60
