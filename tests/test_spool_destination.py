"""Spooled writes wait for their own database: a crawl whose MONGO_URI did not answer spools, a later crawl into
another database writes none of it there, and `newsmon db status` names where the batches wait to go."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from tests.support.crawling import PROJECT, crawl_command
from tests.support.localsite import LocalSite


def test_batches_spooled_for_an_unreachable_database_never_land_in_another(mongo_uri, db, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = f"mongodb://user:pw@127.0.0.1:{port}/mydesk?directConnection=true"
    fast = ("-s", "AUTOTHROTTLE_ENABLED=false", "-s", "NEWSMON_STORE_RETRIES=1", "-s", "NEWSMON_STORE_TIMEOUT_MS=300")
    with LocalSite(n_articles=3, seed=2).serve(port=0) as base_url:
        command, env = crawl_command(base_url, dead, "", tmp_path / "data", tmp_path / "down.log", *fast)
        env.pop("NEWSMON_MONGO_DB")
        subprocess.run(command, env=env, cwd=PROJECT, timeout=300, check=False)
        assert "kept" in (tmp_path / "down.log").read_text(encoding="utf-8")

        command, env = crawl_command(base_url, mongo_uri, db.name, tmp_path / "data", tmp_path / "up.log", *fast)
        assert subprocess.run(command, env=env, cwd=PROJECT, timeout=300, check=False).returncode == 0
    log = (tmp_path / "up.log").read_text(encoding="utf-8")
    assert "Replaying" not in log and f"wait on disk for 127.0.0.1:{port}/mydesk" in log
    runs = list(db.crawl_runs.find())
    assert len(runs) == 1, "only the run that wrote here is here"

    status = subprocess.run(
        [sys.executable, "-m", "crawler.apps.cli", "db", "status"],
        env={**os.environ, "NEWSMON_DATA_DIR": str(tmp_path / "data"), "MONGO_URI": mongo_uri},
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert f"wait on disk for 127.0.0.1:{port}/mydesk" in status.stdout
    assert "user:pw" not in status.stdout and "user" not in status.stdout
