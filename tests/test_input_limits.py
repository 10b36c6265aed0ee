"""Input at the edges: out-of-range dates (serve: a 400 page; export: a one-line error, exit 2), `export -o`
replacing its file only when done, and every schedule key checked with a message naming its job and key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.apps.schedule import ScheduleError, load_schedule, schedule_from_dict
from crawler.consumers.query import BadFilter, parse_time
from crawler.consumers.web import App
from tests.test_security_crawl import dead_port
from tests.test_serve_app import HOST, call

PROJECT = Path(__file__).resolve().parent.parent
OUT_OF_RANGE = ("999999w", "0001-01-01T00:00+01:00", "9999-12-31T23:30-01:00")


def newsmon(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler.apps.cli", *args],
        env={**os.environ, **(env or {})},
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The error of a refused command line: exit 2, no traceback, one line naming the problem (after argparse's
    usage line, when argparse refused it)."""
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line and not line.startswith(("usage:", " "))]
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_out_of_range_times_are_bad_filters(value):
    with pytest.raises(BadFilter, match="out of range"):
        parse_time(value, "since")


def test_the_edges_of_the_range_still_work():
    assert parse_time("0001-01-01T00:00Z").year == 1
    assert parse_time("9999-12-31T23:59Z").year == 9999
    assert parse_time("999999m").year > 1, "a large age that fits is an age"


def test_serve_answers_400_for_out_of_range_dates(db):
    app = App(db, page_size=2, allowed_hosts={"127.0.0.1:8700"})
    for value in OUT_OF_RANGE:
        for name in ("since", "until"):
            status, _, body = call(app, "/", {name: value}, **HOST)
            assert status == "400 Bad Request", (name, value)
            assert "out of range" in body
    status, _, _ = call(app, "/", {"since": "0001-01-01T00:00Z"}, **HOST)
    assert status == "200 OK"


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_export_refuses_out_of_range_dates_in_one_line(value, tmp_path):
    env = {"MONGO_URI": f"mongodb://127.0.0.1:{dead_port()}/", "NEWSMON_DATA_DIR": str(tmp_path / "data")}
    line = one_line_error(newsmon("export", "changes", "--since", value, env=env))
    assert "out of range" in line and value in line


def test_export_to_a_file_replaces_it_only_when_done(mongo_uri, db, tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("the previous export\n", encoding="utf-8")
    os.chmod(target, 0o640)
    dead = {
        "MONGO_URI": f"mongodb://127.0.0.1:{dead_port()}/",
        "NEWSMON_STORE_TIMEOUT_MS": "300",
        "NEWSMON_DATA_DIR": str(tmp_path / "data"),
    }
    done = newsmon("export", "changes", "-f", "csv", "-o", str(target), env=dead)
    assert done.returncode != 0
    assert target.read_text(encoding="utf-8") == "the previous export\n", "the database did not answer: untouched"
    assert not list(tmp_path.glob(".out.csv*")), "its temporary file is gone"

    db.changes.insert_one({"_id": "c1", "seq": 1, "article_id": "merkur.de:1", "field": "headline"})
    live = {"MONGO_URI": mongo_uri, "NEWSMON_MONGO_DB": db.name, "NEWSMON_DATA_DIR": str(tmp_path / "data")}
    done = newsmon("export", "changes", "-f", "csv", "-o", str(target), env=live)
    assert done.returncode == 0, done.stderr
    assert target.read_text(encoding="utf-8").splitlines()[0].startswith("_id,"), "replaced by the new export"
    assert (target.stat().st_mode & 0o777) == 0o640, "the file keeps its mode"
    assert not list(tmp_path.glob(".out.csv*")), "no temporary file left"


JOB = {"spider": "merkur", "every": "15m"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"jobs": [JOB], "max_parallel": "abc"},
            "max_parallel: expected a whole number from 1 to 64, got string 'abc'",
        ),
        ({"jobs": [JOB], "max_parallel": 0}, "max_parallel: expected a whole number"),
        ({"jobs": [JOB], "max_parallel": True}, "max_parallel: expected a whole number"),
        ({"jobs": [JOB], "stop_timeout": "x"}, "stop_timeout: expected seconds from 0 to 86400, got string 'x'"),
        ({"jobs": [JOB], "stop_timeout": -5}, "stop_timeout: expected seconds from 0 to 86400, got integer -5"),
        ({"jobs": [JOB], "refresh": "sometimes"}, "refresh: expected one of due, linked, all"),
        ({"jobs": [JOB], "log_dir": 3}, "log_dir: expected a non-empty string"),
        ({"jobs": {"spider": "merkur"}}, "jobs: expected \\[\\[jobs\\]\\] tables"),
        ({"jobs": [{**JOB, "args": "x"}]}, "job 1 \\(merkur\\): args: expected a table"),
        ({"jobs": [{**JOB, "args": {"site": ["a"]}}]}, "job 1 \\(merkur\\): args.site: expected a string, number"),
        ({"jobs": [{**JOB, "args": {"refresh": "x"}}]}, "job 1 \\(merkur\\): args.refresh: expected one of"),
        ({"jobs": [{**JOB, "settings": ["x"]}]}, "job 1 \\(merkur\\): settings: expected a table"),
        ({"jobs": [{**JOB, "every": "999999999999d"}]}, "job 1 \\(merkur\\): every: '999999999999d' is too long"),
        ({"jobs": [{**JOB, "every": "20000d"}]}, "job 1 \\(merkur\\): every: '20000d' is longer than 3660 days"),
        ({"jobs": [{**JOB, "every": 15}]}, "job 1 \\(merkur\\): every: expected a duration"),
        ({"jobs": [{**JOB, "every": "0m"}]}, "job 1 \\(merkur\\): every: must be positive"),
        ({"jobs": [{**JOB, "spider": 5}]}, "job 1: spider: expected a non-empty string, got integer 5"),
        ({"jobs": [{**JOB, "name": ["n"]}]}, "job 1 \\(merkur\\): name: expected a non-empty string"),
        ({"jobs": [JOB, {**JOB, "name": "nightly", "every": "x"}]}, "job 2 \\(nightly\\): every: not a duration"),
    ],
)
def test_every_schedule_key_is_type_and_range_checked(data, message):
    with pytest.raises(ScheduleError, match=f"^schedule: {message}"):
        schedule_from_dict(data)


def test_good_values_still_load():
    schedule = schedule_from_dict(
        {
            "jobs": [{**JOB, "args": {"site": "tz.de", "limit": 5, "render": True}, "settings": {"X": 1.5}}],
            "max_parallel": 3,
            "stop_timeout": 0,
            "refresh": "all",
        }
    )
    assert schedule.max_parallel == 3 and schedule.stop_timeout == 0.0
    assert schedule.jobs[0].args == {"site": "tz.de", "limit": "5", "render": "true", "refresh": "all"}
    assert schedule.jobs[0].settings == {"X": "1.5"}


def test_schedule_files_and_the_command_line_fail_in_one_line(tmp_path):
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('[[jobs]]\nspider = "merkur"\nevery = "15m"\nname = "Gr\xfc\xdfe"\n'.encode("latin-1"))
    with pytest.raises(ScheduleError, match="not UTF-8"):
        load_schedule(latin1)
    bad = tmp_path / "bad.toml"
    bad.write_text('max_parallel = "abc"\n[[jobs]]\nspider = "merkur"\nevery = "15m"\n', encoding="utf-8")
    good = tmp_path / "good.toml"
    good.write_text('[[jobs]]\nspider = "merkur"\nevery = "15m"\n', encoding="utf-8")
    env = {"NEWSMON_DATA_DIR": str(tmp_path / "data")}
    for args, expected in [
        (["--config", str(latin1)], "not UTF-8"),
        (["--config", str(bad)], "max_parallel: expected a whole number"),
        (["--config", str(good), "--max-parallel", "-3"], "--max-parallel: expected a whole number from 1 to 64"),
        (["--config", str(good), "--max-parallel", "abc"], "--max-parallel: expected a whole number"),
    ]:
        line = one_line_error(newsmon("schedule", "--dry-run", *args, env=env))
        assert expected in line, (args, line)
    done = newsmon("schedule", "--dry-run", "--config", str(good), "--max-parallel", "3", env=env)
    assert done.returncode == 0 and "merkur every 15m" in done.stdout, done.stderr
