"""End to end on the local site: the invariants that make the change feed and the health alerts trustworthy.

- a first crawl writes 0 changes and raises 0 alerts; a teaser headline unlike its article's is a teaser fact;
- an unchanged re-crawl (all 304) makes 0 versions, 0 changes and sends 0 health alerts;
- configured sections and feeds that answer 404 are discovery findings, not rejects;
- two mirrors of the site make 0 new versions and 0 changes, and everything is keyed to the real site;
- a re-crawl after an extractor upgrade makes re-baselines and 0 changes;
- after edits of a headline, a crosshead typo, a teaser kicker and a lead exactly those are flagged.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace

from crawler.apps.summary import summarize
from crawler.consumers.export import documents
from crawler.consumers.query import Filters
from tests.support.crawling import PROJECT, crawl, crawl_command
from tests.support.localsite import LocalSite

REAL = "https://www.merkur.de"
ABSENT = ("bayern", "/sport/rssfeed.rdf")


def alert_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_first_crawl_flags_nothing_and_an_unchanged_recrawl_stores_and_alerts_nothing(mongo_uri, db, tmp_path):
    site = LocalSite(n_articles=16, seed=5, absent=ABSENT)
    site.conditional = True
    differing = [a for a in site.articles if a.teaser_headline != a.headline]
    assert differing, "the site needs teasers worded otherwise than their articles"
    alerts = tmp_path / "alerts.jsonl"
    args = ("-s", f"NEWSMON_ALERT_JSONL={alerts}")
    with site.serve(port=0) as base_url:
        crawl(base_url, mongo_uri, db, tmp_path, *args)
        first = db.crawl_runs.find_one()
        assert db.changes.count_documents({}) == 0 and alert_lines(alerts) == []
        assert db.article_versions.count_documents({}) == len(site.articles)

        # a teaser headline unlike its article's: kept on the teaser, queryable, counted in the summary
        spec = differing[0]
        teaser = db.teasers.find_one({"_id": f"merkur.de:{spec.id}"})
        facts = teaser["headline_vs_article"]
        assert (facts["teaser"], facts["article"]) == (spec.teaser_headline, spec.headline) and facts["since"]
        found = {d["_id"] for d in documents(db, "teasers", Filters(headline_differs=True))}
        assert f"merkur.de:{spec.id}" in found
        assert all(d["headline_vs_article"] is None for d in db.teasers.find({"_id": {"$nin": list(found)}}))
        assert f"Teasers whose headline differs from the article's: {len(found)};" in summarize(db)

        # sections and feeds the site does not have: a finding on the run, not a reject, not an alert
        health = first["health"]
        missing = {m["url"]: m for m in health["discovery"]["missing"]}
        assert set(missing) == {f"{REAL}/bayern/", f"{REAL}/bayern/rssfeed.rdf", f"{REAL}/sport/rssfeed.rdf"}
        assert db.rejects.count_documents({}) == 0
        assert health["status"] == "ok" and health["sent"] == 0, health["alerts"]
        assert f"{REAL}/bayern/rssfeed.rdf" in summarize(db)

        crawl(base_url, mongo_uri, db, tmp_path, *args, "-a", "refresh=all")
    second = db.crawl_runs.find_one({"_id": {"$ne": first["_id"]}})
    assert second["health"]["metrics"]["not_modified"] == len(site.articles)
    assert db.article_versions.count_documents({}) == len(site.articles)
    assert db.changes.count_documents({}) == 0 and second["counts"]["changes"] == 0
    assert second["health"]["status"] == "ok" and second["health"]["sent"] == 0, second["health"]["alerts"]
    assert second["health"]["metrics"]["reject_rate"] == 0.0
    assert alert_lines(alerts) == []
    again = {m["url"]: m["since"] for m in second["health"]["discovery"]["missing"]}
    assert again == {url: m["since"] for url, m in missing.items()}, "since when: carried over from the first run"


def test_two_mirrors_store_nothing_new_and_everything_is_keyed_to_the_real_site(mongo_uri, db, tmp_path):
    site = LocalSite(n_articles=12, seed=3)
    with site.serve(port=0), site.mirror() as one, site.mirror() as two:
        crawl(one, mongo_uri, db, tmp_path)
        versions = db.article_versions.count_documents({})
        crawl(two, mongo_uri, db, tmp_path)
    assert versions == len(site.articles) == db.article_versions.count_documents({})
    assert db.changes.count_documents({}) == 0
    for article in db.articles.find():
        urls = [article["url"], *article["urls"], *(i["url"] for i in article.get("images") or [])]
        assert urls and all(u.startswith(f"{REAL}/") for u in urls), urls
    teasers = list(db.teasers.find())
    assert teasers
    for teaser in teasers:
        pages = [p["page"] for p in teaser["placements"].values()]
        assert all(u.startswith(f"{REAL}/") for u in [teaser["url"], *teaser["urls"], *pages]), teaser


def test_an_extractor_upgrade_is_a_rebaseline_and_then_only_real_edits_are_flagged(mongo_uri, db, tmp_path):
    site = LocalSite(n_articles=12, seed=5)
    alerts = tmp_path / "alerts.jsonl"
    args = ("-s", f"NEWSMON_ALERT_JSONL={alerts}")
    with site.serve(port=0) as base_url:
        crawl(base_url, mongo_uri, db, tmp_path, *args)
        (current,) = {a["extractor"] for a in db.articles.find()}  # today's IPPEN generation read them all
        # What the store would hold had an older extractor read the pages: another version name, and a
        # headline read differently (the kicker glued to it).
        for article in db.articles.find():
            glued = f"{article.get('kicker') or 'Aktuell'} {article['headline']}"
            db.articles.update_one(
                {"_id": article["_id"]}, {"$set": {"extractor": "ippen/0", "headline": glued, "content_hash": "old"}}
            )
            db.article_versions.update_one(
                {"article_id": article["_id"], "version": 1}, {"$set": {"extractor": "ippen/0", "headline": glued}}
            )
        changed_before = {a["_id"]: a["last_changed"] for a in db.articles.find()}
        crawl(base_url, mongo_uri, db, tmp_path, *args, "-a", "refresh=all")
        rebased = list(db.article_versions.find({"version": 2}))
        assert len(rebased) == len(site.articles)
        assert {(v["rebaseline"]["from_extractor"], v["rebaseline"]["to_extractor"]) for v in rebased} == {
            ("ippen/0", current)
        }
        assert db.changes.count_documents({}) == 0 and alert_lines(alerts) == []
        assert {a["_id"]: a["last_changed"] for a in db.articles.find()} == changed_before

        # the edits of the issue, one article each; every other article is left alone
        def crosshead(spec) -> int | None:
            return next(
                (i for i, b in enumerate(spec.body) if b.kind == "crosshead" and len(b.text.split()[0]) > 5), None
            )

        typo = next(a for a in site.articles if crosshead(a) is not None)
        headline, kicker, lead = [a for a in site.articles if a.kicker and a.id not in (typo.id, site.seed_article_id)][
            :3
        ]
        site.edit_article(headline.id, headline="Droht die Eskalation?")
        body = list(typo.body)
        index = crosshead(typo)
        assert index is not None
        word = body[index].text.split()[0]
        body[index] = replace(body[index], text=body[index].text.replace(word, word[:2] + word[3:], 1))
        site.edit_article(typo.id, body=tuple(body))
        site.edit_article(kicker.id, teaser_kicker="Eilmeldung")
        site.edit_article(lead.id, lead=lead.lead + " Die Lage bleibt angespannt.")
        crawl(base_url, mongo_uri, db, tmp_path, *args)

    edits = {(c["article_id"], c["field"], c["edit_class"]) for c in db.changes.find({"editorial": True})}
    aid = "merkur.de:{}".format
    assert {(a, f) for a, f, _ in edits} - {(aid(headline.id), "teaser.headline")} == {
        (aid(headline.id), "headline"),
        (aid(typo.id), "body"),
        (aid(kicker.id), "teaser.kicker"),
        (aid(lead.id), "lead"),
    }
    assert (aid(typo.id), "body", "typo_fix") in edits
    touched = {aid(a.id) for a in (headline, typo, kicker, lead)}
    assert {c["article_id"] for c in db.changes.find()} <= touched, "no change on an untouched article"
    alerted = {(a["article_id"], a["field"]) for a in alert_lines(alerts)}
    assert {(a, f) for a, f, _ in edits} <= alerted


def test_a_missing_page_asked_for_by_url_gets_plain_health_messages(mongo_uri, db, tmp_path):
    site = LocalSite(n_articles=3, seed=2)
    with site.serve(port=0) as base_url:
        log = tmp_path / "crawl.log"
        command, env = crawl_command(
            base_url, mongo_uri, db.name, tmp_path / "data", log, "-a", f"url={base_url}/politik/weg-99999999.html"
        )
        subprocess.run(command, env=env, cwd=PROJECT, timeout=300, check=False)
    text = log.read_text(encoding="utf-8")
    assert "Unable to find" not in text
    health = db.crawl_runs.find_one()["health"]
    failed = {m["monitor"]: m["message"] for m in health["monitors"] if m["status"] != "OK"}
    assert "0 article page(s) read" in failed["Pages read/Enough pages read"], failed
    assert all(message and "job stats" not in message for message in failed.values()), failed
