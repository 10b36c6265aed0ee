"""The database the consumer tests read: the local site crawled, edited, crawled again, as a consumer finds it.

`crawled_database(...)` is shared by the schema, consumer and serve tests (each module crawls once): a first
crawl with one article failing (a reject), then the seed article's kicker and headline rewritten (with markup
and quotes in the headline, as a hostile or careless publisher may print) and a body typo, then a second crawl,
so there are versions, page changes and teaser changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from pymongo import MongoClient
from pymongo.database import Database

from crawler.store.validators import apply_validators
from tests.support.crawling import crawl
from tests.support.localsite import LocalSite

HOSTILE_HEADLINE = 'Droht die <script>window.pwned=1</script> "Eskalation" & <img src=x onerror=alert(1)>?'
NEW_KICKER = "Neu: „Krisengipfel“"


@dataclass(frozen=True)
class Crawled:
    db: Database
    uri: str
    seed_id: str
    """Article id of the edited seed article."""
    old_headline: str
    broken_url_suffix: str


@contextmanager
def crawled_database(mongo_uri: str, tmp_path: Path, validation_action: str | None = None) -> Iterator[Crawled]:
    """A throwaway database holding two crawls of the local site with edits between them (dropped after)."""
    client: MongoClient = MongoClient(mongo_uri, tz_aware=True, serverSelectionTimeoutMS=10000)
    db = client[f"newsmon_test_{uuid.uuid4().hex[:10]}"]
    try:
        if validation_action:
            apply_validators(db, action=validation_action)
        local = LocalSite(n_articles=12, seed=5)
        seed = local.article(local.seed_article_id)
        broken = local.articles[1]
        with local.serve(port=0) as base_url:
            local.set_fault(rf"{broken.id}\.html$", "500")
            crawl(base_url, mongo_uri, db, tmp_path, "-s", "RETRY_TIMES=0")
            local.clear_faults()
            body = list(seed.body)
            body[2] = replace(body[2], text=body[2].text.replace("Baerbock", "Barbock", 1))
            local.edit_article(seed.id, kicker=NEW_KICKER, headline=HOSTILE_HEADLINE, body=tuple(body))
            crawl(base_url, mongo_uri, db, tmp_path)
        yield Crawled(db, mongo_uri, f"merkur.de:{seed.id}", seed.headline, broken.path)
    finally:
        client.drop_database(db.name)
        client.close()


def test_the_crawled_database_has_versions_changes_teasers_and_a_reject(mongo_uri, tmp_path):
    with crawled_database(mongo_uri, tmp_path) as data:
        db = data.db
        assert db.article_versions.count_documents({"article_id": data.seed_id}) == 2
        fields = {c["field"] for c in db.changes.find({"article_id": data.seed_id})}
        assert {"headline", "kicker", "body", "teaser.headline"} <= fields
        assert db.changes.find_one({"article_id": data.seed_id, "field": "headline"})["new"] == HOSTILE_HEADLINE
        (reject,) = list(db.rejects.find())
        assert reject["reason"] == "http 500" and reject["url"].endswith(data.broken_url_suffix)
        teaser = db.teasers.find_one({"_id": data.seed_id})
        assert HOSTILE_HEADLINE in {v["value"] for v in teaser["variants"].values()}
        assert db.crawl_runs.count_documents({"status": "finished"}) == 2
