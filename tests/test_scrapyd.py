"""Teams that run Scrapy spiders through scrapyd run newsmon's the same way: deploy the egg, schedule, items stored.

A scrapyd on 127.0.0.1 (free port) in a temporary directory; the project deployed with `scrapyd-deploy local`
(scrapy.cfg's target, pointed at that port) from a copy of the project, so the build leaves no files in the
checkout; a crawl of the local site scheduled through scrapyd's HTTP API lands in MongoDB. The spider sees
scrapyd's environment: MONGO_URI and NEWSMON_MONGO_DB are set where scrapyd starts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.crawling import PROJECT, stored_ids
from tests.support.localsite import LocalSite
from tests.support.redis_server import free_port

BIN = Path(sys.executable).parent


def api(base: str, endpoint: str, **data: str) -> dict:
    body = urllib.parse.urlencode(data).encode() if data else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path: Path, mongo_uri: str, db) -> Iterator[str]:
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\n"
        "items_dir =\njobs_dir =\npoll_interval = 0.5\nmax_proc = 2\n",
        encoding="utf-8",
    )
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("SCRAPY_SETTINGS_MODULE", "REDIS_URL")},
        "MONGO_URI": mongo_uri,
        "NEWSMON_MONGO_DB": db.name,
        "NEWSMON_DATA_DIR": str(tmp_path / "data"),
    }
    with (home / "out.log").open("wb") as out:
        process = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            assert api(base, "daemonstatus.json")["status"] == "ok"
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, (home / "out.log").read_text()
            time.sleep(0.2)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def deploy(base: str, tmp_path: Path) -> None:
    """`scrapyd-deploy local` from a copy of the project with the target's URL set to the test's scrapyd."""
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("crawler", "spiders"):
        shutil.copytree(PROJECT / name, copy / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "scrapy.cfg"):
        shutil.copy(PROJECT / name, copy / name)
    cfg = (copy / "scrapy.cfg").read_text(encoding="utf-8")
    assert "[deploy:local]" in cfg
    (copy / "scrapy.cfg").write_text(re.sub(r"http://127\.0\.0\.1:6800/", f"{base}/", cfg), encoding="utf-8")
    done = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "local", "--version", "1"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["status"] == "ok", done.stdout


def test_deploy_to_scrapyd_and_schedule_a_crawl(scrapyd: str, tmp_path: Path, db):
    site = LocalSite(n_articles=12, seed=21)
    deploy(scrapyd, tmp_path)
    assert "merkur" in api(scrapyd, "listspiders.json?project=newsmon")["spiders"]
    with site.serve(port=0) as base_url:
        job = api(
            scrapyd,
            "schedule.json",
            project="newsmon",
            spider="merkur",
            base_url=base_url,
            setting="NEWSMON_STORE_FLUSH_SECONDS=0.2",
        )
        assert job["status"] == "ok", job
        deadline = time.monotonic() + 240
        while not any(j["id"] == job["jobid"] for j in api(scrapyd, "listjobs.json?project=newsmon")["finished"]):
            assert time.monotonic() < deadline, "the scheduled crawl did not finish"
            time.sleep(0.5)

    assert stored_ids(db) == {f"merkur.de:{article.id}" for article in site.articles}
    (run,) = db.crawl_runs.find()
    assert run["status"] == "finished" and run["args"] == {"base_url": base_url}
