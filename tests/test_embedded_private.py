"""The embedded database is private to its owner: 0700/0600 on disk, and a server that refuses clients without
the data dir's credentials, checked as another local user too (`nobody`, when the tests run as root like CI)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from crawler.store.embedded.launcher import EmbeddedServer, ensure_embedded_server, stop_embedded_server
from crawler.store.embedded.private import private_dir, tighten_tree
from crawler.store.spool import Spool
from tests.support.localsite import LocalSite

PROJECT = Path(__file__).resolve().parent.parent

# What `nobody` runs: standard library only (it may not reach our virtualenv), a raw OP_MSG to the server.
INTRUDER = r"""
import json, os, socket, struct, sys

data_dir, port = sys.argv[1], int(sys.argv[2])
seen = {}

def attempt(name, action):
    try:
        seen[name] = ("ok", action())
    except OSError as exc:
        seen[name] = ("denied", type(exc).__name__)

def bson_doc(pairs):
    body = b""
    for key, value in pairs:
        name = key.encode() + b"\0"
        if isinstance(value, str):
            raw = value.encode() + b"\0"
            body += b"\x02" + name + struct.pack("<i", len(raw)) + raw
        elif isinstance(value, list):  # an array of documents
            body += b"\x04" + name + bson_doc([(str(i), item) for i, item in enumerate(value)])
        elif isinstance(value, dict):
            body += b"\x03" + name + bson_doc(list(value.items()))
        else:
            body += b"\x10" + name + struct.pack("<i", value)
    return struct.pack("<i", len(body) + 5) + body + b"\0"

def command(pairs):
    doc = bson_doc(pairs)
    message = struct.pack("<I", 0) + b"\0" + doc
    header = struct.pack("<iiii", 16 + len(message), 1, 0, 2013)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(header + message)
        size = struct.unpack("<i", conn.recv(4, socket.MSG_WAITALL))[0]
        reply = b""
        while len(reply) < size - 4:
            reply += conn.recv(size - 4 - len(reply))
    return reply.decode("latin-1")

attempt("list data dir", lambda: os.listdir(data_dir))
attempt("read sqlite file", lambda: len(open(os.path.join(data_dir, "db", "newsmon.sqlite3"), "rb").read()))
attempt("read credentials", lambda: open(os.path.join(data_dir, "credentials.json")).read())
attempt("read control file", lambda: open(os.path.join(os.path.dirname(data_dir), "control.txt")).read())
attempt("hello", lambda: command([("hello", 1), ("$db", "admin")]))
attempt("find", lambda: command([("find", "articles"), ("$db", "newsmon")]))
attempt("insert", lambda: command([("insert", "articles"), ("documents", [{"_id": "intruder"}]), ("$db", "newsmon")]))
attempt("listDatabases", lambda: command([("listDatabases", 1), ("$db", "admin")]))
print(json.dumps(seen))
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "data"
    yield directory
    stop_embedded_server(directory)


def modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def assert_owner_only(root: Path) -> None:
    for name, mode in modes(root).items():
        path = root / name
        expected = 0o700 if path.is_dir() else 0o600
        assert mode == expected, f"{name}: mode {mode:o}, expected {expected:o}"


def write_and_read(server: EmbeddedServer) -> None:
    with MongoClient(server.uri, serverSelectionTimeoutMS=5000) as client:
        client.newsmon.articles.insert_one({"_id": "merkur.de:1", "headline": "secret headline"})
        assert client.newsmon.articles.find_one({"_id": "merkur.de:1"})["headline"] == "secret headline"


def test_data_dir_is_0700_and_every_file_0600(data_dir: Path) -> None:
    server = ensure_embedded_server(data_dir)
    write_and_read(server)
    Spool(data_dir / "spool").put("articles", [{"_id": "x"}])
    names = set(modes(data_dir))
    assert {"credentials.json", "server.json", "server.log", "db/newsmon.sqlite3", "db/newsmon.sqlite3-wal"} <= names
    assert any(name.startswith("spool/articles-") for name in names)
    assert_owner_only(data_dir)


def test_clients_without_the_owners_credentials_are_refused(data_dir: Path) -> None:
    server = ensure_embedded_server(data_dir)
    write_and_read(server)
    bare = f"mongodb://127.0.0.1:{server.port}/?directConnection=true"
    with MongoClient(bare, serverSelectionTimeoutMS=3000) as client:
        for action in (
            lambda: client.newsmon.articles.find_one(),
            lambda: client.newsmon.articles.insert_one({"x": 1}),
            lambda: client.list_database_names(),
            lambda: client.admin.command("ping"),
        ):
            with pytest.raises(OperationFailure, match="Authentication required"):
                action()
    password = json.loads((data_dir / "credentials.json").read_text())["password"]
    for uri in (
        server.uri.replace(password, "wrong"),
        server.uri.replace("newsmon:", "admin:"),
        server.uri.replace("SCRAM-SHA-256", "SCRAM-SHA-1"),  # only the mechanism that never sends the password
        server.uri.replace("SCRAM-SHA-256", "PLAIN"),
    ):
        with MongoClient(uri, serverSelectionTimeoutMS=3000) as client, pytest.raises(OperationFailure):
            client.newsmon.articles.find_one()


def test_a_looser_data_dir_from_before_credentials_is_tightened_and_gets_them(data_dir: Path) -> None:
    write_and_read(ensure_embedded_server(data_dir))
    stop_embedded_server(data_dir)
    # What newsmon left before: 0755 directories, 0644 files, no credentials.
    (data_dir / "credentials.json").unlink()
    for path in [data_dir, *data_dir.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)

    server = ensure_embedded_server(data_dir)
    assert_owner_only(data_dir)
    assert "tightened" in (data_dir / "server.log").read_text()
    assert json.loads((data_dir / "credentials.json").read_text())["user"] == "newsmon"
    with MongoClient(server.uri, serverSelectionTimeoutMS=5000) as client:
        assert client.newsmon.articles.find_one({"_id": "merkur.de:1"})["headline"] == "secret headline"


def test_private_dir_tightens_an_existing_dir_with_a_log_line(tmp_path: Path, caplog) -> None:
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o777)
    os.chmod(loose, 0o755)
    (loose / "f").write_text("x")
    os.chmod(loose / "f", 0o644)
    private_dir(loose / "a" / "b")
    assert stat.S_IMODE((loose / "a").stat().st_mode) == 0o700, "a parent made on the way is private too"
    assert stat.S_IMODE(loose.stat().st_mode) == 0o755, "an existing parent is not ours to change"
    private_dir(loose)
    assert stat.S_IMODE(loose.stat().st_mode) == 0o700
    assert "tightened" in caplog.text
    assert tighten_tree(loose) == 1 and stat.S_IMODE((loose / "f").stat().st_mode) == 0o600
    assert tighten_tree(loose) == 0


def _interpreter_for(user: str) -> str | None:
    """A Python that `user` may run: ours if the virtualenv is reachable (CI), else the system's."""
    for candidate in (sys.executable, shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")):
        if candidate and _run_as(user, [candidate, "-c", "print(1)"]).returncode == 0:
            return candidate
    return None


def _run_as(user: str, command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["runuser", "-u", user, "--", *command], capture_output=True, text=True, timeout=60, check=False, cwd="/"
    )


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act as another user")
@pytest.mark.skipif(shutil.which("runuser") is None, reason="needs runuser (util-linux) to act as another user")
def test_another_local_user_can_neither_read_the_data_nor_query_the_server() -> None:
    python = _interpreter_for("nobody")
    if python is None:
        pytest.skip("no Python interpreter that user nobody may run")
    # A parent every user may enter, so that only newsmon's own modes and credentials stand in the way.
    parent = Path(tempfile.mkdtemp(prefix="newsmon-private-"))
    try:
        os.chmod(parent, 0o755)
        (parent / "control.txt").write_text("readable")
        os.chmod(parent / "control.txt", 0o644)
        data_dir = parent / "data"
        server = ensure_embedded_server(data_dir)
        write_and_read(server)
        done = _run_as("nobody", [python, "-c", INTRUDER, str(data_dir), str(server.port)])
        assert done.returncode == 0, done.stderr
        seen = json.loads(done.stdout)
        # Controls: nobody can read a world-readable file beside the data dir and reach the server.
        assert seen["read control file"] == ["ok", "readable"]
        assert seen["hello"][0] == "ok" and "isWritablePrimary" in seen["hello"][1]
        # The data dir and its files are closed to nobody.
        for name in ("list data dir", "read sqlite file", "read credentials"):
            assert seen[name] == ["denied", "PermissionError"], (name, seen[name])
        # The server answers nobody's queries with an authentication error, never with data.
        for name in ("find", "insert", "listDatabases"):
            status, reply = seen[name]
            assert status == "ok" and "Authentication required" in reply, (name, reply)
            assert "secret headline" not in reply
        with MongoClient(server.uri) as client:
            assert client.newsmon.articles.count_documents({}) == 1, "nobody's insert must not have landed"
    finally:
        stop_embedded_server(parent / "data")
        shutil.rmtree(parent, ignore_errors=True)


def test_the_owners_crawl_cli_and_consumers_use_the_credentials(tmp_path: Path) -> None:
    """A crawl with MONGO_URI unset starts the private server itself; `newsmon db uri` hands its URI out."""
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}
    env |= {
        "NEWSMON_DATA_DIR": str(data_dir),
        "NEWSMON_MONGO_DB": "owner",
        "SCRAPY_SETTINGS_MODULE": "crawler.settings",
    }
    newsmon = [sys.executable, "-m", "crawler.apps.cli"]
    local = LocalSite(n_articles=6, seed=5)
    try:
        with local.serve(port=0) as base_url:
            log = tmp_path / "crawl.log"
            crawl = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "scrapy",
                    "crawl",
                    "merkur",
                    "-a",
                    f"base_url={base_url}",
                    "-s",
                    f"LOG_FILE={log}",
                ],
                env=env,
                cwd=PROJECT,
                timeout=300,
                check=False,
            )
            assert crawl.returncode == 0, log.read_text()[-3000:]
        crawl_log = log.read_text()
        password = json.loads((data_dir / "credentials.json").read_text())["password"]
        assert password not in crawl_log and "mongodb://***@127.0.0.1" in crawl_log
        uri = subprocess.run([*newsmon, "db", "uri"], env=env, cwd=PROJECT, capture_output=True, text=True, check=True)
        uri = uri.stdout.strip()
        assert f":{password}@127.0.0.1:" in uri
        with MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000) as client:
            assert client.owner.articles.count_documents({}) == len(local.articles)
        status = subprocess.run([*newsmon, "db", "status"], env=env, cwd=PROJECT, capture_output=True, text=True)
        assert status.returncode == 0 and password not in status.stdout and "***@" in status.stdout
        summary = subprocess.run([*newsmon, "summary"], env=env, cwd=PROJECT, capture_output=True, text=True)
        assert summary.returncode == 0, summary.stderr
        assert f"articles: {len(local.articles)}" in summary.stdout
        assert_owner_only(data_dir)
    finally:
        stop_embedded_server(data_dir)
