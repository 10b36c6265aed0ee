"""newsmon's override of mongoeco 4.11.0's wire cursors, so that every official driver can read the store.

Why: MongoDB sends a cursor id as a BSON long (int64), always, also when it is 0. mongoeco 4.11.0 keeps cursor
ids as Python ints, which the BSON encoder writes as int32 when they are small (they always are: 0, 1, 2, ...).
pymongo accepts either; MongoDB's Node.js driver 6.x (and with it mongosh and Compass) reads ``cursor.id`` as
a long only and fails every ``find``, ``aggregate``, ``countDocuments``, ``listCollections`` and
``listIndexes`` with ``MongoUnexpectedServerResponseError: BSON element "id" is missing``. The other way
round, that driver sends the id back in ``getMore``/``killCursors`` as a long, which mongoeco decodes to its
own ``BsonInt64`` wrapper, not an ``int``, and then rejects ("wire getMore cursor id must be an integer").

So, in the embedded server process only:

C1 Every cursor id in a reply (``cursor.id`` of a first batch or a ``getMore``; the id lists of
   ``killCursors``) is a ``bson.int64.Int64``: an ``int`` subclass, so mongoeco's own code is unaffected,
   which pymongo's encoder writes as a BSON long.
C2 A ``getMore``/``killCursors`` request's cursor ids that arrive as longs are turned back into plain ints
   before mongoeco validates and looks them up (the command document is a fresh dict per request).

Nothing else differs from stock: batches, ``ns``, errors, sessions and the cursor store itself are mongoeco's.
The override is tied to the exact source of the functions it wraps or relies on: :func:`apply` refuses (warns,
leaves mongoeco stock) on any other mongoeco version or when a recorded source hash differs, and
``tests/test_mongoeco_wire.py`` fails on such an upgrade so the override is re-reviewed (maybe dropped, if
mongoeco sends longs itself). Recompute the hashes with ``python -m crawler.store.embedded.wire``.
It is separate from :mod:`crawler.store.embedded.fastpath` (the storage engine) on purpose: each can be
reviewed, refused or dropped on its own.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

from crawler.store.embedded.guard import changed, hash_source, print_hashes, resolve

log = logging.getLogger("newsmon.mongoeco_wire")

SUPPORTED_VERSION = "4.11.0"

#: sha256 (first 16 hex digits) of ``inspect.getsource`` of every mongoeco function this module wraps or whose
#: behaviour it relies on, as of mongoeco 4.11.0.
SOURCE_HASHES: dict[str, str] = {
    # wrapped
    "mongoeco.wire.cursors:WireCursorStore.materialize_command_result": "ae68483fed439dbb",
    "mongoeco.wire.cursors:WireCursorStore.get_more": "68a97c74f7b729f2",
    "mongoeco.wire.cursors:WireCursorStore.kill_cursors": "e5d87c2d75b992ce",
    "mongoeco.wire._executor_validation:_validate_get_more": "e3cf9f06b2da703c",
    "mongoeco.wire._executor_validation:_validate_kill_cursors": "60e0a8c95f329f9a",
    # relied upon: a long arrives as BsonInt64; an int subclass leaves as itself; the command document is a
    # fresh dict per request, validated through the table below
    "mongoeco.wire.bson_bridge:decode_wire_value": "e92ed00b16e8bb6e",
    "mongoeco.wire.bson_bridge:encode_wire_value": "f2894bdf188705a0",
    "mongoeco.wire._executor_support:build_request_context": "a7f2d8664af6615c",
    "mongoeco.wire._executor_validation:validate_wire_command_document": "682b6d7b47274e72",
}

_CURSOR_METHODS = ("materialize_command_result", "get_more", "kill_cursors")
_VALIDATED = {"getMore": "_validate_get_more", "killCursors": "_validate_kill_cursors"}
_originals: dict[str, Callable[..., Any]] = {}
_applied = False


def source_hash(qualified: str) -> str:
    """Hash of the *stock* source of a recorded function (the original one, also while wrapped)."""
    return hash_source(inspect.unwrap(_originals.get(qualified) or resolve(qualified)))


def changed_sources() -> list[str]:
    """Recorded functions whose source differs from what this override was written against."""
    return changed(SOURCE_HASHES, source_hash)


def is_applied() -> bool:
    return _applied


# --- C1: cursor ids leave as longs ---------------------------------------------------------------------------


def _long(value: Any) -> Any:
    from bson.int64 import Int64

    return Int64(value) if type(value) is int else value


def _longs_in_reply(result: Any) -> Any:
    if not isinstance(result, dict):
        return result
    cursor = result.get("cursor")
    if isinstance(cursor, dict) and "id" in cursor:
        cursor["id"] = _long(cursor["id"])
    for key in ("cursorsKilled", "cursorsUnknown", "cursorsAlive", "cursorsNotFound"):
        if isinstance(result.get(key), list):
            result[key] = [_long(v) for v in result[key]]
    return result


# --- C2: cursor ids arrive as ints ---------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    from mongoeco.core.bson_scalars import BsonInt64

    return value.value if isinstance(value, BsonInt64) else value


def _plain_ids(command_document: dict[str, Any]) -> None:
    if "getMore" in command_document:
        command_document["getMore"] = _plain(command_document["getMore"])
    if isinstance(command_document.get("cursors"), list):
        command_document["cursors"] = [_plain(v) for v in command_document["cursors"]]
    if "batchSize" in command_document:
        command_document["batchSize"] = _plain(command_document["batchSize"])


def _cursor_method(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(self: Any, command_document: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        _plain_ids(command_document)
        return _longs_in_reply(original(self, command_document, *args, **kwargs))

    return wrapper


def _validator(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(body: dict[str, Any], command_document: dict[str, Any]) -> None:
        _plain_ids(command_document)
        original(body, command_document)

    return wrapper


# --- apply ----------------------------------------------------------------------------------------------------


def apply() -> bool:
    """Wrap mongoeco's wire cursors in this process. False (stock mongoeco, with a warning) when unsafe."""
    global _applied
    if _applied:
        return True
    import mongoeco

    if mongoeco.__version__ != SUPPORTED_VERSION:
        log.warning(
            "mongoeco %s is not %s: newsmon's wire fix is NOT applied; cursor ids go out as int32 and MongoDB's "
            "Node.js driver (mongosh, Compass) cannot read the embedded database (docs/embedded-database.md)",
            mongoeco.__version__,
            SUPPORTED_VERSION,
        )
        return False
    changed = changed_sources()
    if changed:
        log.warning(
            "mongoeco %s differs from the source newsmon's wire fix was written against (%s): NOT applied",
            mongoeco.__version__,
            ", ".join(changed),
        )
        return False
    from mongoeco.wire import _executor_validation
    from mongoeco.wire.cursors import WireCursorStore

    for name in _CURSOR_METHODS:
        qualified = f"mongoeco.wire.cursors:WireCursorStore.{name}"
        _originals[qualified] = getattr(WireCursorStore, name)
        setattr(WireCursorStore, name, _cursor_method(_originals[qualified]))
    table = _executor_validation._WIRE_COMMAND_VALIDATORS
    for command, function in _VALIDATED.items():
        qualified = f"mongoeco.wire._executor_validation:{function}"
        _originals[qualified] = getattr(_executor_validation, function)
        table[command] = _validator(_originals[qualified])
    _applied = True
    log.info("mongoeco %s: newsmon wire fix applied (cursor ids as BSON longs)", mongoeco.__version__)
    return True


def revert() -> None:
    """Undo :func:`apply` (for tests that compare with stock in one process)."""
    global _applied
    if not _applied:
        return
    from mongoeco.wire import _executor_validation
    from mongoeco.wire.cursors import WireCursorStore

    for name in _CURSOR_METHODS:
        setattr(WireCursorStore, name, _originals.pop(f"mongoeco.wire.cursors:WireCursorStore.{name}"))
    for command, function in _VALIDATED.items():
        _executor_validation._WIRE_COMMAND_VALIDATORS[command] = _originals.pop(
            f"mongoeco.wire._executor_validation:{function}"
        )
    _applied = False


if __name__ == "__main__":
    print_hashes(SOURCE_HASHES, source_hash)
