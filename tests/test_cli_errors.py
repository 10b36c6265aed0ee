"""Every user mistake in a `newsmon` subcommand ends in one line on stderr and exit code 2 (usage) or 1 (failure),
never a traceback; spooled writes are shown with the destination they wait for."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.apps.cli import main
from crawler.store.spool import Spool, describe_waiting, destination_dir
from tests.support.crawling import PROJECT


def dead_uri() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"mongodb://alice:s3cret@127.0.0.1:{port}/desk"


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("MONGO_URI", "NEWSMON_MONGO_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSMON_STORE_TIMEOUT_MS", "300")
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["serve", "--port", "99999"], "'99999' is not a port"),
        (["crawl", "merkur", "-s", "NOEQUALS"], "'NOEQUALS' is not NAME=VALUE"),
        (["crawl", "merkur", "-a", "base_url=notaurl"], "-a base_url='notaurl': give an http(s) URL"),
        (["crawl", "merkur", "-a", "since=yesterdayish"], "'yesterdayish' is neither an ISO date/time nor an age"),
        (["crawl", "merkur", "-a", "max_articles=-3"], "give a positive whole number"),
        (["crawl", "merkur", "-a", "colour=blue"], "unknown spider argument(s) colour"),
        (["crawl", "nosuch"], "no spider named 'nosuch'"),
        (["export", "nope"], "invalid choice: 'nope'"),
        (["summary", "--limit", "many"], "invalid int value: 'many'"),
        (["history"], "the following arguments are required: ARTICLE"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["crawl", "merkur", "-L", "loud"], "'loud' is not a log level"),
        (["schedule"], "give --config FILE (or set NEWSMON_SCHEDULE)"),
        (["schedule", "--config", "/nonexistent/schedule.toml"], "/nonexistent/schedule.toml"),
    ],
)
def test_usage_mistakes_are_one_line_and_exit_2(argv, says, env, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own exit
        code = exc.code
    assert code == 2
    line = one_line(capsys)
    assert line.startswith("newsmon") and says in line


@pytest.mark.parametrize("name", ["NEWSMON_REFRESH", "NEWSMON_STORE_BATCH_SIZE"])
def test_a_bad_env_setting_is_one_line_and_exit_2(name, env, capsys, monkeypatch):
    monkeypatch.setenv(name, "bogus")
    assert main(["summary"]) == 2
    assert f"{name}='bogus' (environment variable {name})" in one_line(capsys)


@pytest.mark.parametrize("argv", [["summary"], ["changes"], ["export", "articles"], ["history", "x:1"]])
def test_an_unreachable_database_names_the_redacted_uri_and_the_timeout(argv, env, capsys, monkeypatch):
    uri = dead_uri()
    monkeypatch.setenv("MONGO_URI", uri)
    assert main(argv) == 1
    line = one_line(capsys)
    assert "mongodb://***@127.0.0.1:" in line and "0.3 s" in line and "s3cret" not in line and "alice" not in line


def test_a_data_dir_that_is_a_file_is_one_line(env, capsys, monkeypatch):
    (env / "file").write_text("x", encoding="utf-8")
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(env / "file"))
    assert main(["summary"]) == 2
    assert "NEWSMON_DATA_DIR" in one_line(capsys)
    assert main(["db", "start"]) == 2
    assert "is a file" in one_line(capsys)


def test_debug_shows_the_traceback(env, monkeypatch):
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(env / "file"))
    (env / "file").write_text("x", encoding="utf-8")
    from crawler.config import SettingError

    with pytest.raises(SettingError):
        main(["--debug", "summary"])


def test_version_and_help_of_every_subcommand(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("newsmon 0.")
    for command in ("crawl", "schedule", "changes", "summary", "export", "serve", "db", "history"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = capsys.readouterr().out
        assert out.startswith("usage: newsmon " + command)
        description = out.split("\n\n")[1]
        assert not description.startswith(("positional", "options")), f"{command} has no description"


def test_a_broken_pipe_ends_quietly(mongo_uri, db):
    """`newsmon changes | head -1`: the reader closes early; no BrokenPipeError."""
    from crawler.store import schema
    from crawler.store.sequence import COUNTER_ID

    db.changes.insert_many(
        [{"seq": i, "field": "headline", "article_id": f"a:{i}", "diff": []} for i in range(1, 3000)]
    )
    db[schema.COUNTERS].insert_one({"_id": COUNTER_ID, "committed": 2999})
    env = {**os.environ, "MONGO_URI": mongo_uri, "NEWSMON_MONGO_DB": db.name}
    pipe = subprocess.run(
        f"{sys.executable} -m crawler.apps.cli changes --limit 3000 | head -1",
        shell=True,
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pipe.stdout.startswith("#1 ")
    assert "Traceback" not in pipe.stderr and "BrokenPipe" not in pipe.stderr


def test_spooled_batches_are_listed_with_their_destination(env, capsys, mongo_uri, db, monkeypatch):
    root = env / "data" / "spool"
    Spool(root, "db.example:27017/desk").put("article", [{"_id": "a"}, {"_id": "b"}])
    lines = describe_waiting(root)
    assert (
        len(lines) == 1 and "2 document(s) in 1 spooled batch(es)" in lines[0] and "db.example:27017/desk" in lines[0]
    )
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("NEWSMON_MONGO_DB", db.name)
    assert main(["db", "status"]) == 0
    assert "db.example:27017/desk" in capsys.readouterr().out
    assert main(["summary"]) == 0
    out = capsys.readouterr().out
    assert "Spooled writes" in out and "db.example:27017/desk" in out
    assert destination_dir(root, "db.example:27017/desk").is_dir()


def test_an_unwritable_output_file_is_one_line_and_exit_1(env, capsys, mongo_uri, db, monkeypatch):
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("NEWSMON_MONGO_DB", db.name)
    assert main(["export", "articles", "-o", str(env / "missing" / "dir" / "x.jsonl")]) == 1
    assert "No such file or directory" in one_line(capsys)
