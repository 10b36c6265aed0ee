"""The read-only JSON API of `newsmon serve` (docs/consumers.md#json-api): documents as the store holds them.

Every answer is bounded: the change list by `limit` (at most `MAX_CHANGES`), an article's versions and edits
by `MAX_VERSIONS`/`MAX_ARTICLE_CHANGES` (with a flag when cut). Changes after a `seq` follow the committed-mark
rule of docs/consumers.md, so a client that pages with `after=<last>` sees every change exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pymongo.database import Database

from crawler.consumers.export import plain
from crawler.consumers.query import KINDS, BadFilter, Filters, build_query, positive_int, text
from crawler.store import schema
from crawler.store.sequence import committed_seq

CONTENT_TYPE = "application/json; charset=utf-8"
DEFAULT_CHANGES = 100
MAX_CHANGES = 500
MAX_VERSIONS = 200
MAX_ARTICLE_CHANGES = 1000
RUN_SUMMARY = {"health": 0, "args": 0, "store_errors": 0, "log_tail": 0}


class NotFound(LookupError):
    pass


def dumps(payload: Any) -> str:
    return json.dumps(plain(payload), ensure_ascii=False, separators=(",", ":"))


def changes_after(db: Database, filters: Filters, after: int, limit: int) -> dict[str, Any]:
    """Changes with `after < seq <= committed` in seq order; `last` is what to pass as `after` next time.

    The mark is read first (a mark read afterwards could cover changes this query did not see); `more` says
    another page is already waiting.
    """
    committed = committed_seq(db)
    query = build_query(KINDS["changes"], filters)
    query["seq"] = {"$gt": int(after), "$lte": committed}
    found = list(db[schema.CHANGES].find(query).sort("seq", 1).limit(limit + 1))
    page = found[:limit]
    return {
        "committed": committed,
        "after": after,
        "last": page[-1]["seq"] if page else max(after, 0),
        "more": len(found) > limit,
        "changes": page,
    }


def article(db: Database, article_id: str) -> dict[str, Any]:
    """The article's current document, its teaser, its versions (oldest first) and its edits (by seq)."""
    doc = db[schema.ARTICLES].find_one({"_id": article_id})
    teaser = db[schema.TEASERS].find_one({"_id": article_id})
    if doc is None and teaser is None:
        raise NotFound(f"no article {article_id}")
    versions = list(
        db[schema.ARTICLE_VERSIONS].find({"article_id": article_id}).sort("version", 1).limit(MAX_VERSIONS + 1)
    )
    changes = list(db[schema.CHANGES].find({"article_id": article_id}).sort("seq", 1).limit(MAX_ARTICLE_CHANGES + 1))
    return {
        "article": doc,
        "teaser": teaser,
        "versions": versions[:MAX_VERSIONS],
        "versions_truncated": len(versions) > MAX_VERSIONS,
        "changes": changes[:MAX_ARTICLE_CHANGES],
        "changes_truncated": len(changes) > MAX_ARTICLE_CHANGES,
    }


def site_keys(db: Database) -> list[str]:
    """Every site with stored articles or recorded runs."""
    names = set(db[schema.ARTICLES].distinct("site")) | set(db[schema.CRAWL_RUNS].distinct("site"))
    return sorted(s for s in names if isinstance(s, str))


def sites(db: Database) -> dict[str, Any]:
    """Per site: articles stored, edited articles, its latest run (without the bulky parts) and that run's health."""
    out = []
    for site in site_keys(db):
        runs = db[schema.CRAWL_RUNS].find({"site": site}).sort("started_at", -1).limit(1)
        latest = next(iter(runs), None)
        out.append(
            {
                "site": site,
                "articles": db[schema.ARTICLES].count_documents({"site": site}),
                "edited_articles": db[schema.ARTICLES].count_documents({"site": site, "version": {"$gt": 1}}),
                "latest_run": {k: v for k, v in latest.items() if k not in RUN_SUMMARY} if latest else None,
                "health": latest.get("health") if latest else None,
            }
        )
    return {"committed": committed_seq(db), "sites": out}


def after_param(params: Mapping[str, str]) -> int:
    raw = params.get("after")
    if raw is None or raw.strip() == "0":
        return 0
    return positive_int(raw, "after")


def article_param(params: Mapping[str, str]) -> str:
    if not params.get("id"):
        raise BadFilter("id: the article id is required, e.g. /api/article?id=merkur.de:91245736")
    return text(params["id"], "id")
