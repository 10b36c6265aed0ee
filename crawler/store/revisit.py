"""What a crawl needs to know before it starts: the site's stored articles and their teaser headlines.

Read once per run, at the start (in a thread, off the reactor), with narrow projections, so the spider can decide
without another round trip whether an article it discovers is known, due, or
signalled (`crawler.discover.revisit.policy`).
"""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from crawler.model.known import Known
from crawler.store import schema

ARTICLE_FIELDS = {
    "url": 1,
    "urls": 1,
    "last_fetched": 1,
    "next_visit": 1,
    "published": 1,
    "modified": 1,
    "last_changed": 1,
    "version": 1,
    "etag": 1,
    "last_modified": 1,
    "hinted_modified": 1,
}
BATCH = 2000


def load_known(db: Database, site: str) -> tuple[dict[str, Known], dict[str, str]]:
    """The site's articles by id, and every URL they were stored under (canonical) -> article id."""
    headlines = {
        d["_id"]: d.get("headline")
        for d in db[schema.TEASERS].find({"site": site}, {"headline": 1}, batch_size=BATCH)
        if d.get("headline")
    }
    known: dict[str, Known] = {}
    by_url: dict[str, str] = {}
    for doc in db[schema.ARTICLES].find({"site": site}, ARTICLE_FIELDS, batch_size=BATCH):
        known[doc["_id"]] = _known(doc, headlines.get(doc["_id"]))
        for url in doc.get("urls") or [doc.get("url")]:
            if url:
                by_url[url] = doc["_id"]
    return known, by_url


def _known(doc: dict[str, Any], teaser_headline: str | None) -> Known:
    return Known(
        article_id=doc["_id"],
        url=doc.get("url") or "",
        last_fetched=doc.get("last_fetched"),
        next_visit=doc.get("next_visit"),
        published=doc.get("published"),
        modified=doc.get("modified"),
        last_changed=doc.get("last_changed"),
        version=int(doc.get("version") or 0),
        etag=doc.get("etag"),
        last_modified=doc.get("last_modified"),
        hinted_modified=doc.get("hinted_modified"),
        teaser_headline=teaser_headline,
    )
