"""End to end: re-crawls of the local site with the revisit policy and conditional requests, a crawl killed in the
middle and resumed, `newsmon crawl` into the store and a feed file, and the progress display."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from crawler.store.sequence import committed_seq
from tests.support.crawling import PROJECT, crawl, stored_ids
from tests.support.localsite import LocalSite

FAST = ("-s", "AUTOTHROTTLE_ENABLED=False")
DUE = ("-a", "refresh=due", *FAST)
ARTICLE = re.compile(r"-(\d{8})\.html$")


@pytest.fixture
def site() -> Iterator[tuple[LocalSite, str]]:
    local = LocalSite(n_articles=20, seed=6)
    local.conditional = True
    with local.serve(port=0) as base_url:
        yield local, base_url


def article_requests(local: LocalSite) -> list[tuple[str, int]]:
    return [(m.group(1), r.status) for r in local.requests if (m := ARTICLE.search(r.path.split("?")[0]))]


def stats(tmp_path) -> dict[str, int]:
    logs = sorted(tmp_path.glob("crawl-*.log"), key=lambda p: int(p.stem.split("-")[1]))
    text = logs[-1].read_text(encoding="utf-8")
    return {k: int(v) for k, v in re.findall(r"'([a-z_/0-9]+)': (\d+)", text)}


def test_an_unchanged_recrawl_by_the_policy_fetches_no_article_and_little_else(site, mongo_uri, db, tmp_path):
    local, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path, *FAST)
    first = sum(r.bytes_sent for r in local.requests)
    versions, changes = db.article_versions.count_documents({}), db.changes.count_documents({})
    assert db.articles.count_documents({"next_visit": {"$gt": datetime.now(UTC)}, "etag": {"$ne": None}}) == 20
    local.clear_requests()

    crawl(base_url, mongo_uri, db, tmp_path, *DUE)
    assert article_requests(local) == [], "stored articles not due are not requested"
    assert {r.status for r in local.requests} == {304}, "listings, feeds and sitemaps are revalidated"
    assert sum(r.bytes_sent for r in local.requests) <= 0.15 * first
    assert (db.article_versions.count_documents({}), db.changes.count_documents({})) == (versions, changes)
    numbers = stats(tmp_path)
    assert numbers["newsmon/revisit/known"] == 20 and numbers["newsmon/revisit/skip/not_due"] > 0
    teasers = db.teasers.find_one(sort=[("runs", -1)])
    assert teasers["runs"] == 2, "a listing answered 304 is read from the cache: its teasers count for this run"


def test_linked_refetches_are_conditional_and_a_304_is_neither_parsed_nor_stored(site, mongo_uri, db, tmp_path):
    local, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path, *FAST)
    before = {d["_id"]: d for d in db.articles.find()}
    local.clear_requests()
    crawl(base_url, mongo_uri, db, tmp_path, "-a", "refresh=linked", *FAST)

    fetched = article_requests(local)
    assert sorted(fetched) == sorted((str(a.id), 304) for a in local.articles)
    assert all(r.headers.get("If-None-Match") for r in local.requests if ARTICLE.search(r.path))
    numbers = stats(tmp_path)
    assert numbers["newsmon/revisit/not_modified"] == 20
    assert "newsmon/normalized/article" not in numbers, "no 304 was parsed"
    run = db.crawl_runs.find_one(sort=[("started_at", -1)])
    assert run["counts"]["new_versions"] == 0 and run["counts"].get("stored", {}).get("article", 0) == 0
    for doc in db.articles.find():
        assert doc["last_fetched"] > before[doc["_id"]]["last_fetched"], "the check is remembered"
        assert doc["version"] == 1 and doc["content_hash"] == before[doc["_id"]]["content_hash"]


def test_edits_are_found_by_their_signals_and_only_they_are_fetched(site, mongo_uri, db, tmp_path):
    local, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path, *FAST)
    edited = local.articles[2:5]
    for spec in edited:  # the page changes, and so does its sitemap lastmod
        local.edit_article(spec.id, lead=(spec.lead or "") + " Update: Die Lage hat sich verschärft.")
    local.clear_requests()
    crawl(base_url, mongo_uri, db, tmp_path, *DUE)

    assert sorted(a for a, _ in article_requests(local)) == sorted(str(s.id) for s in edited)
    for spec in edited:
        aid = f"merkur.de:{spec.id}"
        assert db.articles.find_one({"_id": aid})["version"] == 2
        assert db.changes.find_one({"article_id": aid, "field": "lead"}), aid
    assert stats(tmp_path)["newsmon/revisit/fetch/modified"] == len(edited)


def test_a_changed_teaser_headline_makes_its_article_due(site, mongo_uri, db, tmp_path):
    local, base_url = site
    spec = next(a for a in local.articles if a.section == "politik")
    section = ("-a", "section=politik")  # no sitemaps: the teaser is the only signal
    crawl(base_url, mongo_uri, db, tmp_path, *section, *FAST)
    local.edit_article(spec.id, teaser_headline="Droht die Eskalation? Baerbock warnt Moskau")
    local.clear_requests()
    crawl(base_url, mongo_uri, db, tmp_path, *section, *DUE)
    assert article_requests(local) == [(str(spec.id), 200)]
    assert stats(tmp_path)["newsmon/revisit/fetch/teaser_headline"] == 1


def test_due_articles_no_longer_linked_come_from_the_stored_list_within_the_budget(site, mongo_uri, db, tmp_path):
    local, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path, *FAST)
    gone = local.articles[7]
    local.remove_article(gone.id)
    past = datetime.now(UTC) - timedelta(minutes=1)
    db.articles.update_many({}, {"$set": {"next_visit": past}})
    db.articles.update_one({"_id": f"merkur.de:{gone.id}"}, {"$set": {"next_visit": past - timedelta(days=9)}})
    local.clear_requests()
    crawl(base_url, mongo_uri, db, tmp_path, *DUE, "-s", "NEWSMON_REVISIT_BUDGET=3")

    fetched = article_requests(local)
    assert len(fetched) == 3, "the budget caps re-fetches"
    assert (str(gone.id), 410) in fetched, "the most overdue, linked nowhere, is fetched from the stored list"
    numbers = stats(tmp_path)
    assert numbers["newsmon/revisit/fetch/due_unlinked"] == 1 and numbers["newsmon/revisit/skip/over_budget"] > 0
    assert db.rejects.find_one({"reason": "http 410"})["url"].endswith(gone.path)


def test_refresh_all_fetches_every_stored_article_conditionally(site, mongo_uri, db, tmp_path):
    local, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path, *FAST)
    etags = {a.id: local.respond(a.path).etag for a in local.articles}
    changes = {c["_id"] for c in db.changes.find({}, {"_id": 1})}
    gone = local.articles[0]
    local.remove_article(gone.id)
    edited = local.articles[3]
    local.edit_article(edited.id, headline="Eine ganz neue Schlagzeile")
    # The removal also changes other pages: their related-article teasers (furniture, not content) move up.
    same = {str(a.id) for a in local.articles if local.respond(a.path).etag == etags[a.id]}
    assert str(edited.id) not in same and len(same) >= 5
    local.clear_requests()
    crawl(base_url, mongo_uri, db, tmp_path, "-a", "refresh=all", *FAST, "-s", "NEWSMON_REVISIT_BUDGET=0")

    fetched = dict(article_requests(local))
    assert len(fetched) == 20 and fetched[str(gone.id)] == 410 and fetched[str(edited.id)] == 200
    assert {a for a, status in fetched.items() if status == 304} == same, "304 exactly for the unchanged pages"
    assert all(r.headers.get("If-None-Match") for r in local.requests if ARTICLE.search(r.path))
    assert db.articles.find_one({"_id": f"merkur.de:{edited.id}"})["headline"] == "Eine ganz neue Schlagzeile"
    assert db.article_versions.count_documents({}) == 21, "a page whose furniture changed gives no version"
    new_changes = db.changes.find({"_id": {"$nin": list(changes)}})
    assert {c["article_id"] for c in new_changes} == {f"merkur.de:{edited.id}"}


def test_a_crawl_killed_in_the_middle_resumes_with_nothing_lost_and_nothing_twice(site, mongo_uri, db, tmp_path):
    local, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path, *FAST)
    edited = [a.id for a in local.articles[::4]]
    for n, article_id in enumerate(edited):
        local.edit_article(article_id, headline=f"Neue Schlagzeile Nummer {n}")
    added = [local.add_article(headline=f"Eilmeldung {n}", section="welt") for n in range(3)]
    local.set_fault(r"-\d{8}\.html$", "slow", delay=0.4)
    local.clear_requests()
    running = crawl(base_url, mongo_uri, db, tmp_path, "-s", "CONCURRENT_REQUESTS=2", *FAST, wait=False)
    deadline = time.monotonic() + 120
    while len(article_requests(local)) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    running.send_signal(signal.SIGKILL)
    running.wait(30)
    assert db.crawl_runs.find_one({"status": "running"}), "the killed run could not record its end"
    local.clear_faults()

    crawl(base_url, mongo_uri, db, tmp_path, *DUE)
    assert stored_ids(db) == {f"merkur.de:{a.id}" for a in local.articles}
    for doc in db.articles.find():
        versions = list(db.article_versions.find({"article_id": doc["_id"]}).sort("version", 1))
        expected = 2 if int(doc["_id"].split(":")[1]) in edited else 1
        assert [v["version"] for v in versions] == list(range(1, expected + 1)), doc["_id"]
        assert len({v["content_hash"] for v in versions}) == expected, "no version stored twice"
        assert doc["version"] == expected and doc["content_hash"] == versions[-1]["content_hash"]
    for n, article_id in enumerate(edited):
        (change,) = list(db.changes.find({"article_id": f"merkur.de:{article_id}", "field": "headline"}))
        assert change["new"] == f"Neue Schlagzeile Nummer {n}"
    seqs = [c["seq"] for c in db.changes.find()]
    assert len(seqs) == len(set(seqs)) and max(seqs) <= committed_seq(db)
    assert all(db.articles.find_one({"_id": f"merkur.de:{a}"}) for a in added)


def test_newsmon_crawl_stores_and_writes_a_feed_file(site, mongo_uri, db, tmp_path):
    local, base_url = site
    out = tmp_path / "articles.jsonl"
    env = {**os.environ, "MONGO_URI": mongo_uri, "NEWSMON_MONGO_DB": db.name, "NEWSMON_DATA_DIR": str(tmp_path / "d")}
    command = [
        sys.executable,
        "-m",
        "crawler.apps.cli",
        "crawl",
        "merkur",
        "-a",
        f"base_url={base_url}",
        "-O",
        str(out),
    ]
    command += ["--logfile", str(tmp_path / "crawl.log"), "-s", "AUTOTHROTTLE_ENABLED=False"]
    assert subprocess.run(command, env=env, cwd=PROJECT, timeout=300, check=False).returncode == 0
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    articles = {i["publisher_id"] for i in items if "body" in i}
    assert articles == {str(a.id) for a in local.articles} and any("page_url" in i for i in items)
    assert stored_ids(db) == {f"merkur.de:{a.id}" for a in local.articles}
    assert subprocess.run([*command[:3], "crawl", "--help"], capture_output=True, check=False).returncode == 0


def test_progress_is_logged_and_shown_live_on_request(site, mongo_uri, db, tmp_path):
    _, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path, *FAST, "-s", "NEWSMON_PROGRESS_INTERVAL=0.3")
    log = (tmp_path / "crawl-0.log").read_text(encoding="utf-8")
    line = re.search(r"Progress: \d+:\d\d:\d\d (\d+) pages, (\d+) articles \((\d+) new, .* waiting", log)
    assert line, "a periodic stats line with newsmon's counts"

    env = {**os.environ, "MONGO_URI": mongo_uri, "NEWSMON_MONGO_DB": db.name, "NEWSMON_DATA_DIR": str(tmp_path / "d")}
    command = [sys.executable, "-m", "scrapy", "crawl", "merkur", "-a", f"base_url={base_url}", *FAST]
    live = subprocess.run(
        [*command, "-s", "NEWSMON_PROGRESS_LIVE=on"],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert live.returncode == 0
    stderr = live.stderr.decode("utf-8", "replace")
    assert "\r\x1b[K" in stderr and re.search(r"\d+ pages, \d+ articles .* waiting \[finished\]\n", stderr)
    quiet = subprocess.run(command, env=env, cwd=PROJECT, capture_output=True, timeout=300, check=False)
    assert "\x1b[K" not in quiet.stderr.decode("utf-8", "replace"), "not a terminal: no live line"
