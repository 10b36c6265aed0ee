"""One settings path for `scrapy crawl`: env settings take effect, `-s` beats env, a bad value or spider argument
is refused in one line before the crawl, and a crawl that could fetch nothing it was asked for exits 1.

Every crawl here is `scrapy crawl` in a subprocess (tests/support/crawling.py): what is tested is what a user runs."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from tests.support.crawling import PROJECT, crawl_command
from tests.support.localsite import LocalSite

FAST = ("-s", "AUTOTHROTTLE_ENABLED=false", "-s", "RETRY_TIMES=0")


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with LocalSite(n_articles=4, seed=11).serve(port=0) as url:
        yield url


def run(
    base_url: str,
    mongo_uri: str,
    db: Database,
    tmp_path: Path,
    *args: str,
    env: dict[str, str] | None = None,
    spider: str = "merkur",
) -> tuple[int, str, str]:
    """`scrapy crawl merkur` with env additions; (exit code, log file text, stderr)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    log = tmp_path / f"crawl-{len(list(tmp_path.glob('crawl-*.log')))}.log"
    command, base_env = crawl_command(base_url, mongo_uri, db.name, tmp_path / "data", log, *FAST, *args, spider=spider)
    done = subprocess.run(
        command, env={**base_env, **(env or {})}, cwd=PROJECT, capture_output=True, text=True, timeout=300
    )
    return done.returncode, log.read_text(encoding="utf-8") if log.exists() else "", done.stderr


def revisit_line(log: str) -> str:
    return next(line for line in log.splitlines() if "Revisit merkur.de:" in line)


def test_int_bool_and_choice_settings_from_env_and_s_beats_env(base_url, mongo_uri, db, tmp_path):
    env = {"NEWSMON_REFRESH": "all", "NEWSMON_REVISIT_BUDGET": "7", "NEWSMON_CONDITIONAL": "off"}
    code, log, _ = run(base_url, mongo_uri, db, tmp_path, env=env)
    assert code == 0
    assert "refresh=all, budget 7, conditional requests off" in revisit_line(log)
    code, log, _ = run(
        base_url, mongo_uri, db, tmp_path, "-s", "NEWSMON_REFRESH=due", "-s", "NEWSMON_CONDITIONAL=yes", env=env
    )
    assert code == 0
    assert "refresh=due, budget 7, conditional requests on" in revisit_line(log)


def test_a_text_setting_from_env_takes_effect(base_url, mongo_uri, db, tmp_path):
    """NEWSMON_REVISIT_INTERVALS: an article's next visit is set by the intervals of the run that fetched it; with
    `*=1s` from env every stored article is due a second later, with the default (15 minutes at first) none."""
    every_second = {"NEWSMON_REVISIT_INTERVALS": "*=1s"}
    assert run(base_url, mongo_uri, db, tmp_path)[0] == 0
    _, log, _ = run(base_url, mongo_uri, db, tmp_path, "-a", "refresh=due")
    stored = int(re.search(r"merkur\.de: (\d+) stored", revisit_line(log)).group(1))
    assert stored > 0 and f"{stored} stored articles, 0 due" in revisit_line(log)
    assert run(base_url, mongo_uri, db, tmp_path, "-a", "refresh=all", env=every_second)[0] == 0
    time.sleep(1.5)
    _, log, _ = run(base_url, mongo_uri, db, tmp_path, "-a", "refresh=due", env=every_second)
    assert f"{stored} stored articles, {stored} due" in revisit_line(log)


def test_a_float_setting_from_env_takes_effect(base_url, mongo_uri, db, tmp_path):
    _, log, _ = run(base_url, mongo_uri, db, tmp_path, "-s", "DOWNLOAD_DELAY=0.3")
    assert "Progress:" not in log  # the default: a line a minute
    _, log, _ = run(
        base_url, mongo_uri, db, tmp_path, "-s", "DOWNLOAD_DELAY=0.3", env={"NEWSMON_PROGRESS_INTERVAL": "0.2"}
    )
    assert "Progress:" in log


@pytest.mark.parametrize(
    ("env", "args", "named"),
    [
        (
            {"NEWSMON_REFRESH": "bogus"},
            (),
            "NEWSMON_REFRESH='bogus' (environment variable NEWSMON_REFRESH) expects one of",
        ),
        ({"NEWSMON_REVISIT_BUDGET": "many"}, (), "NEWSMON_REVISIT_BUDGET='many' (environment variable"),
        ({}, ("-s", "NEWSMON_CONDITIONAL=perhaps"), "NEWSMON_CONDITIONAL='perhaps' (setting) expects true or false"),
        (
            {},
            ("-s", "NEWSMON_STORE_FLUSH_SECONDS=soon"),
            "NEWSMON_STORE_FLUSH_SECONDS='soon' (setting) expects a number",
        ),
        ({"NEWSMON_REVISIT_INTERVALS": "3h"}, (), "NEWSMON_REVISIT_INTERVALS='3h'"),
        ({"MONGO_URI": "localhost:27017"}, (), "MONGO_URI='localhost:27017'"),
        ({}, ("-a", "base_url=notaurl"), "-a base_url='notaurl': give an http(s) URL"),
        ({}, ("-a", "since=yesterdayish"), "'yesterdayish' is neither an ISO date/time nor an age"),
        ({}, ("-a", "max_articles=-3"), "-a max_articles='-3': give a positive whole number"),
        ({}, ("-a", "max_article=3"), "unknown spider argument(s) max_article: merkur takes"),
        ({}, ("-a", "refresh=sometimes"), "-a refresh='sometimes': use one of due, linked, all"),
    ],
)
def test_a_bad_setting_or_argument_is_refused_in_one_line(env, args, named, base_url, mongo_uri, db, tmp_path):
    code, log, stderr = run(base_url, mongo_uri, db, tmp_path, *args, env=env)
    assert code == 2
    assert "Traceback" not in stderr + log
    printed = [line for line in stderr.splitlines() if line.strip()]  # nothing else, not even Scrapy's banner
    assert len(printed) == 1 and printed[0].startswith("scrapy crawl: ") and named in printed[0], stderr[-2000:]
    assert db.crawl_runs.count_documents({}) == 0, "refused before the crawl started"


def test_an_unknown_spider_is_one_line(base_url, mongo_uri, db, tmp_path):
    command, env = crawl_command(base_url, mongo_uri, db.name, tmp_path / "data", tmp_path / "x.log", spider="nosuch")
    done = subprocess.run(command, env=env, cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == "scrapy crawl: no spider named 'nosuch'; spiders: ippen, merkur, news\n"


def test_scrapyd_and_scrapy_own_arguments_pass(base_url, mongo_uri, db, tmp_path):
    code, _, stderr = run(
        base_url, mongo_uri, db, tmp_path, "-a", "_job=abc123", "-a", "max_articles=1", "-a", "since=7d"
    )
    assert code == 0, stderr[-2000:]


@pytest.mark.parametrize(
    "args",
    [
        ("-a", "section=nosuch"),
        ("-a", "url={base}/politik/gone-91234567.html"),
        ("-a", "url={base}/politik/"),  # not an article URL: nothing to fetch
    ],
)
def test_a_crawl_whose_every_start_request_failed_exits_1(args, base_url, mongo_uri, db, tmp_path):
    code, log, _ = run(base_url, mongo_uri, db, tmp_path, *(a.format(base=base_url) for a in args))
    assert code == 1
    assert "Crawl failed: every start request failed" in log
    assert "http 404" in log or "not an article URL of merkur.de" in log


def test_some_missing_default_sections_are_a_finding_not_a_failure(base_url, mongo_uri, db, tmp_path):
    """A site whose default sections include one the site lacks (404): the run still succeeds."""
    config = tmp_path / "site.toml"
    config.write_text(
        f'key = "merkur.de"\nbase_url = "{base_url}"\nsections = ["politik", "nosuch"]\n'
        'article_pattern = "-\\\\d+\\\\.html$"\nprofile = "ippen"\n',
        encoding="utf-8",
    )
    code, log, _ = run(base_url, mongo_uri, db, tmp_path, "-a", f"config={config}", spider="news")
    assert "/nosuch/: http 404" in log
    assert code == 0 and "Crawl failed" not in log
    assert db.articles.count_documents({}) > 0


def test_mongo_uri_database_is_used_unless_newsmon_mongo_db_is_set(base_url, mongo_uri, db, tmp_path):
    """`mongodb://host/mydesk` writes to `mydesk`; NEWSMON_MONGO_DB (env or -s) wins; `admin` is not a data db."""
    client = MongoClient(mongo_uri)
    path_db = f"{db.name}_desk"
    try:
        uri = mongo_uri.replace("/?", f"/{path_db}?") if "/?" in mongo_uri else f"{mongo_uri.rstrip('/')}/{path_db}"
        code, _, _ = run(
            base_url, mongo_uri, db, tmp_path, "-a", "max_articles=1", env={"MONGO_URI": uri, "NEWSMON_MONGO_DB": ""}
        )
        assert code == 0 and client[path_db].articles.count_documents({}) == 1
        code, _, _ = run(base_url, mongo_uri, db, tmp_path, "-a", "max_articles=1", env={"MONGO_URI": uri})
        assert code == 0 and db.articles.count_documents({}) == 1, "NEWSMON_MONGO_DB wins over the URI's path"
    finally:
        client.drop_database(path_db)
        client.close()


def test_a_crawl_logs_no_deprecation_warning_and_spidermon_in_one_line_unless_a_monitor_fails(
    base_url, mongo_uri, db, tmp_path
):
    code, log, _ = run(base_url, mongo_uri, db, tmp_path)
    assert code == 0
    assert "DeprecationWarning" not in log and "Traceback" not in log
    spidermon = [line for line in log.splitlines() if "[Spidermon]" in line]
    assert len(spidermon) == 1 and "monitors passed" in spidermon[0]
    code, log, _ = run(base_url, mongo_uri, db, tmp_path, "-a", "section=nosuch")  # no item: a monitor fails
    assert code == 1 and "DeprecationWarning" not in log
    assert "FAIL" in "\n".join(line for line in log.splitlines() if "[Spidermon]" in line)
