"""`newsmon history ARTICLE`: one article's versions and edits in order, readable in a terminal or as JSON.

The same records as the web page's article history (crawler.consumers.web.app), read by article id or by any URL
the article was fetched under (the `urls` index), so a user can paste the address from the browser.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bson import json_util
from bson.json_util import RELAXED_JSON_OPTIONS
from pymongo.database import Database

from crawler.changes import compact
from crawler.config import load_settings
from crawler.model.canonical import canonical_url
from crawler.store import schema

VERSION_FIELDS = {"version": 1, "fetched_at": 1, "kicker": 1, "headline": 1, "content_hash": 1, "url": 1}


def resolve(db: Database, ref: str) -> str | None:
    """The article id of `ref`: an id as stored, or a URL the article was fetched under."""
    ref = ref.strip()
    if not ref.startswith(("http://", "https://")):
        found = db[schema.ARTICLES].find_one({"_id": ref}, {"_id": 1}) or db[schema.TEASERS].find_one(
            {"_id": ref}, {"_id": 1}
        )
        return ref if found else None
    for url in dict.fromkeys((ref, canonical_url(ref), ref.split("#")[0].split("?")[0])):
        doc = db[schema.ARTICLES].find_one({"urls": url}, {"_id": 1})
        if doc:
            return str(doc["_id"])
    return None


def load(db: Database, article_id: str) -> dict[str, Any]:
    return {
        "article": db[schema.ARTICLES].find_one({"_id": article_id}, {"text": 0}),
        "versions": list(
            db[schema.ARTICLE_VERSIONS].find({"article_id": article_id}, VERSION_FIELDS).sort("version", 1)
        ),
        "changes": list(db[schema.CHANGES].find({"article_id": article_id}).sort("seq", 1)),
    }


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "?"


def render(article_id: str, found: dict[str, Any]) -> str:
    """Versions in order, each followed by the edits that led to it."""
    article = found["article"] or {}
    lines = [f"{article_id}  {article.get('url', '')}".rstrip()]
    if article:
        lines.append(
            f"  published {_when(article.get('published'))}, {len(found['versions'])} version(s), "
            f"{len(found['changes'])} change(s); now: {article.get('headline') or '-'}"
        )
    by_version: dict[Any, list[dict[str, Any]]] = {}
    for change in found["changes"]:
        by_version.setdefault(change.get("version_to"), []).append(change)
    for version in found["versions"]:
        number = version.get("version")
        kicker = f"{version['kicker']} | " if version.get("kicker") else ""
        lines.append(f"\nv{number}  {_when(version.get('fetched_at'))}  {kicker}{version.get('headline') or '-'}")
        for change in by_version.pop(number, []):
            lines.append(_change(change))
    for changes in by_version.values():  # changes not tied to a stored version (teaser headlines)
        for change in changes:
            lines.append(_change(change))
    return "\n".join(lines)


def _change(change: dict[str, Any]) -> str:
    words = change.get("significance")
    head = (
        f"  #{change.get('seq')} {_when(change.get('detected_at'))} {change.get('field')} "
        f"[{change.get('edit_class')}{f', {words} words' if words is not None else ''}]"
    )
    return f"{head}\n      {compact(change.get('diff') or [], context=6)}"


def add_history_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("article", metavar="ARTICLE", help="article id (merkur.de:91245736) or any URL it had")
    parser.add_argument("--json", action="store_true", help="one JSON object: article, versions, changes")


def history_command(args: argparse.Namespace) -> int:
    from crawler.store.connection import connect

    client, db = connect(load_settings())
    try:
        article_id = resolve(db, args.article)
        if article_id is None:
            print(f"newsmon history: no article {args.article!r} in database {db.name!r}", file=sys.stderr)
            return 1
        found = load(db, article_id)
    finally:
        client.close()
    if args.json:
        print(
            json_util.dumps({"article_id": article_id, **found}, json_options=RELAXED_JSON_OPTIONS, ensure_ascii=False)
        )
    else:
        print(render(article_id, found))
    return 0
