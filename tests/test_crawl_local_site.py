"""End to end: `scrapy crawl merkur` in a subprocess against the local site, into a throwaway database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.crawling import crawl, stored_ids
from tests.support.localsite import LocalSite


@pytest.fixture
def site() -> Iterator[tuple[LocalSite, str]]:
    local = LocalSite(n_articles=24, seed=3)
    with local.serve(port=0) as base_url:
        yield local, base_url


def test_crawl_stores_every_article_teaser_and_the_run(site, mongo_uri, db, tmp_path):
    local, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path)

    expected = {f"merkur.de:{a.id}" for a in local.articles}
    assert stored_ids(db) == expected
    assert db.article_versions.count_documents({}) == len(expected)

    seed = db.articles.find_one({"_id": f"merkur.de:{local.seed_article_id}"})
    assert seed["kicker"] == "Droht die Eskalation?"
    assert "Baerbock" in seed["headline"]
    assert seed["published"].tzinfo is not None
    assert len(seed["body"]) > 3
    assert seed["urls"] == ["https://www.merkur.de" + local.article(local.seed_article_id).path]  # the real site

    assert db.teasers.count_documents({}) > 0
    assert {t["article_id"] for t in db.teasers.find()} <= expected
    repeated = db.teasers.find_one({"observations": {"$gt": 1}})
    assert repeated is not None, "the local site teases articles on several pages; they land on one document"
    for teaser in db.teasers.find():  # every teaser markup generation: kicker inside the h3, beside it, none
        spec = local.article(int(teaser["article_id"].split(":")[1]))
        assert (teaser["headline"], teaser["kicker"]) == (spec.teaser_headline, spec.kicker)
        if spec.kicker and not spec.teaser_headline.startswith(spec.kicker):
            assert not teaser["headline"].startswith(spec.kicker), "a stored headline does not begin with its kicker"

    (run,) = list(db.crawl_runs.find())
    assert run["spider"] == "merkur" and run["site"] == "merkur.de"
    assert run["status"] == "finished" and run["stop_reason"] == "finished"
    assert run["counts"]["new_articles"] == len(expected)
    assert run["counts"]["requests"] > len(expected)
    assert run["args"] == {"base_url": base_url}
    assert db.rejects.count_documents({}) == 0


def test_recrawl_of_an_unchanged_site_adds_no_version_and_an_edit_adds_one(site, mongo_uri, db, tmp_path):
    local, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path)
    versions = db.article_versions.count_documents({})
    crawl(base_url, mongo_uri, db, tmp_path)
    assert db.article_versions.count_documents({}) == versions
    runs = list(db.crawl_runs.find().sort("started_at", 1))
    assert len(runs) == 2 and runs[1]["counts"]["new_versions"] == 0
    assert runs[1]["counts"]["unchanged"] == len(local.articles)

    local.edit_article(local.seed_article_id, headline="Droht die Eskalation? Blinken reist nach Kiew")
    crawl(base_url, mongo_uri, db, tmp_path, "-a", f"url={base_url}{local.article(local.seed_article_id).path}")
    seed = db.articles.find_one({"_id": f"merkur.de:{local.seed_article_id}"})
    # the visible headline holds no kicker element: kept whole, though it opens with the kicker's words
    assert (seed["version"], seed["headline"], seed["kicker"]) == (
        2,
        "Droht die Eskalation? Blinken reist nach Kiew",
        "Droht die Eskalation?",
    )
    assert db.article_versions.count_documents({}) == versions + 1


def test_robots_txt_is_obeyed(site, mongo_uri, db, tmp_path):
    local, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path)
    paths = [r.path for r in local.requests]
    assert "/robots.txt" in paths
    assert not [p for p in paths if p.startswith("/intern/")]


def test_two_crawls_at_once_duplicate_nothing(site, mongo_uri, db, tmp_path):
    local, base_url = site
    first = crawl(base_url, mongo_uri, db, tmp_path / "a", wait=False)
    second = crawl(base_url, mongo_uri, db, tmp_path / "b", wait=False)
    assert first.wait(300) == 0 and second.wait(300) == 0
    assert stored_ids(db) == {f"merkur.de:{a.id}" for a in local.articles}
    assert db.article_versions.count_documents({}) == len(local.articles)
    assert db.crawl_runs.count_documents({"status": "finished"}) == 2


def test_server_errors_become_rejects_and_the_rest_is_stored(site, mongo_uri, db, tmp_path):
    local, base_url = site
    broken = local.articles[1]
    local.set_fault(rf"{broken.id}\.html$", "500")
    crawl(base_url, mongo_uri, db, tmp_path, "-s", "RETRY_TIMES=1")
    (reject,) = list(db.rejects.find())
    assert reject["reason"] == "http 500"
    assert reject["url"].endswith(broken.path)
    assert stored_ids(db) == {f"merkur.de:{a.id}" for a in local.articles} - {f"merkur.de:{broken.id}"}
