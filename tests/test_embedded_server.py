"""The embedded server's lifecycle: start on demand, reuse, one server for concurrent starters, stale state,
clean stop, persistence. Real server processes over TCP, each test in its own data dir on a free port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from crawler.store.embedded.launcher import (
    EmbeddedServer,
    EmbeddedServerError,
    embedded_status,
    ensure_embedded_server,
    stop_embedded_server,
)

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "embedded"
    yield directory
    stop_embedded_server(directory)


def ping(server: EmbeddedServer) -> None:
    with MongoClient(server.uri, serverSelectionTimeoutMS=3000) as client:
        assert client.admin.command("ping")["ok"] == 1


def state(data_dir: Path) -> dict:
    return json.loads((data_dir / "server.json").read_text())


def listening_addresses(port: int) -> set[str]:
    """Local addresses listening on ``port`` (IPv4, from /proc/net/tcp)."""
    out = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, _, status = line.split()[1], line.split()[2], line.split()[3]
        address, hex_port = local.split(":")
        if int(hex_port, 16) == port and status == "0A":  # LISTEN
            out.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return out


def test_starts_on_demand_then_reuses(data_dir: Path) -> None:
    assert embedded_status(data_dir) is None
    server = ensure_embedded_server(data_dir)
    ping(server)
    password = json.loads((data_dir / "credentials.json").read_text())["password"]
    assert server.uri == (
        f"mongodb://newsmon:{password}@127.0.0.1:{server.port}/"
        "?directConnection=true&authSource=admin&authMechanism=SCRAM-SHA-256"
    )
    recorded = state(data_dir)
    assert recorded["pid"] == server.pid and recorded["port"] == server.port
    assert recorded["mongoeco_version"] == "4.11.0" and recorded["fastpath"] is True and recorded["auth"] is True
    assert listening_addresses(server.port) == {"127.0.0.1"}  # loopback only
    assert ensure_embedded_server(data_dir) == server
    assert embedded_status(data_dir) == server
    assert (data_dir / "db" / "newsmon.sqlite3").exists()


def test_concurrent_starters_share_one_server(data_dir: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from crawler.store.embedded.launcher import ensure_embedded_server; "
        "print(ensure_embedded_server(Path(sys.argv[1])).pid)"
    )
    starters = [
        subprocess.Popen([sys.executable, "-c", code, str(data_dir)], cwd=PROJECT, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    pids = {int(p.communicate(timeout=60)[0].strip()) for p in starters}
    assert len(pids) == 1
    assert embedded_status(data_dir).pid == pids.pop()


def test_stop_ends_the_process_and_removes_state(data_dir: Path) -> None:
    server = ensure_embedded_server(data_dir)
    assert stop_embedded_server(data_dir) is True
    assert not (data_dir / "server.json").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(server.pid, 0)
    assert embedded_status(data_dir) is None
    assert stop_embedded_server(data_dir) is False


def test_stop_on_a_data_dir_never_used_says_nothing_ran(tmp_path: Path) -> None:
    missing = tmp_path / "never-used"
    assert stop_embedded_server(missing) is False
    assert not missing.exists(), "stopping creates nothing"


def test_killed_server_leaves_stale_state_that_is_replaced(data_dir: Path) -> None:
    first = ensure_embedded_server(data_dir)
    with MongoClient(first.uri) as client:
        client.t.c.insert_one({"_id": "kept", "n": 1})
    os.kill(first.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while embedded_status(data_dir) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (data_dir / "server.json").exists()  # SIGKILL: no clean shutdown
    assert embedded_status(data_dir) is None
    second = ensure_embedded_server(data_dir)
    assert second.pid != first.pid
    with MongoClient(second.uri) as client:
        assert client.t.c.find_one({"_id": "kept"}) == {"_id": "kept", "n": 1}


def test_state_file_of_an_unrelated_live_pid_is_not_trusted(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "server.json").write_text(json.dumps({"pid": os.getpid(), "port": 1}))  # alive, but no server
    assert embedded_status(data_dir) is None
    server = ensure_embedded_server(data_dir)
    assert server.pid != os.getpid()
    ping(server)


def test_clear_error_with_log_tail_when_it_cannot_start(data_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(EmbeddedServerError, match=r"exited with code .*server\.log") as info:
            ensure_embedded_server(data_dir, port=port, timeout=20)
    assert "address already in use" in str(info.value).lower()
    assert not (data_dir / "server.json").exists()


def test_second_server_on_the_same_data_dir_refuses(data_dir: Path) -> None:
    ensure_embedded_server(data_dir)
    result = subprocess.run(
        [sys.executable, "-m", "crawler.store.embedded.server", "--data-dir", str(data_dir)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "another embedded server" in result.stderr


def test_data_persists_across_stop_and_start(data_dir: Path) -> None:
    server = ensure_embedded_server(data_dir)
    with MongoClient(server.uri) as client:
        client.newsmon.articles.insert_many([{"_id": f"merkur.de:{i}", "n": i} for i in range(50)])
    stop_embedded_server(data_dir)
    server = ensure_embedded_server(data_dir)
    with MongoClient(server.uri) as client:
        assert client.newsmon.articles.count_documents({}) == 50
        assert client.newsmon.articles.find_one({"_id": "merkur.de:7"})["n"] == 7
