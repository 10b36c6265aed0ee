"""A consumer on MongoDB's official Node.js driver reads a crawled database and gets what pymongo gets.

The driver is npm's `mongodb` (the one inside mongosh and Compass), installed by `make node-driver` into the
git-ignored `.node/`. `tests/node/read_all.cjs` reads every collection whole (in batches of 4, so `getMore`
runs) and then the documented reads of docs/consumers.md given here; pymongo runs the same reads and both
results are compared as canonical Extended JSON, BSON types included. The URI comes from
`crawler.store.connection.resolve_uri`, as for every newsmon client, so the script connects as newsmon does
(with its credentials, once the embedded server has them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bson import json_util
from bson.json_util import CANONICAL_JSON_OPTIONS
from pymongo.database import Database

from crawler.config import load_settings
from crawler.store.connection import resolve_uri
from crawler.store.embedded.launcher import stop_embedded_server
from tests.test_consumers_data import crawled_database

PROJECT = Path(__file__).resolve().parent.parent
NODE = shutil.which("node")
NODE_MODULES = Path(os.environ.get("NEWSMON_NODE_DIR", PROJECT / ".node")) / "node_modules"
SCRIPT = PROJECT / "tests" / "node" / "read_all.cjs"
BATCH = 4

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed (Node.js 18+ runs the driver test)")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Database]]:
    """A crawled database on the server newsmon's own clients would use (the embedded one unless MONGO_URI)."""
    data_dir = tmp_path_factory.mktemp("node-data")
    settings = load_settings({"NEWSMON_DATA_DIR": str(data_dir), "NEWSMON_EMBEDDED_PORT": 0})
    uri = resolve_uri(settings)
    try:
        with crawled_database(uri, tmp_path_factory.mktemp("node-crawl")) as data:
            yield uri, data.db
    finally:
        if not settings.get("MONGO_URI"):
            stop_embedded_server(data_dir)


def documented_reads(db: Database) -> list[dict[str, Any]]:
    """The reads of docs/consumers.md and docs/schema.md, as data both drivers execute."""
    committed = db.counters.find_one({"_id": "changes"})["committed"]
    article_id = db.changes.find_one({"field": "headline"})["article_id"]
    first_published = db.articles.find_one({}, sort=[("published", 1)])["published"]
    reads: list[dict[str, Any]] = [
        {"name": "collections", "op": "listCollections"},
        {"name": "mark", "op": "findOne", "collection": "counters", "filter": {"_id": "changes"}},
        {
            "name": "feed",
            "op": "find",
            "collection": "changes",
            "filter": {"seq": {"$gt": 0, "$lte": committed}},
            "sort": {"seq": 1},
            "limit": 100,
        },
        {
            "name": "feed page",
            "op": "find",
            "collection": "changes",
            "filter": {},
            "projection": {"seq": 1, "field": 1, "edit_class": 1, "diff": 1},
            "sort": {"seq": -1},
            "skip": 2,
            "limit": 5,
        },
        {
            "name": "versions",
            "op": "find",
            "collection": "article_versions",
            "filter": {"article_id": article_id},
            "sort": {"version": 1},
        },
        {
            "name": "edits of v2",
            "op": "find",
            "collection": "changes",
            "filter": {"article_id": article_id, "version_to": 2},
            "sort": {"seq": 1},
        },
        {
            "name": "published since",
            "op": "find",
            "collection": "articles",
            "filter": {"published": {"$gt": first_published}},
            "projection": {"headline": 1, "published": 1},
            "sort": {"published": -1, "_id": 1},
        },
        {
            "name": "per class",
            "op": "aggregate",
            "collection": "changes",
            "pipeline": [
                {"$group": {"_id": "$edit_class", "n": {"$sum": 1}, "last": {"$max": "$seq"}}},
                {"$sort": {"_id": 1}},
            ],
        },
        {
            "name": "joined",
            "op": "aggregate",
            "collection": "articles",
            "pipeline": [
                {"$match": {"site": "merkur.de"}},
                {"$lookup": {"from": "teasers", "localField": "_id", "foreignField": "_id", "as": "teaser"}},
                {"$project": {"headline": 1, "teaser.headline": 1, "teaser.variants": 1}},
                {"$sort": {"_id": 1}},
            ],
        },
        {"name": "headline edits", "op": "countDocuments", "collection": "changes", "filter": {"field": "headline"}},
        {"name": "first then close", "op": "firstThenClose", "collection": "changes", "sort": {"seq": -1}},
        {"name": "estimated", "op": "estimatedDocumentCount", "collection": "changes"},
        {"name": "sites", "op": "distinct", "collection": "articles", "key": "site"},
        {"name": "fields", "op": "distinct", "collection": "changes", "key": "field", "filter": {"editorial": True}},
    ]
    for name in sorted(db.list_collection_names()):
        reads.append({"name": f"count:{name}", "op": "countDocuments", "collection": name})
        reads.append({"name": f"indexes:{name}", "op": "listIndexes", "collection": name})
    return reads


def with_pymongo(db: Database, reads: list[dict[str, Any]]) -> dict[str, Any]:
    """What tests/node/read_all.cjs does, with pymongo."""
    out: dict[str, Any] = {}
    for name in sorted(db.list_collection_names()):
        out[f"all:{name}"] = list(db[name].find({}, batch_size=BATCH).sort("_id", 1))
    for read in reads:
        coll = db[read.get("collection") or "x"]
        op = read["op"]
        if op == "find":
            cursor = coll.find(read.get("filter", {}), read.get("projection"), batch_size=BATCH)
            if read.get("sort"):
                cursor = cursor.sort(list(read["sort"].items()))
            cursor = cursor.skip(read.get("skip", 0)).limit(read.get("limit", 0))
            result: Any = list(cursor)
        elif op == "findOne":
            result = coll.find_one(read.get("filter", {}), read.get("projection"))
        elif op == "aggregate":
            result = list(coll.aggregate(read["pipeline"], batchSize=BATCH))
        elif op == "firstThenClose":
            result = coll.find_one({}, sort=list(read["sort"].items()))
        elif op == "estimatedDocumentCount":
            result = coll.estimated_document_count()
        elif op == "countDocuments":
            result = coll.count_documents(read.get("filter", {}))
        elif op == "distinct":
            result = coll.distinct(read["key"], read.get("filter", {}))
        elif op == "listCollections":
            result = sorted(db.list_collection_names())
        elif op == "listIndexes":
            result = sorted(
                ({"name": i["name"], "key": i["key"], "unique": bool(i.get("unique"))} for i in coll.list_indexes()),
                key=lambda i: i["name"],
            )
        else:
            raise AssertionError(op)
        out[read["name"]] = result
    return out


def with_node(uri: str, db_name: str, reads: list[dict[str, Any]]) -> dict[str, Any]:
    if not (NODE_MODULES / "mongodb" / "package.json").is_file():
        pytest.fail(f"MongoDB's Node.js driver is not in {NODE_MODULES}: run `make node-driver`")
    done = subprocess.run(
        [str(NODE), str(SCRIPT), uri, db_name, str(BATCH)],
        input=json_util.dumps(reads, json_options=CANONICAL_JSON_OPTIONS),
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return normalized(json.loads(done.stdout))


def normalized(value: Any) -> Any:
    """Canonical Extended JSON with doubles as numbers (JS and Python spell `1e-05` differently)."""
    if isinstance(value, dict):
        if set(value) == {"$numberDouble"}:
            return float(value["$numberDouble"])
        return {k: normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    return value


def test_the_node_driver_reads_every_collection_as_pymongo_does(crawled):
    uri, db = crawled
    reads = documented_reads(db)
    read = with_pymongo(db, reads)
    expected = normalized(json.loads(json_util.dumps(read, json_options=CANONICAL_JSON_OPTIONS)))
    got = with_node(uri, db.name, reads)

    assert set(got) == set(expected)
    for name in expected:
        assert got[name] == expected[name], name
    wholes = {k: v for k, v in read.items() if k.startswith("all:")}
    assert {"all:articles", "all:article_versions", "all:changes", "all:teasers", "all:counters"} <= set(wholes)
    assert max(len(v) for v in wholes.values()) > 2 * BATCH, "no collection needed two getMores"
    assert read["feed"] and read["per class"] and read["joined"] and len(read["versions"]) == 2
    page = min(5, db.changes.count_documents({}) - 2)  # skip 2, limit 5
    assert len(read["feed page"]) == page > 0 and read["headline edits"] >= 1 and read["sites"] == ["merkur.de"]
