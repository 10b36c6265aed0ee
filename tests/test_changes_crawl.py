"""End to end: crawls of the local site, edits between them, and the `changes` feed they produce."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from crawler.store.sequence import committed_seq
from tests.support.crawling import crawl
from tests.support.localsite import LocalSite


@pytest.fixture
def site() -> Iterator[tuple[LocalSite, str]]:
    local = LocalSite(n_articles=16, seed=5)
    with local.serve(port=0) as base_url:
        yield local, base_url


def seed_url(local: LocalSite, base_url: str) -> str:
    return base_url + local.article(local.seed_article_id).path


def test_the_seed_cases_headline_change_and_typo_fix(site, mongo_uri, db, tmp_path):
    local, base_url = site
    seed = local.article(local.seed_article_id)
    alerts = tmp_path / "alerts.jsonl"
    crawl(base_url, mongo_uri, db, tmp_path)
    assert db.changes.count_documents({}) == 0, "a first crawl finds articles, not edits"

    local.edit_article(seed.id, headline="Droht die Eskalation?")
    crawl(base_url, mongo_uri, db, tmp_path, "-s", f"NEWSMON_ALERT_JSONL={alerts}")
    (headline,) = list(db.changes.find({"article_id": f"merkur.de:{seed.id}", "field": "headline"}))
    assert headline["edit_class"] == "headline_change"
    assert (headline["old"], headline["new"]) == (seed.headline, "Droht die Eskalation?")
    assert (headline["version_from"], headline["version_to"]) == (1, 2)
    # crawled through base_url (a mirror of merkur.de), stored keyed to the real site
    assert headline["url"] == "https://www.merkur.de" + seed.path and headline["run_id"]
    assert headline["prominence"]["position"] >= 1
    assert headline["prominence"]["page"].startswith("https://www.merkur.de/")
    assert any(op["op"] != "equal" for op in headline["diff"])
    lines = [json.loads(line) for line in alerts.read_text(encoding="utf-8").splitlines()]
    assert any(rec.get("field") == "headline" and rec.get("new") == "Droht die Eskalation?" for rec in lines)

    body = list(local.article(seed.id).body)
    body[2] = replace(body[2], text=body[2].text.replace("Baerbock", "Barbock", 1))
    local.edit_article(seed.id, body=tuple(body))
    crawl(base_url, mongo_uri, db, tmp_path, "-a", f"url={seed_url(local, base_url)}")
    body[2] = replace(body[2], text=body[2].text.replace("Barbock", "Baerbock", 1))
    local.edit_article(seed.id, body=tuple(body))
    crawl(base_url, mongo_uri, db, tmp_path, "-a", f"url={seed_url(local, base_url)}")
    fix = db.changes.find_one({"article_id": f"merkur.de:{seed.id}", "field": "body", "version_to": 4})
    assert fix["edit_class"] == "typo_fix"
    assert [(op["old"], op["new"]) for op in fix["diff"] if op["op"] != "equal"] == [("Barbock", "Baerbock")]

    seqs = [c["seq"] for c in db.changes.find().sort("seq", 1)]
    assert len(seqs) == len(set(seqs)) and seqs == sorted(seqs) and committed_seq(db) >= seqs[-1]


def test_an_unchanged_recrawl_flags_nothing(site, mongo_uri, db, tmp_path):
    local, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path)
    first = db.changes.count_documents({})
    crawl(base_url, mongo_uri, db, tmp_path)
    assert db.changes.count_documents({}) == first
    assert db.article_versions.count_documents({}) == len(local.articles)
    run = db.crawl_runs.find_one(sort=[("started_at", -1)])
    assert run["counts"]["changes"] == 0 and run["health_alerts"] == []


def test_teaser_headline_changes_and_ab_flips_are_flagged(site, mongo_uri, db, tmp_path):
    local, base_url = site
    seed = local.article(local.seed_article_id)
    other = "Droht die Eskalation? Blinken reist nach Kiew"
    alerts = tmp_path / "alerts.jsonl"
    crawl(base_url, mongo_uri, db, tmp_path)
    local.edit_article(seed.id, teaser_headline=other)
    crawl(base_url, mongo_uri, db, tmp_path, "-s", f"NEWSMON_ALERT_JSONL={alerts}")
    local.edit_article(seed.id, teaser_headline=seed.teaser_headline)
    crawl(base_url, mongo_uri, db, tmp_path, "-s", f"NEWSMON_ALERT_JSONL={alerts}")

    flips = list(db.changes.find({"article_id": f"merkur.de:{seed.id}", "field": "teaser.headline"}).sort("seq", 1))
    assert [(c["old"], c["new"]) for c in flips] == [(seed.teaser_headline, other), (other, seed.teaser_headline)]
    # A -> B is an edit as far as anyone can tell; B -> A returns to a wording seen lately: an A/B test
    assert [c["edit_class"] for c in flips] == ["headline_change", "ab_flip"]
    teaser = db.teasers.find_one({"_id": f"merkur.de:{seed.id}"})
    test = teaser["ab_tests"]["headline"]
    assert [w["value"] for w in test["wordings"]] == [seed.teaser_headline, other]
    assert all(w["count"] >= 1 and w["first_seen"] <= w["last_seen"] for w in test["wordings"])
    alerted = [json.loads(line) for line in alerts.read_text(encoding="utf-8").splitlines()]
    assert [a["edit_class"] for a in alerted if a.get("field") == "teaser.headline"] == ["headline_change"]
    # a teaser headline unlike its article's is a fact on the teaser, not a change
    assert db.changes.count_documents({"field": {"$regex": "^teaser_vs_article"}}) == 0
    assert teaser["headline_vs_article"] is None  # back to the article's wording (the seed's teaser says so)
    # The page itself only moved its modified date (the local site stamps every edit): no editorial change.
    page = db.changes.find({"article_id": f"merkur.de:{seed.id}", "version_to": {"$gte": 2}})
    assert {(c["field"], c["editorial"]) for c in page} == {("modified", False)}


def test_a_field_gone_on_most_articles_is_drift_not_edits(site, mongo_uri, db, tmp_path):
    local, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path)
    with_kicker = [a for a in local.articles if a.kicker]
    assert len(with_kicker) >= 5
    for spec in with_kicker:  # a template change drops every kicker
        local.edit_article(spec.id, kicker=None)
    crawl(base_url, mongo_uri, db, tmp_path)

    assert db.changes.count_documents({"field": "kicker"}) == 0
    run = db.crawl_runs.find_one(sort=[("started_at", -1)])
    (alert,) = [a for a in run["health_alerts"] if a["field"] == "kicker"]
    assert alert["direction"] == "went_empty" and alert["flipped"] == len(with_kicker)
    assert run["counts"]["suppressed_changes"] >= len(with_kicker)
    assert db.article_versions.count_documents({}) == len(local.articles) + len(with_kicker)
