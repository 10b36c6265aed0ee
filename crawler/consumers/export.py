"""`newsmon export`: articles, versions, teasers or changes as JSON lines or CSV, streamed from a cursor.

Constant memory on any collection size: one cursor in index order with a bounded `batch_size`, one document
converted and written at a time. CSV has one column per top-level field of the collection's documented schema
(`crawler.store.validators`), so the header is known before the first row; lists of texts are joined with
"; ", embedded documents and lists of them are JSON. Scraped text is untrusted: a CSV cell that a spreadsheet
would read as a formula gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from bson import ObjectId
from pymongo.database import Database

from crawler.changes.diff import compact
from crawler.consumers.query import KINDS, Filters, build_query
from crawler.store.validators import SCHEMAS

FORMATS = ("jsonl", "csv")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = "; "
DEFAULT_BATCH = 500


def documents(db: Database, kind: str, filters: Filters, batch_size: int = DEFAULT_BATCH) -> Iterator[dict[str, Any]]:
    """The matching documents in index order, fetched `batch_size` at a time."""
    spec = KINDS[kind]
    cursor = db[spec.collection].find(build_query(spec, filters)).sort(list(spec.order)).batch_size(batch_size)
    try:
        yield from cursor
    finally:
        cursor.close()


def columns(kind: str) -> list[str]:
    names = list(SCHEMAS[KINDS[kind].collection]["properties"])
    return [*names, "diff_compact"] if kind == "changes" else names


def iso(moment: datetime) -> str:
    """UTC with a `Z`; pymongo gives naive datetimes unless the client is tz-aware: those are UTC too."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    spec = "milliseconds" if moment.microsecond else "seconds"  # BSON keeps milliseconds
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")


def plain(value: Any) -> Any:
    """JSON-ready: datetimes as ISO strings, ObjectIds as hex, containers recursively."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def cell(value: Any) -> str:
    """One CSV cell: scalars as text, lists of texts joined, anything nested as JSON; formulas neutralized."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)  # numbers we computed: "-3" is a number here, not a formula
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return neutralize(LIST_SEPARATOR.join(value))
    if isinstance(value, Mapping | list):
        return neutralize(json.dumps(plain(value), ensure_ascii=False, sort_keys=False))
    return neutralize(str(value))


def neutralize(text: str) -> str:
    """A leading apostrophe keeps Excel/LibreOffice/Sheets from evaluating scraped text as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_jsonl(docs: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    count = 0
    for doc in docs:
        out.write(json.dumps(plain(doc), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(docs: Iterable[Mapping[str, Any]], out: TextIO, kind: str) -> int:
    names = columns(kind)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    count = 0
    for doc in docs:
        row = dict(doc)
        if kind == "changes":
            row["diff_compact"] = compact(doc.get("diff") or [])
        writer.writerow([cell(row.get(name)) for name in names])
        count += 1
    return count


def export(db: Database, kind: str, filters: Filters, fmt: str, out: TextIO, *, batch_size: int = DEFAULT_BATCH) -> int:
    """Write the matching documents of `kind` to `out`; returns how many."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    docs = documents(db, kind, filters, batch_size)
    if fmt == "jsonl":
        return write_jsonl(docs, out)
    if fmt == "csv":
        return write_csv(docs, out, kind)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")
