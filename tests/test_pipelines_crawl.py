"""End to end through the pipelines: crawls of the local site, then the stored teasers and articles."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator

import pytest

from crawler.extract.ippen_listing import extract_teasers
from crawler.model.canonical import canonical_url
from tests.support.crawling import crawl, stored_ids
from tests.support.localsite import LocalSite

NOT_A_LISTING = re.compile(r"(?:-\d+\.html|\.xml|\.rdf|robots\.txt)$")

REAL = "https://www.merkur.de"
"""The site the local site stands in for: what a crawl through `base_url` stores is keyed to it."""


@pytest.fixture
def site() -> Iterator[tuple[LocalSite, str]]:
    local = LocalSite(n_articles=24, seed=5)
    with local.serve(port=0) as base_url:
        yield local, base_url


def listing_observations(local: LocalSite, base_url: str) -> dict[str, set[str]]:
    """Ground truth from the pages themselves: article id -> listing pages the crawl read that tease it."""
    pages = {r.path.split("?")[0] for r in local.requests if r.status == 200 and not NOT_A_LISTING.search(r.path)}
    seen: dict[str, set[str]] = {}
    for path in pages:
        html = urllib.request.urlopen(base_url + path).read().decode("utf-8")
        for teaser in extract_teasers(html, base_url + path, "merkur.de"):
            # crawled through base_url, stored keyed to the real site
            seen.setdefault(f"merkur.de:{teaser.publisher_id}", set()).add(canonical_url(REAL + path))
    return seen


def test_one_teaser_document_per_article_with_one_observation_per_page(site, mongo_uri, db, tmp_path):
    local, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path)
    expected = listing_observations(local, base_url)
    assert len(expected) > 5 and any(len(pages) > 1 for pages in expected.values())

    docs = {d["_id"]: d for d in db.teasers.find()}
    assert set(docs) == set(expected)
    for aid, doc in docs.items():
        assert doc["runs"] == 1
        assert doc["observations"] == len(expected[aid]), aid
        assert {p["page"] for p in doc["placements"].values()} == expected[aid]
        assert doc["headline"] and doc["first_seen"] <= doc["last_seen"]
    log = (tmp_path / "crawl-0.log").read_text(encoding="utf-8")
    repeated = re.search(r"'newsmon/teasers/repeated_on_page': (\d+)", log)
    assert repeated and int(repeated.group(1)) > 0, "the local site repeats teasers on a page, as real pages do"


def test_an_unchanged_recrawl_adds_no_version_and_no_variant(site, mongo_uri, db, tmp_path):
    local, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path)
    variants = {d["_id"]: set(d["variants"]) for d in db.teasers.find()}
    versions = db.article_versions.count_documents({})
    crawl(base_url, mongo_uri, db, tmp_path)
    assert db.article_versions.count_documents({}) == versions == len(local.articles)
    assert {d["_id"]: set(d["variants"]) for d in db.teasers.find()} == variants
    assert {d["runs"] for d in db.teasers.find()} == {2}
    assert all(v["count"] % 2 == 0 for d in db.teasers.find() for v in d["variants"].values())


def test_a_teaser_ab_test_keeps_both_headlines_with_counts(site, mongo_uri, db, tmp_path):
    local, base_url = site
    spec = local.article(local.seed_article_id)
    original = spec.teaser_headline
    crawl(base_url, mongo_uri, db, tmp_path)
    local.edit_article(spec.id, teaser_headline="Droht die Eskalation? Baerbock warnt Moskau")
    crawl(base_url, mongo_uri, db, tmp_path)
    local.edit_article(spec.id, teaser_headline=original)
    crawl(base_url, mongo_uri, db, tmp_path)

    doc = db.teasers.find_one({"_id": f"merkur.de:{spec.id}"})
    headlines = {v["value"]: v for v in doc["variants"].values() if v["field"] == "headline"}
    assert set(headlines) == {original, "Droht die Eskalation? Baerbock warnt Moskau"}
    pages = doc["observations"] // 3
    assert headlines[original]["count"] == 2 * pages
    assert headlines["Droht die Eskalation? Baerbock warnt Moskau"]["count"] == pages
    assert headlines[original]["last_seen"] > headlines["Droht die Eskalation? Baerbock warnt Moskau"]["last_seen"]
    assert doc["headline"] == original


def test_a_moved_article_stays_one_article_with_all_its_urls(site, mongo_uri, db, tmp_path):
    local, base_url = site
    spec = local.article(local.seed_article_id)
    crawl(base_url, mongo_uri, db, tmp_path)
    moved = local.move_article(spec.id, "baerbock-in-kiew-neue-adresse")
    crawl(base_url, mongo_uri, db, tmp_path, "-a", f"url={base_url}{spec.path}?utm_source=newsletter")

    assert stored_ids(db) == {f"merkur.de:{a.id}" for a in local.articles}
    doc = db.articles.find_one({"_id": f"merkur.de:{spec.id}"})
    assert set(doc["urls"]) == {REAL + spec.path, REAL + moved.path}
    assert doc["url"] == REAL + moved.path
    assert db.article_versions.count_documents({"article_id": f"merkur.de:{spec.id}"}) == 1


def test_an_unreadable_article_is_kept_as_a_reject_and_the_crawl_goes_on(site, mongo_uri, db, tmp_path):
    local, base_url = site
    broken = local.articles[3]
    local.edit_article(broken.id, body=(), lead="")
    crawl(base_url, mongo_uri, db, tmp_path)
    (reject,) = list(db.rejects.find())
    assert reject["url"] == REAL + broken.path and reject["reason"] == "extraction: empty body"
    assert stored_ids(db) == {f"merkur.de:{a.id}" for a in local.articles} - {f"merkur.de:{broken.id}"}


def test_a_teaser_of_a_new_article_brings_the_article_in(site, mongo_uri, db, tmp_path):
    local, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path)
    new_id = local.add_article(headline="Eilmeldung: Waffenruhe vereinbart", section="politik")
    crawl(base_url, mongo_uri, db, tmp_path)
    assert db.teasers.find_one({"_id": f"merkur.de:{new_id}"})["runs"] == 1
    assert db.articles.find_one({"_id": f"merkur.de:{new_id}"})["headline"] == "Eilmeldung: Waffenruhe vereinbart"
