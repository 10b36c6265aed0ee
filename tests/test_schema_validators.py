"""The `$jsonSchema` validators: applied to every collection, enforced where the server can, documented in
docs/schema.md, and matched by every document a real crawl writes (checked in Python with the same schemas)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId
from jsonschema import Draft4Validator, validators
from jsonschema.exceptions import ValidationError
from pymongo.errors import WriteError

from crawler.store import schema
from crawler.store.validators import DEFAULT_ACTION, SCHEMAS, apply_validators, field_table, validator
from tests.test_consumers_data import crawled_database

DOCS = Path(__file__).resolve().parent.parent / "docs" / "schema.md"
INT32 = range(-(2**31), 2**31)
BSON_TYPES = {
    "string": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool) and v in INT32,
    "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "double": lambda v: isinstance(v, float),
    "bool": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, datetime),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, Mapping),
    "array": lambda v: isinstance(v, list),
    "objectId": lambda v: isinstance(v, ObjectId),
}


def _bson_type(
    checker: Any, types: str | list[str], instance: Any, spec: Mapping[str, Any]
) -> Iterator[ValidationError]:
    names = [types] if isinstance(types, str) else types
    if not any(BSON_TYPES[name](instance) for name in names):
        yield ValidationError(f"{instance!r} is not of BSON type {' or '.join(names)}")


BsonValidator = validators.extend(Draft4Validator, {"bsonType": _bson_type})
"""MongoDB's $jsonSchema is draft 4 plus `bsonType`: jsonschema with that one keyword added."""


def strict(spec: Any) -> Any:
    """The schema with `additionalProperties: false` wherever fields are named: an undocumented field fails."""
    if isinstance(spec, dict):
        out = {k: strict(v) for k, v in spec.items()}
        if "properties" in spec:
            out["additionalProperties"] = False
        return out
    if isinstance(spec, list):
        return [strict(v) for v in spec]
    return spec


def problems(name: str, doc: Mapping[str, Any], *, documented: bool = False) -> list[str]:
    spec = strict(SCHEMAS[name]) if documented else SCHEMAS[name]
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in BsonValidator(spec).iter_errors(doc)]


ARTICLE = {
    "_id": "merkur.de:1",
    "site": "merkur.de",
    "url": "https://www.merkur.de/politik/x-1.html",
    "urls": ["https://www.merkur.de/politik/x-1.html"],
    "headline": "Eine Überschrift",
    "headline_variants": {"h1": "Eine Überschrift"},
    "body": [{"kind": "paragraph", "text": "Text."}],
    "version": 1,
    "content_hash": "ab" * 32,
    "first_seen": datetime(2025, 5, 3, tzinfo=UTC),
    "last_fetched": datetime(2025, 5, 3, tzinfo=UTC),
    "last_changed": datetime(2025, 5, 3, tzinfo=UTC),
}


def test_docs_schema_md_holds_the_generated_field_tables():
    """docs/schema.md and the validators cannot drift: `python -m crawler.store.validators` prints the tables."""
    text = DOCS.read_text(encoding="utf-8")
    for name in SCHEMAS:
        match = re.search(rf"<!-- fields:{name} -->\n(.*?)\n<!-- /fields:{name} -->", text, re.S)
        assert match, f"docs/schema.md has no field table for {name}"
        assert match.group(1) == field_table(name), (
            f"{name}: regenerate: python -m crawler.store.validators --write docs/schema.md"
        )


def test_the_python_checker_refuses_what_the_schema_refuses():
    assert problems("articles", ARTICLE) == []
    assert problems("articles", {**ARTICLE, "headline": 5})
    assert problems("articles", {**ARTICLE, "headline_variants": {"h1": None}})
    assert problems("articles", {**ARTICLE, "version": 2**40}) == []  # an int64 is fine
    assert problems("articles", {k: v for k, v in ARTICLE.items() if k != "urls"})
    assert problems("articles", {**ARTICLE, "extra": 1}) == []
    assert problems("articles", {**ARTICLE, "extra": 1}, documented=True)


def test_every_collection_gets_its_validator_and_the_embedded_server_enforces_it(db):
    assert apply_validators(db, action="error") == dict.fromkeys(SCHEMAS, "created")
    options = {c["name"]: c["options"] for c in db.list_collections()}
    for name in SCHEMAS:
        assert options[name]["validator"] == validator(name)
        assert (options[name]["validationLevel"], options[name]["validationAction"]) == ("moderate", "error")
    db.articles.insert_one(ARTICLE)
    with pytest.raises(WriteError) as refused:
        db.articles.insert_one({**ARTICLE, "_id": "merkur.de:2", "headline": 5})
    assert refused.value.code == 121
    with pytest.raises(WriteError):  # updates too: a valid document may not become invalid
        db.articles.update_one({"_id": "merkur.de:1"}, {"$set": {"version": "zwei"}})
    with pytest.raises(WriteError):
        db.changes.insert_one({"_id": "c", "seq": 1, "article_id": "a", "site": "s", "field": "headline",
                               "diff": [{"op": "rewrite", "old": "", "new": ""}], "edit_class": "headline_change",
                               "detected_at": datetime.now(UTC)})  # fmt: skip


def test_applying_again_changes_nothing_and_keeps_the_operators_action(db):
    apply_validators(db, action="error")
    assert apply_validators(db) == dict.fromkeys(SCHEMAS, "unchanged")
    assert {c["options"]["validationAction"] for c in db.list_collections()} == {"error"}


def test_new_collections_warn_by_default_and_existing_ones_are_modified_where_the_server_can(db):
    db.teasers.insert_one({"_id": "before validators"})
    done = apply_validators(db)
    assert done[schema.ARTICLES] == "created"
    options = {c["name"]: c["options"] for c in db.list_collections()}
    assert options[schema.ARTICLES]["validationAction"] == DEFAULT_ACTION == "warn"
    db.articles.insert_one({**ARTICLE, "headline": 5})  # warn: stored (MongoDB logs it)
    # The embedded server has no collMod; MongoDB modifies the existing collection.
    assert done[schema.TEASERS] == "modified" or done[schema.TEASERS].startswith("not applied")


def test_ensure_indexes_applies_the_validators(db):
    schema.ensure_indexes(db)
    options = {c["name"]: c["options"] for c in db.list_collections()}
    assert all(options[name].get("validator") == validator(name) for name in SCHEMAS)


@pytest.fixture(scope="module")
def crawled(mongo_uri, tmp_path_factory):
    """A crawl under validators with action `error`: a write that did not match would be refused."""
    with crawled_database(mongo_uri, tmp_path_factory.mktemp("schema"), validation_action="error") as data:
        yield data


def test_every_document_a_crawl_writes_matches_the_documented_schema(crawled):
    db = crawled.db
    seen = {}
    for name in SCHEMAS:
        docs = list(db[name].find())
        seen[name] = len(docs)
        for doc in docs:
            found = problems(name, doc, documented=True)
            assert not found, (
                f"{name} {doc['_id']}: {found[:5]}; document the field in crawler/store/validators.py "
                "and run python -m crawler.store.validators --write docs/schema.md"
            )
    assert all(seen.values()), f"every collection has documents to check: {seen}"
    assert db.changes.count_documents({"version_to": None}) and db.changes.count_documents({"version_to": 2})


def test_the_database_refused_nothing_the_crawl_wrote(crawled):
    db = crawled.db
    assert not [r["reason"] for r in db.rejects.find() if r["reason"].startswith("store")]
    for run in db.crawl_runs.find():
        assert run["counts"]["store_rejected"] == 0 and run["store_errors"] == []


def test_a_stored_document_breaking_the_schema_is_caught(crawled):
    """The conformance check is not vacuous: a real document bent out of shape fails it."""
    teaser = copy.deepcopy(crawled.db.teasers.find_one({"_id": crawled.seed_id}))
    key = next(iter(teaser["variants"]))
    teaser["variants"][key]["field"] = "subtitle"
    assert problems("teasers", teaser)


def test_docs_schema_md_names_every_index():
    text = DOCS.read_text(encoding="utf-8")
    for models in schema.INDEXES.values():
        for model in models:
            assert f"`{model.document['name']}`" in text, model.document


def test_the_example_queries_of_docs_schema_md_answer_on_a_crawled_database(crawled):
    text = DOCS.read_text(encoding="utf-8")
    code = re.search(r"<!-- example-queries -->\n```python\n(.*?)```\n<!-- /example-queries -->", text, re.S)
    assert code, "docs/schema.md lost its example-queries block"
    scope: dict[str, Any] = {"db": crawled.db, "site": "merkur.de", "article_id": crawled.seed_id}
    exec(code.group(1), scope)
    assert len(scope["latest"]) >= 10 and all(a["headline"] for a in scope["latest"])
    assert [v["version"] for v in scope["history"]] == [1, 2]
    assert {"headline", "kicker", "body"} <= {c["field"] for c in scope["edits"]}
    assert {"headline", "kicker", "teaser.headline"} <= {c["field"] for c in scope["headline_changes"]}
    assert scope["most_edited"][0]["_id"] == crawled.seed_id and scope["most_edited"][0]["edits"] >= 3
    assert scope["most_versions"][0]["_id"] == crawled.seed_id
