"""newsmon's override of mongoeco 4.11.0's SQLite engine, applied only inside the embedded server process.

Why: over the wire, mongoeco 4.11.0 spends time proportional to the collection on every write and on the
consumers' queries, so a year of one publisher (100,000 articles) would be written at a few documents per
second and read in seconds. Profiling the server (py-spy; docs/embedded-database.md) found these causes; each
is fixed with SQLite's own primary key and indexes, and each keeps mongoeco's stock code as the fallback:

Writes
  W1 **Uniqueness by full scan.** An insert checks ``_id`` by primary key, then again by deserialising every
     document in Python (``scan_payload_id``), for values whose MongoDB equality is wider than their storage
     key (``1 == 1.0 == Int64(1)``). For a ``str``/ObjectId ``_id`` the storage key *is* the equality: the
     rescan is skipped. A unique index on a plain number (``changes.seq``) is checked the same way; mongoeco's
     ``scalar_index_entries`` hold every plain and Decimal128 number under one canonical, order-preserving key,
     so one indexed lookup is exact unless the collection stores that field as an unindexed tagged number
     (Int32/Int64/Double wrapper, Decimal), which is checked (then: stock).
  W2 **Upsert misses by full scan.** The target of ``UpdateOne({"_id": k, ...}, ..., upsert=True)`` is found
     by primary key only when it exists; a miss (an insert: the common case in a crawl) falls back to a
     scanning plan. For a ``str``/ObjectId ``_id`` the primary-key miss is final; a hit is matched against the
     whole filter in Python (mongoeco's matcher).
  W3 **Collection "features" re-scanned after every write.** The planner caches per collection facts such as
     "some document has an array / a Decimal at this field"; every write *clears* them, so the next query or
     upsert re-runs several ``json_extract`` scans over the collection. Here a write updates the cached facts
     from the written rows alone: temp triggers record the rows a write touches, and mongoeco's own feature
     checks run over just those rows in a scratch in-memory database. The facts stay what a rescan would say,
     or more conservative (after a delete "has an array" stays true, which only selects the general path);
     anything unusual (no recorded rows, rows of another collection) falls back to mongoeco's clearing.

  W4 **Change delivery after every document.** After each document of a bulk ``update``/``insert``/``delete``
     command, mongoeco delivers the committed changes of its transactional outbox to the client's change-stream
     hub: a heartbeat thread started and joined, a lease taken and released and a checkpoint written (several
     SQLite commits), per document. Here the deliveries of one wire command are made once, when the command's
     last document is written: the same changes, in the same order, a few milliseconds later (a change stream
     is asynchronous anyway; newsmon's own feed is the ``changes`` collection).
  W5 **Validation whose verdict is discarded.** With ``validationAction: "warn"`` (newsmon's default) mongoeco
     compiles the collection's ``$jsonSchema`` and validates every written document, then ignores the result
     (it logs nothing). Here that work is skipped; ``"error"`` validators run as stock.
  W6 **Change-stream bookkeeping nobody can read.** With no change stream open, mongoeco still records every
     written document in its outbox as a "gap" (the document serialised again, two rows inserted), so that a
     stream resumed later knows it missed events. The wire server serves no change streams (``$changeStream``
     is refused: ``tests/test_mongoeco_fastpath.py`` checks it), so in this process no stream can be open or be
     resumed: such writes record nothing (``DISABLED``, mongoeco's own default policy for internal writes).
  W7 **A thread hand-off per document.** Every engine call runs in mongoeco's thread pool and wakes the event
     loop when it is done (executor submit, future chaining, the loop's self-pipe): for a one-document write
     that costs about as much CPU as the write's SQLite work. Single-document writes (``_update_with_operation_sync``,
     ``_insert_document_sync``, ``_delete_document_sync``) run inline on the event loop, in a copy of the
     caller's context as stock does; writes take the engine's lock anyway, so they never ran in parallel.
     Reads and everything else stay in the pool.
  W8 **A SQLite transaction per document.** mongoeco commits each document of a bulk write on its own. Here a
     wire ``insert``/``update``/``delete`` command opens one transaction (``BEGIN IMMEDIATE``), mongoeco's
     per-document writes nest in it as savepoints (its own mechanism: a write error rolls back that document
     only), and it commits before the reply is sent, so what is acknowledged is stored, as before. Other
     writes (other clients' commands, index builds, ...) wait for that commit (an asyncio lock per engine), so
     none is ever acknowledged inside another command's transaction; reads go on through mongoeco's dedicated
     reader connections, which see committed data only. Inside a client session's transaction: stock.
  W9 **Each value validated once per nesting level.** mongoeco's codec checks a document's values
     (``validate_bson_value``, a walk over the whole subtree) at every nested dict while encoding it, so an
     article's body paragraphs are walked three or four times per encoding, and every update is encoded twice
     (the command's update document, then the stored document). Here an encoding walks the tree once with the
     same checks and then skips the re-walk of a container it already checked; plain scalars (str, bool,
     None, datetime, an int in the int64 range), which mongoeco accepts by building a wrapper it drops, pass.
  W10 **Work for a profiler that is off.** Every update deep-copies its whole update document for the
     profiler's record, which is dropped when profiling is off (always, here): the copy is made only when the
     profiler asks for it (mongoeco's own lazy ``command_factory``). And the check for conflicting update paths
     (``a`` and ``a.b`` in one update) compares every pair of paths with two f-strings each: the same test
     without building strings.

Reads (the consumers' queries and the store's ``$in`` of ``_id``s)
  R1 ``find({"_id": x})`` / ``{"_id": {"$in": [...]}}`` with ``str``/ObjectId values become primary-key
     lookups (stock: a ``json_extract`` scan per value; an ``$in`` of ~500 values even fails in SQLite).
  R2 mongoeco's SQL for "equal on a, sorted by b" (``json_extract(a) = ?`` ... ``ORDER BY <b>``) cannot use
     its own expression indexes, so it sorts the whole match. For every compound ordered index newsmon
     creates, a *shadow* SQLite index on exactly the expressions mongoeco's SQL uses is added; SQLite then
     reads rows in order and stops at the limit. Indexes never change results, only the access path.
  R3 A sorted find first runs an uncached scan ("does any matching document hold an array/odd number at the
     sort field?"). That is answered from a cached collection-level fact (a superset, kept current as in W3).
  R4 ``find({"seq": {"$gt": n}}).sort("seq")`` walks mongoeco's scalar index from the start and filters each
     document in JSON; the range is also put on the index key, so it starts at ``n``.

The override is tied to the exact source of the mongoeco functions it replaces or relies on: :func:`apply`
refuses (warns, leaves mongoeco stock) on any other mongoeco version or if any recorded source hash differs,
and ``tests/test_mongoeco_fastpath.py`` fails on such an upgrade, so the override is re-reviewed, not kept
silently. Recompute the hashes with ``python -m crawler.store.embedded.fastpath`` after such a review.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime
import hashlib
import importlib
import inspect
import json
import logging
import math
import re
import sqlite3
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawler.store.embedded.guard import changed, hash_source, print_hashes, resolve

log = logging.getLogger("newsmon.mongoeco_fastpath")

SUPPORTED_VERSION = "4.11.0"

_RUNTIME = "mongoeco.api._async._collection_runtime"
_WRITE_COMMANDS = "mongoeco.api._async._database_admin_write_commands"
_SEMANTIC_CORE = "mongoeco.engines.semantic_core"

#: sha256 (first 16 hex digits) of ``inspect.getsource`` of every mongoeco function this module replaces, wraps
#: or whose behaviour it relies on, as of mongoeco 4.11.0.
SOURCE_HASHES: dict[str, str] = {
    # replaced or wrapped
    "mongoeco.engines.sqlite:SQLiteEngine._validate_document_against_unique_indexes": "f50e60835a1d8144",
    "mongoeco.engines.sqlite:SQLiteEngine._unique_index_conflict_via_scalar_entries": "9e9f569bfc7d6d1b",
    "mongoeco.engines.sqlite:SQLiteEngine._select_first_document_for_plan": "cf2d409d2f48e1c3",
    "mongoeco.engines.sqlite:SQLiteEngine._invalidate_collection_features_cache": "e1bdccc952ff5ab3",
    "mongoeco.engines.sqlite:SQLiteEngine._field_has_uniform_scalar_sort_type_in_collection": "b4ad649774909a6a",
    "mongoeco.engines.sqlite:SQLiteEngine._compile_read_execution_plan": "555a669a1859d7f6",
    "mongoeco.engines.sqlite:SQLiteEngine._sort_requires_python": "40df45295b763ee5",
    "mongoeco.engines.sqlite:SQLiteEngine._build_scalar_sort_select_sql": "58bc3d75d781da86",
    "mongoeco.engines.sqlite:SQLiteEngine._create_index_sync": "fb7b157ab38c7776",
    # relied upon: storage keys are type-exact; numbers share one order-preserving scalar key
    "mongoeco.engines.sqlite:SQLiteEngine._storage_key": "3af61312918fe8a4",
    "mongoeco.core.identity:canonical_document_id": "a79e3cac5df9dfff",
    "mongoeco.engines.sqlite:SQLiteEngine._multikey_value_signature": "029a14ef69f7bf0a",
    "mongoeco.engines.sqlite:SQLiteEngine._scalar_value_signature_for_document": "071cdfc3f4f3c877",
    "mongoeco.engines.sqlite:SQLiteEngine._build_scalar_rows_for_document": "a38be3844d3a18c0",
    "mongoeco.core.bson_ordering:bson_numeric_index_key": "b45be5f1f29fc96a",
    "mongoeco.engines.sqlite:SQLiteEngine._unique_index_uses_multikey_values": "38c10ef7ffffcd0f",
    "mongoeco.engines._sqlite_fast_paths:select_first_document_for_plan": "058041d91851e710",
    "mongoeco.engines._sqlite_fast_paths:build_scalar_sort_select_sql": "57f5545be5e2c8ec",
    "mongoeco.engines._sqlite_fast_paths:build_select_statement_with_custom_order": "da6363af95121f03",
    "mongoeco.engines._sqlite_write_ops:insert_document_record": "b70cb80c5babec37",
    "mongoeco.engines._sqlite_modify_ops:update_with_operation": "24d7c163f39d6669",
    "mongoeco.engines._sqlite_read_execution:plan_find_semantics_sync": "78aa9533f6928854",
    "mongoeco.engines._sqlite_plan_heuristics:sort_requires_python": "43dde6499e2b40fa",
    # relied upon: the SQL text mongoeco emits, which the shadow indexes (R2) must match
    "mongoeco.engines.sqlite_query:translate_sort_spec": "85d8f350b9656f5a",
    "mongoeco.engines.sqlite_query:sort_type_expression_sql": "053630298c611203",
    "mongoeco.engines.sqlite_query:value_expression_sql": "682f10d55c3023a9",
    "mongoeco.engines.sqlite_query:_translate_scalar_equals": "5ecab368145d46e8",
    # relied upon: the feature checks re-run over the written rows only (W3)
    "mongoeco.engines.sqlite:SQLiteEngine._field_contains_tagged_value_type_in_collection": "daf633059f94499c",
    "mongoeco.engines.sqlite:SQLiteEngine._field_is_top_level_array_in_collection": "fb4a72a41afc93b6",
    "mongoeco.engines.sqlite:SQLiteEngine._field_traverses_array_in_collection": "0e56ab940673053b",
    "mongoeco.engines.sqlite:SQLiteEngine._field_traverses_dbref_in_collection": "9125df16865d7105",
    "mongoeco.engines.sqlite:SQLiteEngine._field_contains_real_numeric_in_collection": "eaac905438c14330",
    "mongoeco.engines.sqlite:SQLiteEngine._field_contains_non_ascii_text_in_collection": "98902e810b79ecba",
    "mongoeco.engines.sqlite:SQLiteEngine._field_has_comparison_type_mismatch_in_collection": "cc65f94c10553565",
    "mongoeco.engines.sqlite:SQLiteEngine._field_has_scalar_or_array_element_type_mismatch_in_collection": (
        "3c71a6d5728f7c0a"
    ),
    # W4: replaced or wrapped, and relied upon (one dispatch delivers everything committed so far)
    f"{_RUNTIME}:CollectionRuntimeCoordinator._dispatch_engine_changes": "6684136d2c24ea16",
    f"{_WRITE_COMMANDS}:DatabaseAdminWriteCommandService.command_insert": "0cf8f18e356f6ec8",
    f"{_WRITE_COMMANDS}:DatabaseAdminWriteCommandService.command_update": "e9d6c61df4ce0fc6",
    f"{_WRITE_COMMANDS}:DatabaseAdminWriteCommandService.command_delete": "e904c1f4fe500a58",
    "mongoeco.engines.sqlite:SQLiteEngine.dispatch_committed_changes": "d132d0fa4ef6990b",
    "mongoeco.engines.sqlite:SQLiteEngine._dispatch_committed_changes_serial": "41f823c470ede835",
    # W6: wrapped; relied upon: a gap is recorded exactly when no stream listens
    "mongoeco.api._async.collection:AsyncCollection._new_operation_context": "905b690fd36c79ee",
    "mongoeco.api._async.collection:AsyncCollection._should_publish_change_events": "1bc3e8fca38015ac",
    f"{_RUNTIME}:CollectionRuntimeCoordinator.should_publish_change_events": "c2b4e2670a0c5961",
    "mongoeco._change_streams.hub:ChangeStreamHub.should_publish_events": "d2d0104e57b0679b",
    "mongoeco.engines._sqlite_outbox:append_change": "c9fac60ab9dcd162",
    # W7: wrapped; relied upon: the single-document write entry points
    "mongoeco.engines.sqlite:SQLiteEngine._run_blocking": "4c5cf4df8e657add",
    "mongoeco.engines.sqlite:SQLiteEngine.update_with_operation": "3b526cf5807b6ec4",
    "mongoeco.engines.sqlite:SQLiteEngine._update_with_operation_sync": "8e7bf46c79a15369",
    # W8: relied upon: per-document writes nest as savepoints in an open transaction; reads use reader connections
    "mongoeco.engines._sqlite_session_runtime:SQLiteSessionRuntime.begin_write": "f8a2b892622fffd0",
    "mongoeco.engines._sqlite_session_runtime:SQLiteSessionRuntime.commit_write": "1af79b01710bdbf6",
    "mongoeco.engines._sqlite_session_runtime:SQLiteSessionRuntime.rollback_write": "bc65a518c49edba5",
    "mongoeco.engines.sqlite:SQLiteEngine._can_use_dedicated_reader": "5231bc65482b5e6e",
    # W9: wrapped (the codec's encode) and replaced (the validation it calls); the latter is copied
    "mongoeco.core.codec:DocumentCodec.encode": "a89dded8864e7fbe",
    "mongoeco.core.bson_scalars:wrap_bson_numeric": "1a8174860f1ee84c",
    "mongoeco.core.bson_scalars:validate_bson_value": "e3a0a558125ce40c",
    # W10: replaced (copied with one change), and the profiler's lazy form relied upon
    f"{_RUNTIME}:CollectionRuntimeCoordinator.engine_update_with_operation": "a4bef75cd33e8790",
    f"{_RUNTIME}:CollectionRuntimeCoordinator.profile_operation": "e8ead71a4b882f09",
    "mongoeco.api._async.collection:AsyncCollection._profile_operation": "e8f51f2b0098451c",
    "mongoeco.core.operators:UpdateEngine._register_update_path": "2ba9c2dd34d6508f",
    # W5: replaced (where the SQLite engine calls it); relied upon: how "warn" is compiled
    f"{_SEMANTIC_CORE}:enforce_collection_document_validation": "a8ad7b050a44ead7",
    "mongoeco.core.schema_validation:compile_collection_validator": "abc5e472668663c8",
}

_originals: dict[str, Callable[..., Any]] = {}
_applied = False
_SIMPLE_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RANGE_OPERATORS = {
    "GreaterThanCondition": ">",
    "GreaterThanOrEqualCondition": ">=",
    "LessThanCondition": "<",
    "LessThanOrEqualCondition": "<=",
}


def _stock(name: str) -> Callable[..., Any]:
    return _originals[name]


def _engine_class() -> Any:
    from mongoeco.engines.sqlite import SQLiteEngine

    return SQLiteEngine


def source_hash(qualified: str) -> str:
    """Hash of the *stock* source of a recorded function (the original one, also while patched)."""
    name = qualified.rpartition(".")[2]
    obj = (
        _originals[name]
        if qualified.startswith("mongoeco.engines.sqlite:SQLiteEngine.") and name in _originals
        else _originals.get(qualified)
    )
    return hash_source(obj or resolve(qualified))


def changed_sources() -> list[str]:
    """Recorded functions whose source differs from what this override was written against."""
    return changed(SOURCE_HASHES, source_hash)


def is_applied() -> bool:
    return _applied


def _exact_id(value: object) -> bool:
    """``_id`` types whose storage key is their MongoDB equality (no cross-type numeric equality)."""
    from mongoeco.types import ObjectId

    return type(value) is str or type(value) is ObjectId


def _plain_number(value: object) -> bool:
    return type(value) is int or (type(value) is float and math.isfinite(value))


# --- W1: uniqueness by primary key and scalar index --------------------------------------------------------


def _validate_document_against_unique_indexes(
    self: Any,
    db_name: str,
    coll_name: str,
    document: dict[str, Any],
    *,
    exclude_storage_key: str | None = None,
    skip_id_check: bool = False,
    scan_payload_id: bool = False,
) -> None:
    # mongoeco's primary-key probe (which runs first) is exact for these ids: drop only the all-rows rescan.
    if scan_payload_id and "_id" in document and _exact_id(document["_id"]):
        scan_payload_id = False
    _stock("_validate_document_against_unique_indexes")(
        self,
        db_name,
        coll_name,
        document,
        exclude_storage_key=exclude_storage_key,
        skip_id_check=skip_id_check,
        scan_payload_id=scan_payload_id,
    )


def _unique_index_conflict_via_scalar_entries(
    self: Any,
    conn: sqlite3.Connection,
    collection_id: int | None,
    index: dict[str, Any],
    document: dict[str, Any],
    *,
    exclude_storage_key: str | None,
) -> bool | None:
    """Plain numbers go through the scalar index too (stock returns None: "scan every row in Python")."""
    stock = _stock("_unique_index_conflict_via_scalar_entries")
    field = index["fields"][0]
    physical_name = index.get("scalar_physical_name")
    value = document.get(field)
    if (
        collection_id is None
        or not physical_name
        or "." in field
        or not self._supports_scalar_index(index)
        or not _plain_number(value)
    ):
        return stock(self, conn, collection_id, index, document, exclude_storage_key=exclude_storage_key)
    names = conn.execute(
        "SELECT db_name, coll_name FROM collections WHERE collection_id = ?", (collection_id,)
    ).fetchone()
    if names is None or any(
        self._field_contains_tagged_value_type_in_collection(names[0], names[1], field, tag)
        for tag in ("int32", "int64", "double", "decimal")  # numbers mongoeco leaves out of scalar_index_entries
    ):
        return stock(self, conn, collection_id, index, document, exclude_storage_key=exclude_storage_key)
    element_type, element_key = self._multikey_value_signature(value)
    sql = (
        f"SELECT storage_key FROM scalar_index_entries INDEXED BY {self._quote_identifier(str(physical_name))} "
        "WHERE collection_id = ? AND index_name = ? AND type_score = ? AND element_key = ?"
    )
    params: list[object] = [collection_id, str(index["name"]), self._multikey_type_score(element_type), element_key]
    if exclude_storage_key is not None:
        sql += " AND storage_key != ?"
        params.append(exclude_storage_key)
    return conn.execute(sql + " LIMIT 1", tuple(params)).fetchone() is not None


# --- W2: upsert target by primary key -----------------------------------------------------------------------


def _pinned_id(plan: object) -> tuple[bool, object]:
    """The exact-typed ``_id`` an Equals plan, or a top-level And containing one, pins."""
    from mongoeco.core.query_plan import AndCondition, EqualsCondition

    for clause in plan.clauses if isinstance(plan, AndCondition) else (plan,):
        if isinstance(clause, EqualsCondition) and clause.field == "_id" and _exact_id(clause.value):
            return True, clause.value
    return False, None


def _select_first_document_for_plan(
    self: Any,
    db_name: str,
    coll_name: str,
    plan: Any,
    *,
    hint: object | None = None,
    context: object | None = None,
) -> tuple[str, dict[str, Any]] | None:
    pinned, id_value = _pinned_id(plan) if hint is None else (False, None)
    if not pinned:
        return _stock("_select_first_document_for_plan")(self, db_name, coll_name, plan, hint=hint, context=context)
    from mongoeco.compat import MONGODB_DIALECT_70
    from mongoeco.core.filtering import QueryEngine
    from mongoeco.engines._sqlite_connection import sqlite_read_scope

    conn = self._require_connection(context)
    with self._bind_connection(conn), sqlite_read_scope(conn):
        row = conn.execute(
            "SELECT storage_key, document FROM documents WHERE db_name = ? AND coll_name = ? AND storage_key = ?",
            (db_name, coll_name, self._storage_key(id_value)),
        ).fetchone()
    if row is None:
        return None  # final: no other storage key can hold an equal str/ObjectId _id
    document = self._deserialize_document(row[1])
    if not QueryEngine.match_plan(document, plan, dialect=MONGODB_DIALECT_70):
        return None
    return row[0], document


# --- W3 (and R3): collection features kept current instead of cleared ---------------------------------------

_SORT_HAZARD = "newsmon_sort_hazard"
_UNIFORM = "uniform_scalar_sort_type"


def _sort_hazard_in_collection(self: Any, db_name: str, coll_name: str, field: str) -> bool:
    """Collection-wide form of the scan in mongoeco's ``sort_requires_python`` (without the query's filter).

    False here implies the per-query check finds nothing, so it can be skipped; cached like mongoeco's own
    features (``self`` is the engine, or the scratch database standing in for it).
    """
    from mongoeco.engines.sqlite_query import json_path_for_field, type_expression_sql

    key = (db_name, coll_name, f"{_SORT_HAZARD}:{field}")
    cache = self._collection_features_cache
    if key in cache:
        return bool(cache[key])
    path = "'" + json_path_for_field(field).replace("'", "''") + "'"
    row = (
        self._require_connection()
        .execute(
            f"""
            SELECT 1 FROM documents
            WHERE db_name = ? AND coll_name = ?
              AND (
                json_type(document, {path}) = 'array'
                OR (
                    json_type(document, {path}) = 'object'
                    AND {type_expression_sql(field)} IN ('', 'int64', 'decimal', 'decimal128', 'decimal128_public')
                )
              )
            LIMIT 1
            """,
            (db_name, coll_name),
        )
        .fetchone()
    )
    cache[key] = row is not None
    return row is not None


def _feature_function(kind: str) -> tuple[Callable[..., Any], int] | None:
    """Feature-cache key kind -> (the function computing it over ``documents``, arguments after db and coll)."""
    if kind == _SORT_HAZARD:
        return _sort_hazard_in_collection, 1
    methods = {
        "tagged_type": ("_field_contains_tagged_value_type_in_collection", 2),
        "top_level_array": ("_field_is_top_level_array_in_collection", 1),
        "traverses_array": ("_field_traverses_array_in_collection", 1),
        "traverses_dbref": ("_field_traverses_dbref_in_collection", 1),
        "contains_real_numeric": ("_field_contains_real_numeric_in_collection", 1),
        "contains_non_ascii_text": ("_field_contains_non_ascii_text_in_collection", 1),
        "comparison_mismatch": ("_field_has_comparison_type_mismatch_in_collection", 2),
        "scalar_or_array_comparison_mismatch": ("_field_has_scalar_or_array_element_type_mismatch_in_collection", 2),
        _UNIFORM: ("_field_has_uniform_scalar_sort_type_in_collection", 1),
    }
    if kind not in methods:
        return None
    method, arity = methods[kind]
    return _originals.get(method) or getattr(_engine_class(), method), arity


class _Scratch:
    """A one-table in-memory database posing as the engine, so that mongoeco's own feature checks can run
    over only the rows a write touched."""

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._conn.execute(
            "CREATE TABLE documents (db_name TEXT NOT NULL, coll_name TEXT NOT NULL, "
            "storage_key TEXT NOT NULL, document TEXT NOT NULL)"
        )
        self._collection_features_cache: dict[tuple[str, str, str], bool | str] = {}
        self.lock = threading.Lock()
        self.empty_uniform: set[tuple[str, str, str]] = set()
        """Uniform-sort-type keys cached as "not uniform" only because the collection was empty."""

    def _require_connection(self, context: object | None = None) -> sqlite3.Connection:
        return self._conn

    def evaluate(
        self, rows: list[tuple[str, str, str, str]], keys: list[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], bool | str | None]:
        self._conn.execute("DELETE FROM documents")
        self._conn.executemany("INSERT INTO documents VALUES (?, ?, ?, ?)", rows)
        self._collection_features_cache.clear()
        out: dict[tuple[str, str, str], bool | str | None] = {}
        for key in keys:
            db_name, coll_name, name = key
            kind, _, rest = name.partition(":")
            function, arity = _feature_function(kind)  # type: ignore[misc]  # keys were filtered by the caller
            function(self, db_name, coll_name, *(rest.rsplit(":", 1) if arity == 2 else [rest]))
            out[key] = self._collection_features_cache.get(key)
        return out


_scratches: weakref.WeakKeyDictionary[Any, _Scratch] = weakref.WeakKeyDictionary()
_scratches_lock = threading.Lock()


def _scratch(engine: Any) -> _Scratch:
    with _scratches_lock:
        scratch = _scratches.get(engine)
        if scratch is None:
            scratch = _scratches[engine] = _Scratch()
        return scratch


_TOUCHED = "newsmon_touched_documents"
_TRACKING_SQL = (
    f"CREATE TEMP TABLE IF NOT EXISTS {_TOUCHED} (rid INTEGER NOT NULL)",
    f"CREATE TEMP TRIGGER IF NOT EXISTS {_TOUCHED}_insert AFTER INSERT ON main.documents "
    f"BEGIN INSERT INTO {_TOUCHED} (rid) VALUES (NEW.rowid); END",
    f"CREATE TEMP TRIGGER IF NOT EXISTS {_TOUCHED}_update AFTER UPDATE ON main.documents "
    f"BEGIN INSERT INTO {_TOUCHED} (rid) VALUES (NEW.rowid); END",
)


def _drain_touched(conn: sqlite3.Connection) -> list[tuple[str, str, str, str]] | None:
    """Rows written since the last call; None when this connection does not record writes (yet)."""
    if not getattr(conn, "_newsmon_tracking", False):
        try:
            for statement in _TRACKING_SQL:
                conn.execute(statement)
        except sqlite3.Error:
            return None
        conn._newsmon_tracking = True  # type: ignore[attr-defined]
        return None  # writes before this moment were not recorded
    own_scope = not conn.in_transaction  # never leave an implicit transaction open behind mongoeco's back
    try:
        if own_scope:
            conn.execute("SAVEPOINT newsmon_drain")
        rows = conn.execute(
            "SELECT db_name, coll_name, storage_key, document FROM main.documents "
            f"WHERE rowid IN (SELECT rid FROM temp.{_TOUCHED})"
        ).fetchall()
        conn.execute(f"DELETE FROM temp.{_TOUCHED}")
        if own_scope:
            conn.execute("RELEASE SAVEPOINT newsmon_drain")
    except sqlite3.Error:
        conn._newsmon_tracking = False  # type: ignore[attr-defined]  # e.g. the temp objects were rolled back
        return None
    return rows


def _invalidate_collection_features_cache(self: Any, db_name: str | None = None, coll_name: str | None = None) -> None:
    stock = _stock("_invalidate_collection_features_cache")
    conn = getattr(self, "_connection", None)
    if db_name is None or coll_name is None or conn is None:
        stock(self, db_name, coll_name)
        return
    scratch = _scratch(self)
    with scratch.lock:
        rows = _drain_touched(conn)
        if not rows or any((row[0], row[1]) != (db_name, coll_name) for row in rows):
            # Not a plain document write to this collection (index change, delete, rename, ...): stock clearing.
            stock(self, db_name, coll_name)
            for other in {(row[0], row[1]) for row in rows or ()}:
                stock(self, *other)
            return
        cache = self._collection_features_cache
        keys = [key for key in list(cache) if key[:2] == (db_name, coll_name)]
        known = [key for key in keys if _feature_function(key[2].partition(":")[0]) is not None]
        for key in set(keys) - set(known):
            cache.pop(key, None)
        if not known:
            return
        fresh = scratch.evaluate(rows, known)
        for key in known:
            if key not in cache:
                continue
            old, new = cache[key], fresh[key]
            if key[2].partition(":")[0] != _UNIFORM:
                cache[key] = bool(old) or bool(new)
            elif isinstance(old, str):
                cache[key] = old if new == old else False
            elif key in scratch.empty_uniform:  # the collection was empty: the written rows are all of it
                scratch.empty_uniform.discard(key)
                cache[key] = new if isinstance(new, str) else False
            # else: "not uniform" because of mixed or non-scalar values; a write cannot undo that


def _field_has_uniform_scalar_sort_type_in_collection(
    self: Any, db_name: str, coll_name: str, field: str
) -> str | None:
    """Stock, plus a note when "not uniform" only means "empty", so the first writes can lift it."""
    key = (db_name, coll_name, f"{_UNIFORM}:{field}")
    computed = key not in self._collection_features_cache
    result = _stock("_field_has_uniform_scalar_sort_type_in_collection")(self, db_name, coll_name, field)
    if computed and result is None:
        empty = (
            self._require_connection()
            .execute("SELECT 1 FROM documents WHERE db_name = ? AND coll_name = ? LIMIT 1", (db_name, coll_name))
            .fetchone()
            is None
        )
        if empty:
            scratch = _scratch(self)
            with scratch.lock:
                scratch.empty_uniform.add(key)
    return result


# --- R1: _id lookups by primary key -------------------------------------------------------------------------


def _compile_read_execution_plan(
    self: Any,
    db_name: str,
    coll_name: str,
    semantics: Any,
    *,
    select_clause: str = "document",
    hint: object | None = None,
) -> Any:
    stock = _stock("_compile_read_execution_plan")
    from mongoeco.core.query_plan import EqualsCondition, InCondition

    plan = semantics.query_plan
    if isinstance(plan, EqualsCondition):
        values: tuple[object, ...] = (plan.value,)
    elif isinstance(plan, InCondition):
        values = tuple(plan.values)
    else:
        values = ()
    if (
        not values
        or plan.field != "_id"
        or not all(_exact_id(value) for value in values)
        or hint is not None
        or select_clause not in ("document", "storage_key, document")
        or semantics.text_query is not None
        or semantics.sort
        or semantics.skip
        or semantics.collation is not None
        or self._dialect_requires_python_fallback(semantics.dialect)
    ):
        return stock(self, db_name, coll_name, semantics, select_clause=select_clause, hint=hint)
    from mongoeco.engines.sqlite_planner import SQLiteReadExecutionPlan

    keys = list(dict.fromkeys(self._storage_key(value) for value in values))
    sql = (
        f"SELECT {select_clause} FROM documents WHERE db_name = ? AND coll_name = ? "
        f"AND storage_key IN ({', '.join('?' for _ in keys)})"
    )
    params: list[object] = [db_name, coll_name, *keys]
    if semantics.limit is not None:
        sql += " LIMIT ?"
        params.append(semantics.limit)
    return SQLiteReadExecutionPlan(
        semantics=semantics,
        strategy="sql",
        execution_lineage=(),
        physical_plan=(),
        use_sql=True,
        sql=sql,
        params=tuple(params),
    )


# --- R2: shadow indexes on the expressions mongoeco's SQL uses -------------------------------------------------


def shadow_index_statements(keys: list[tuple[str, object]]) -> list[str]:
    """``CREATE INDEX`` statements that let SQLite serve "equal on the leading fields, sorted by the last".

    mongoeco translates ``{a: "x"}`` to ``json_extract(document, '$.a') = ?`` and ``sort(b)`` to
    ``ORDER BY <sort type of b>, <value of b>`` (or only ``<value of b>`` when every ``b`` has one scalar type);
    an index on the same expressions is one SQLite can use. Only plain top-level fields and 1/-1 keys.
    """
    from mongoeco.engines.sqlite_query import json_path_for_field, sort_type_expression_sql, value_expression_sql

    if len(keys) < 2 or any(
        direction not in (1, -1) or not _SIMPLE_FIELD.match(field) or field == "_id" for field, direction in keys
    ):
        return []
    *equal, (last, _direction) = keys
    prefix = ["db_name", "coll_name", *(f"json_extract(document, '{json_path_for_field(f)}')" for f, _ in equal)]
    variants = (
        [*prefix, sort_type_expression_sql(last), value_expression_sql(last)],
        [*prefix, value_expression_sql(last)],
    )
    statements = []
    for columns in variants:
        body = ", ".join(columns)
        name = "newsmon_shadow_" + hashlib.sha256(body.encode()).hexdigest()[:16]
        statements.append(f'CREATE INDEX IF NOT EXISTS "{name}" ON documents ({body})')
    return statements


def ensure_shadow_indexes(conn: sqlite3.Connection, keys: list[tuple[str, object]]) -> int:
    """Create the shadow indexes of one index key pattern; returns how many statements ran."""
    statements = shadow_index_statements(keys)
    for statement in statements:
        conn.execute(statement)
    return len(statements)


def ensure_shadow_indexes_for_file(db_file: Path) -> int:
    """Shadow indexes for every index already in a database file (run at server start, before the engine)."""
    if not db_file.exists():
        return 0
    conn = sqlite3.connect(db_file, isolation_level=None)
    try:
        if conn.execute("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'indexes'").fetchone() is None:
            return 0
        count = 0
        for (raw,) in conn.execute("SELECT keys FROM indexes WHERE keys IS NOT NULL").fetchall():
            try:
                keys = [(str(field), direction) for field, direction in json.loads(raw)]
            except (TypeError, ValueError):
                continue
            count += ensure_shadow_indexes(conn, keys)
        return count
    finally:
        conn.close()


def _create_index_sync(self: Any, db_name: str, coll_name: str, keys: Any, *args: Any, **kwargs: Any) -> str:
    name = _stock("_create_index_sync")(self, db_name, coll_name, keys, *args, **kwargs)
    with self._lock:
        conn = self._connection
        if conn is not None and not conn.in_transaction:  # inside a session transaction: next server start
            try:
                ensure_shadow_indexes(conn, [(str(field), direction) for field, direction in keys])
            except sqlite3.Error as exc:  # an access path only: never fail the createIndexes command for it
                log.warning("shadow index for %s.%s %s not created: %s", db_name, coll_name, keys, exc)
    return name


# --- R3: skip the per-query scan of sorted finds when the collection-wide answer is "nothing there" ----------


def _sort_requires_python(self: Any, db_name: str, coll_name: str, plan: Any, sort: Any) -> bool:
    if not sort or any(_sort_hazard_in_collection(self, db_name, coll_name, field) for field, _ in sort):
        return _stock("_sort_requires_python")(self, db_name, coll_name, plan, sort)
    from mongoeco.engines import sqlite as sqlite_module

    # The stock function minus its SQL scan, which cannot find a row here (see _sort_hazard_in_collection).
    if self._plan_has_array_traversing_paths(db_name, coll_name, plan):
        return True
    sqlite_module.translate_query_plan(plan)  # raises as stock does for plans SQL cannot express
    return any(
        self._field_traverses_array_in_collection(db_name, coll_name, field)
        or self._field_contains_tagged_bytes_in_collection(db_name, coll_name, field)
        or self._field_contains_tagged_undefined_in_collection(db_name, coll_name, field)
        for field, _ in sort
    )


# --- R4: numeric range on the scalar index key of a sorted find ----------------------------------------------


def _scalar_range_bound(self: Any, db_name: str, coll_name: str, plan: Any, sort: Any) -> tuple[str, list] | None:
    """``type_score = number AND element_key > key(n)`` for ranges on the sort field, when that SQL path is taken.

    In that path every document has a scalar entry whose key is an order-preserving form of its number
    (mongoeco requires one scalar type for the field), so the bound only drops rows the filter drops.
    """
    from mongoeco.core.query_plan import AndCondition

    if not sort or len(sort) != 1:
        return None
    field = sort[0][0]
    clauses = plan.clauses if isinstance(plan, AndCondition) else (plan,)
    ranges = [
        (_RANGE_OPERATORS[type(c).__name__], c.value)
        for c in clauses
        if type(c).__name__ in _RANGE_OPERATORS and c.field == field and _plain_number(c.value)
    ]
    if not ranges or "." in field:
        return None
    index = self._find_scalar_sort_index(db_name, coll_name, field)
    if index is None or not index.get("scalar_physical_name"):
        return None
    if self._lookup_collection_id(self._require_connection(), db_name, coll_name) is None:
        return None
    number_score = self._multikey_type_score("number")
    sql = ["scalar_index_entries.type_score = ?"]
    params: list[object] = [number_score]
    for operator, value in ranges:
        sql.append(f"scalar_index_entries.element_key {operator} ?")
        params.append(self._multikey_value_signature(value)[1])
    return " AND ".join(sql), params


def _build_scalar_sort_select_sql(
    self: Any,
    db_name: str,
    coll_name: str,
    plan: Any,
    *,
    select_clause: str,
    sort: Any,
    skip: int,
    limit: int | None,
    hint: object | None,
) -> tuple[str, list[object]] | None:
    stock = _stock("_build_scalar_sort_select_sql")
    bound = None if hint is not None else _scalar_range_bound(self, db_name, coll_name, plan, sort)
    if bound is None:
        return stock(
            self, db_name, coll_name, plan, select_clause=select_clause, sort=sort, skip=skip, limit=limit, hint=hint
        )
    from mongoeco.engines._sqlite_fast_paths import build_scalar_sort_select_sql
    from mongoeco.engines.sqlite_query import value_expression_sql

    def translate(current_db: str, current_coll: str, current_plan: Any) -> tuple[str, list[object]]:
        where_sql, where_params = self._translate_query_plan_with_multikey(current_db, current_coll, current_plan)
        return f"({where_sql}) AND {bound[0]}", [*where_params, *bound[1]]

    # mongoeco's SQLiteEngine._build_scalar_sort_select_sql with one change: the WHERE fragment carries the
    # bound. build_scalar_sort_select_sql uses that fragment only in its scalar-index branch, whose conditions
    # _scalar_range_bound has checked.
    return build_scalar_sort_select_sql(
        db_name=db_name,
        coll_name=coll_name,
        plan=plan,
        select_clause=select_clause,
        sort=sort,
        skip=skip,
        limit=limit,
        hint=hint,
        field_traverses_array_in_collection=self._field_traverses_array_in_collection,
        field_contains_tagged_bytes_in_collection=self._field_contains_tagged_bytes_in_collection,
        field_contains_tagged_undefined_in_collection=self._field_contains_tagged_undefined_in_collection,
        field_has_uniform_scalar_sort_type_in_collection=self._field_has_uniform_scalar_sort_type_in_collection,
        translate_query_plan_with_multikey=translate,
        find_scalar_sort_index=self._find_scalar_sort_index,
        lookup_collection_id=lambda current_db, current_coll: self._lookup_collection_id(
            self._require_connection(), current_db, current_coll
        ),
        quote_identifier=self._quote_identifier,
        value_expression_sql=value_expression_sql,
    )


# --- W4: one change delivery per wire write command --------------------------------------------------------

_DEFERRED_DISPATCH: contextvars.ContextVar[dict[tuple[int, int], Any] | None] = contextvars.ContextVar(
    "newsmon_deferred_dispatch", default=None
)

# --- W8: one SQLite transaction per wire write command -----------------------------------------------------------

#: The write command the current task runs (its own engine calls pass the lock).
_BATCH: contextvars.ContextVar[Any] = contextvars.ContextVar("newsmon_batch", default=None)
_WRITE_LOCKS: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()
#: Engine calls that only read (through mongoeco's dedicated reader connections, which see committed data only):
#: they need not wait for a write command. Every other call (a write, DDL, anything new) waits for its end.
_READS = frozenset(
    {
        "_plan_find_semantics_sync",
        "_get_document_sync",
        "_count_matching_documents_sync",
        "_list_indexes_sync",
        "_index_information_sync",
        "_list_search_indexes_sync",
        "_search_documents_sync",
        "_plan_search_documents_sync",
        "_explain_search_documents_sync",
        "_explain_query_plan_sync",
        "_collect_search_metadata_pushdown_sync",
        "_list_databases_sync",
        "_list_collections_sync",
        "_collection_options_sync",
    }
)


def _write_lock(engine: Any) -> asyncio.Lock:
    lock = _WRITE_LOCKS.get(engine)
    if lock is None:
        lock = _WRITE_LOCKS[engine] = asyncio.Lock()
    return lock


class _Batch:
    """The transaction of one write command, opened at its first document write (after mongoeco has registered
    its change consumer, which writes through another connection and would wait for this transaction)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.conn: sqlite3.Connection | None = None
        self.began = False

    def begin(self) -> None:
        if self.began:
            return
        self.began = True
        with self.engine._lock:
            conn = self.engine._connection
            if conn is None or conn.in_transaction or self.engine._transaction_owner_session_id is not None:
                return  # a session transaction (or an unexpected state): stock, one transaction per document
            conn.execute("BEGIN IMMEDIATE")
            self.conn = conn

    def end(self) -> None:
        """Commit before the reply is sent, so an acknowledged write is stored as with stock mongoeco."""
        conn, self.conn = self.conn, None
        if conn is None:
            return
        with self.engine._lock:
            if not conn.in_transaction:
                return
            try:
                conn.commit()
            except BaseException:
                conn.rollback()
                raise


# --- W4 (continued) ----------------------------------------------------------------------------------------------


def _dispatch_engine_changes(self: Any, operation_context: Any = None) -> None:
    pending = _DEFERRED_DISPATCH.get()
    session = getattr(operation_context, "session", None)
    if pending is None or (session is not None and session.in_transaction):
        _stock_other(f"{_RUNTIME}:CollectionRuntimeCoordinator._dispatch_engine_changes")(self, operation_context)
        return
    # One delivery per engine and hub hands over everything committed until then (the consumer's checkpoint
    # moves to the outbox's newest sequence), so a later one covers this write too.
    pending.setdefault((id(self._engine_spi), id(self._collection._change_hub)), self)


def _deferring(qualified: str) -> Callable[..., Any]:
    """A write command written in one SQLite transaction (W8) that delivers its changes once, at its end (W4)."""

    async def command(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _DEFERRED_DISPATCH.get() is not None:  # nested: the outer command commits and delivers
            return await _stock_other(qualified)(self, *args, **kwargs)
        engine = getattr(self._admin, "_engine", None)
        batch = _Batch(engine) if isinstance(engine, _engine_class()) else None
        pending: dict[tuple[int, int], Any] = {}
        token = _DEFERRED_DISPATCH.set(pending)
        batch_token = _BATCH.set(batch)
        try:
            if batch is None:
                return await _stock_other(qualified)(self, *args, **kwargs)
            async with _write_lock(engine):
                try:
                    return await _stock_other(qualified)(self, *args, **kwargs)
                finally:
                    batch.end()  # what the command wrote before an error is kept, as stock does
        finally:
            _BATCH.reset(batch_token)
            _DEFERRED_DISPATCH.reset(token)
            dispatch = _stock_other(f"{_RUNTIME}:CollectionRuntimeCoordinator._dispatch_engine_changes")
            for coordinator in pending.values():
                dispatch(coordinator, None)

    command.__name__ = qualified.rpartition(".")[2]
    return command


# --- W6: no outbox "gap" records where no change stream can exist --------------------------------------------


def _new_operation_context(self: Any, **kwargs: Any) -> Any:
    from mongoeco.core.operation_context import ChangePublicationPolicy

    if kwargs.get("publication") is ChangePublicationPolicy.RECORD_GAP:
        kwargs["publication"] = ChangePublicationPolicy.DISABLED
    return _stock_other("mongoeco.api._async.collection:AsyncCollection._new_operation_context")(self, **kwargs)


# --- W7: single-document writes without the thread hand-off ----------------------------------------------------

_INLINE_WRITES = frozenset({"_update_with_operation_sync", "_insert_document_sync", "_delete_document_sync"})


async def _run_blocking(self: Any, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    name = getattr(func, "__name__", "") if getattr(func, "__self__", None) is self else ""
    batch = _BATCH.get()
    if batch is not None and batch.engine is self:  # the write command's own calls
        if name in _INLINE_WRITES:
            batch.begin()
        return await _call(self, name, func, *args, **kwargs)
    if name in _READS:  # reads of committed data
        return await _call(self, name, func, *args, **kwargs)
    async with _write_lock(self):  # any other write waits until a running write command has committed (W8)
        return await _call(self, name, func, *args, **kwargs)


async def _call(self: Any, name: str, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    if name in _INLINE_WRITES:
        return contextvars.copy_context().run(func, *args, **kwargs)
    return await _stock("_run_blocking")(self, func, *args, **kwargs)


# --- W9: each value of a document validated once per encoding ---------------------------------------------------

_ENCODING: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar("newsmon_encoding", default=None)
_CODEC = "mongoeco.core.codec"
_SCALARS = "mongoeco.core.bson_scalars"


def _encode(data: Any) -> Any:
    """``DocumentCodec.encode``, whose every nested dict re-validates its whole subtree: validated once here."""
    if _ENCODING.get() is not None:
        return _stock_other(f"{_CODEC}:DocumentCodec.encode")(data)
    validated: set[int] = set()
    _validate_recording(data, validated)
    token = _ENCODING.set(validated)
    try:
        return _stock_other(f"{_CODEC}:DocumentCodec.encode")(data)
    finally:
        _ENCODING.reset(token)


def _validate_recording(value: object, validated: set[int]) -> None:
    """mongoeco's ``validate_bson_value`` (same checks, same order), noting the containers it went through."""
    from mongoeco.core.bson_scalars import BsonDecimal128, _normalize_decimal128, wrap_bson_numeric

    pending = [value]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            for key in current:
                if not isinstance(key, str):
                    raise TypeError("BSON document keys must be strings")
            validated.add(id(current))
            pending.extend(current.values())
            continue
        if isinstance(current, (list, tuple)):
            validated.add(id(current))
            pending.extend(current)
            continue
        if isinstance(current, (set, frozenset)):
            raise TypeError("set values are not BSON-serializable")
        if _valid_scalar(current):
            continue
        wrapped = wrap_bson_numeric(current)
        if isinstance(wrapped, BsonDecimal128):
            _normalize_decimal128(wrapped.value)


def _validate_bson_value(value: object) -> None:
    """The codec's validation: a container already validated in this encoding (and alive since) is skipped."""
    if _valid_scalar(value):
        return
    validated = _ENCODING.get()
    if validated is not None and id(value) in validated:
        return
    _stock_other(f"{_SCALARS}:validate_bson_value")(value)


_INT64 = (-(2**63), 2**63 - 1)


def _valid_scalar(value: object) -> bool:
    """Values ``validate_bson_value`` accepts without a doubt: it would only build a wrapper and drop it."""
    kind = type(value)
    return (
        value is None
        or kind is str
        or kind is bool
        or kind is datetime.datetime
        or (kind is int and _INT64[0] <= value <= _INT64[1])  # type: ignore[operator]
    )


# --- W10: no copy of each update for a profiler that is off; conflicting update paths found without f-strings ---


async def _engine_update_with_operation(
    self: Any,
    operation: Any,
    *,
    upsert: bool = False,
    upsert_seed: Any = None,
    selector_filter: Any = None,
    session: Any = None,
    bypass_document_validation: bool = False,
    replacement_document: Any = None,
    publish_operation_type: str | None = None,
) -> Any:
    """mongoeco's ``CollectionRuntimeCoordinator.engine_update_with_operation`` with one change: the profiler's
    record of a successful update (a deep copy of the whole update document, built for every write and dropped
    when profiling is off, as it always is here) is built only if the profiler asks for it (``command_factory``,
    mongoeco's own lazy form)."""
    import time

    from mongoeco.api._async._collection_runtime import deepcopy, error_message

    self.ensure_operation_executable(operation)
    self._prepare_engine_change_delivery(operation.context)
    started_at = time.perf_counter_ns()

    def command() -> dict[str, object]:
        return {
            "update": self._collection._collection_name,
            "q": operation.filter_spec,
            "u": deepcopy(operation.update_spec or {}),
            "upsert": upsert,
            "bypassDocumentValidation": bypass_document_validation,
        }

    try:
        on_commit = lambda captured: (  # noqa: E731 - as in mongoeco
            self._publish_captured_update_event(
                captured, matched_operation_type=publish_operation_type, session=session
            )
            if publish_operation_type is not None
            else None
        )
        result = await self._engine_spi.update_outcome(
            self._collection._db_name,
            self._collection._collection_name,
            operation,
            upsert=upsert,
            upsert_seed=upsert_seed,
            selector_filter=selector_filter,
            operation_context=operation.context,
            bypass_document_validation=bypass_document_validation,
            replacement_document=replacement_document,
            on_commit=(on_commit if publish_operation_type is not None else None),
        )
    except Exception as exc:
        await self._collection._profile_operation(
            op="update",
            command=command(),
            duration_ns=time.perf_counter_ns() - started_at,
            errmsg=error_message(exc),
        )
        raise
    self._dispatch_engine_changes(operation.context)
    await self._collection._profile_operation(
        op="update", command_factory=command, duration_ns=time.perf_counter_ns() - started_at
    )
    return result


def _register_update_path(seen_paths: list[str], path: str) -> None:
    """mongoeco's check (equal, or one a dotted prefix of the other), without two f-strings per pair."""
    for seen in seen_paths:
        if (
            path == seen
            or (path.startswith(seen) and path[len(seen) : len(seen) + 1] == ".")
            or (seen.startswith(path) and seen[len(path) : len(path) + 1] == ".")
        ):
            from mongoeco.errors import OperationFailure

            raise OperationFailure("conflicting update paths are not allowed", code=40)
    seen_paths.append(path)


# --- W5: no validation whose result is discarded ---------------------------------------------------------------


def _enforce_collection_document_validation(document: Any, *, options: Any = None, **kwargs: Any) -> None:
    if (
        isinstance(options, dict)
        and isinstance(options.get("validator"), dict)
        and options.get("validationAction") == "warn"
        and options.get("validationLevel", "strict") in ("off", "strict", "moderate")
    ):
        return  # stock: compile, validate, then `if result.valid or validator.validation_action == "warn": return`
    _stock_other(f"{_SEMANTIC_CORE}:enforce_collection_document_validation")(document, options=options, **kwargs)


#: Replacements outside ``SQLiteEngine``: where each is installed -> (the stock function it replaces, replacement).
#: The engine modules import the validation function by name, so it is replaced where they look it up.
_OTHER_REPLACEMENTS: dict[str, tuple[str, Callable[..., Any]]] = {
    f"{_RUNTIME}:CollectionRuntimeCoordinator._dispatch_engine_changes": (
        f"{_RUNTIME}:CollectionRuntimeCoordinator._dispatch_engine_changes",
        _dispatch_engine_changes,
    ),
    "mongoeco.api._async.collection:AsyncCollection._new_operation_context": (
        "mongoeco.api._async.collection:AsyncCollection._new_operation_context",
        _new_operation_context,
    ),
    f"{_CODEC}:DocumentCodec.encode": (f"{_CODEC}:DocumentCodec.encode", _encode),
    f"{_RUNTIME}:CollectionRuntimeCoordinator.engine_update_with_operation": (
        f"{_RUNTIME}:CollectionRuntimeCoordinator.engine_update_with_operation",
        _engine_update_with_operation,
    ),
    "mongoeco.core.operators:UpdateEngine._register_update_path": (
        "mongoeco.core.operators:UpdateEngine._register_update_path",
        _register_update_path,
    ),
    f"{_CODEC}:validate_bson_value": (f"{_SCALARS}:validate_bson_value", _validate_bson_value),
    **{
        f"{_WRITE_COMMANDS}:DatabaseAdminWriteCommandService.{name}": (
            f"{_WRITE_COMMANDS}:DatabaseAdminWriteCommandService.{name}",
            _deferring(f"{_WRITE_COMMANDS}:DatabaseAdminWriteCommandService.{name}"),
        )
        for name in ("command_insert", "command_update", "command_delete")
    },
    **{
        f"{module}:enforce_collection_document_validation": (
            f"{_SEMANTIC_CORE}:enforce_collection_document_validation",
            _enforce_collection_document_validation,
        )
        for module in ("mongoeco.engines.sqlite", "mongoeco.engines._sqlite_write_ops")
    },
}


def _stock_other(qualified: str) -> Callable[..., Any]:
    return _originals[qualified]


_installed_raw: dict[str, Any] = {}


def _unwrap(obj: Any) -> Any:
    return obj.__func__ if isinstance(obj, staticmethod | classmethod) else obj


def _owner_and_attr(qualified: str) -> tuple[Any, str]:
    module_name, _, attr_path = qualified.partition(":")
    owner: Any = importlib.import_module(module_name)
    *path, attr = attr_path.split(".")
    for part in path:
        owner = getattr(owner, part)
    return owner, attr


# --- apply ------------------------------------------------------------------------------------------------

_REPLACEMENTS: dict[str, Callable[..., Any]] = {
    "_validate_document_against_unique_indexes": _validate_document_against_unique_indexes,
    "_unique_index_conflict_via_scalar_entries": _unique_index_conflict_via_scalar_entries,
    "_select_first_document_for_plan": _select_first_document_for_plan,
    "_invalidate_collection_features_cache": _invalidate_collection_features_cache,
    "_field_has_uniform_scalar_sort_type_in_collection": _field_has_uniform_scalar_sort_type_in_collection,
    "_compile_read_execution_plan": _compile_read_execution_plan,
    "_sort_requires_python": _sort_requires_python,
    "_build_scalar_sort_select_sql": _build_scalar_sort_select_sql,
    "_create_index_sync": _create_index_sync,
    "_run_blocking": _run_blocking,
}


def apply() -> bool:
    """Patch ``SQLiteEngine`` in this process. Returns False (stock mongoeco, with a warning) when unsafe."""
    global _applied
    if _applied:
        return True
    import mongoeco

    if mongoeco.__version__ != SUPPORTED_VERSION:
        log.warning(
            "mongoeco %s is not %s: newsmon's fast path is NOT applied; the embedded server runs stock mongoeco, "
            "whose writes and queries slow down as collections grow (see docs/embedded-database.md)",
            mongoeco.__version__,
            SUPPORTED_VERSION,
        )
        return False
    changed = changed_sources()
    if changed:
        log.warning(
            "mongoeco %s differs from the source newsmon's fast path was written against (%s): NOT applied",
            mongoeco.__version__,
            ", ".join(changed),
        )
        return False
    installed = {where: _owner_and_attr(where) for where in _OTHER_REPLACEMENTS}
    odd = [
        where
        for where, (owner, attr) in installed.items()
        if _unwrap(inspect.getattr_static(owner, attr)) is not resolve(_OTHER_REPLACEMENTS[where][0])
    ]
    if odd:
        log.warning("mongoeco %s: %s is not the recorded function: NOT applied", mongoeco.__version__, ", ".join(odd))
        return False
    engine = _engine_class()
    for name, replacement in _REPLACEMENTS.items():
        _originals[name] = getattr(engine, name)
        setattr(engine, name, replacement)
    for where, (stock, replacement) in _OTHER_REPLACEMENTS.items():
        owner, attr = installed[where]
        raw = _installed_raw[where] = inspect.getattr_static(owner, attr)
        _originals[stock] = resolve(stock)
        setattr(owner, attr, staticmethod(replacement) if isinstance(raw, staticmethod) else replacement)
    _applied = True
    log.info(
        "mongoeco %s: newsmon fast path applied (%s)",
        mongoeco.__version__,
        ", ".join([*_REPLACEMENTS, *_OTHER_REPLACEMENTS]),
    )
    return True


def revert() -> None:
    """Undo :func:`apply` (for tests that compare with stock in one process)."""
    global _applied
    if not _applied:
        return
    engine = _engine_class()
    for name in _REPLACEMENTS:
        setattr(engine, name, _originals.pop(name))
    for where in _OTHER_REPLACEMENTS:
        owner, attr = _owner_and_attr(where)
        setattr(owner, attr, _installed_raw.pop(where))
    for stock, _replacement in _OTHER_REPLACEMENTS.values():
        _originals.pop(stock, None)
    _applied = False


if __name__ == "__main__":
    print_hashes(SOURCE_HASHES, source_hash)
