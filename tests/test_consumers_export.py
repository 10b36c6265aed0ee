"""`newsmon export`: filters built from typed values only, CSV that a spreadsheet cannot turn into formulas,
streaming in constant memory, and the command end to end on a crawled database."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import MongoClient

from crawler.consumers.export import cell, columns, documents, write_csv, write_jsonl
from crawler.consumers.query import KINDS, BadFilter, Filters, build_query, field_name, parse_time
from tests.support.commands import CommandNames
from tests.test_consumers_data import HOSTILE_HEADLINE, NEW_KICKER, crawled_database

T0 = datetime(2025, 5, 3, 10, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x";"klick")', "+49 30 1234", "-1+2", "@SUM(A1)", "\tTab", "\rCR", "=1"]
)
def test_cells_a_spreadsheet_would_evaluate_get_an_apostrophe(text):
    assert cell(text) == "'" + text
    assert cell([text, "B"]) == "'" + text + "; B"


def test_other_cells_are_plain_text():
    assert cell("Droht die Eskalation?") == "Droht die Eskalation?"
    assert cell(-3) == "-3" and cell(2.5) == "2.5" and cell(True) == "true" and cell(None) == ""
    assert cell(T0) == "2025-05-03T10:15:00Z"
    assert cell(datetime(2025, 5, 3, 10, 15)) == "2025-05-03T10:15:00Z"  # naive from pymongo: UTC
    assert json.loads(cell([{"kind": "paragraph", "text": "=x"}])) == [{"kind": "paragraph", "text": "=x"}]
    assert cell({"h1": "-x"}).startswith("{")


def test_csv_has_the_documented_columns_and_flattens_nested_values():
    doc = {
        "_id": "merkur.de:1:v000001>000002:headline:0",
        "seq": 7,
        "field": "headline",
        "old": "Alt",
        "new": '=cmd|" /C calc"!A0',
        "diff": [{"op": "replace", "old": "Alt", "new": '=cmd|" /C calc"!A0'}],
        "also": ["headline_variants.h1", "headline_variants.og_title"],
        "detected_at": T0,
        "unknown": "not a column",
    }
    out = io.StringIO()
    assert write_csv([doc], out, "changes") == 1
    header, row = list(csv.reader(io.StringIO(out.getvalue())))
    assert header == columns("changes") and "unknown" not in header and header[-1] == "diff_compact"
    record = dict(zip(header, row, strict=True))
    assert record["new"] == '\'=cmd|" /C calc"!A0' and record["old"] == "Alt"
    assert record["also"] == "headline_variants.h1; headline_variants.og_title"
    assert json.loads(record["diff"])[0]["op"] == "replace"
    assert record["diff_compact"] == '[-Alt-]{+=cmd|" /C calc"!A0+}' and record["seq"] == "7"
    assert record["detected_at"] == "2025-05-03T10:15:00Z" and record["version_from"] == ""


def test_jsonl_keeps_every_field_with_utc_times():
    out = io.StringIO()
    write_jsonl([{"_id": "a", "published": T0, "nested": {"at": T0}, "extra": [1, None]}], out)
    assert json.loads(out.getvalue()) == {
        "_id": "a",
        "published": "2025-05-03T10:15:00Z",
        "nested": {"at": "2025-05-03T10:15:00Z"},
        "extra": [1, None],
    }


def test_filter_values_are_values_never_operators():
    articles, versions, changes = KINDS["articles"], KINDS["versions"], KINDS["changes"]
    assert build_query(articles, Filters(site='{"$ne": null}')) == {"site": '{"$ne": null}'}
    assert build_query(versions, Filters(site="merkur.de")) == {"_id": {"$gte": "merkur.de:", "$lt": "merkur.de;"}}
    query = build_query(changes, Filters(fields=("headline_variants",), since=T0))
    assert query == {
        "detected_at": {"$gte": T0},
        "$or": [{"field": {"$in": ["headline_variants"]}}, {"field": {"$regex": "^headline_variants\\."}}],
    }
    for bad in ("$where", "a b", "headline|.*", '{"$ne": 1}', ""):
        with pytest.raises(BadFilter):
            field_name(bad)
    with pytest.raises(BadFilter):
        build_query(changes, Filters(edit_classes=("$gt",)))


def test_times_are_iso_or_ages_and_always_utc():
    now = datetime(2025, 5, 3, 12, 0, tzinfo=UTC)
    assert parse_time("6h", now=now) == now - timedelta(hours=6)
    assert parse_time("2w", now=now) == now - timedelta(weeks=2)
    assert parse_time("2025-05-03") == datetime(2025, 5, 3, tzinfo=UTC)
    assert parse_time("2025-05-03T12:15+02:00") == datetime(2025, 5, 3, 10, 15, tzinfo=UTC)
    assert parse_time("2025-05-03T10:15:00Z").tzinfo == UTC
    assert parse_time("2025-05-03T10:15") == datetime(2025, 5, 3, 10, 15, tzinfo=UTC)
    for bad in ("yesterday", "6 hours", "2025-13-01", {"$gt": 1}):
        with pytest.raises(BadFilter):
            parse_time(bad)


def test_writing_keeps_memory_flat_however_many_documents():
    """The writers hold one document at a time: peak memory does not grow with the number written."""

    def docs(n: int) -> Iterator[dict[str, Any]]:
        for i in range(n):
            yield {"_id": f"merkur.de:{i}", "headline": "Schlagzeile " * 20, "body": [{"kind": "p", "text": "x" * 500}]}

    class Sink(io.TextIOBase):
        written = 0

        def write(self, text: str) -> int:
            self.written += len(text)
            return len(text)

    peaks = []
    for n in (1_000, 10_000):
        sink = Sink()
        tracemalloc.start()
        write_csv(docs(n), sink, "articles")
        write_jsonl(docs(n), sink)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert sink.written > n * 1000
    assert peaks[1] < 1.5 * peaks[0] + 100_000, peaks


def test_documents_come_from_a_cursor_in_batches(mongo_uri, db):
    db.changes.insert_many([{"_id": f"c{i}", "seq": s, "detected_at": T0} for i, s in enumerate([5, 2, 9, 1, 7, 3, 8])])
    listener = CommandNames("find", "getMore")
    client: MongoClient = MongoClient(mongo_uri, event_listeners=[listener])
    try:
        seqs = [d["seq"] for d in documents(client[db.name], "changes", Filters(), batch_size=2)]
    finally:
        client.close()
    assert seqs == [1, 2, 3, 5, 7, 8, 9]
    assert listener.names[0] == "find" and listener.names.count("getMore") >= 3


# -- the command, end to end -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crawled(mongo_uri, tmp_path_factory):
    with crawled_database(mongo_uri, tmp_path_factory.mktemp("export")) as data:
        yield data


def newsmon(crawled, tmp_path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "MONGO_URI": crawled.uri,
        "NEWSMON_MONGO_DB": crawled.db.name,
        "NEWSMON_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "crawler.apps.cli", "export", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def lines(done: subprocess.CompletedProcess) -> list[dict[str, Any]]:
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_export_changes_of_a_field_as_json_lines(crawled, tmp_path):
    headline = lines(newsmon(crawled, tmp_path, "changes", "--field", "headline", "--since", "1h"))
    assert headline and {c["field"] for c in headline} == {"headline"}
    (seed,) = [c for c in headline if c["article_id"] == crawled.seed_id]
    assert seed["new"] == HOSTILE_HEADLINE and seed["detected_at"].endswith("Z")
    seqs = [c["seq"] for c in lines(newsmon(crawled, tmp_path, "changes"))]
    assert seqs == sorted(seqs) and len(seqs) == crawled.db.changes.count_documents({})
    assert lines(newsmon(crawled, tmp_path, "changes", "--since", "2999-01-01")) == []
    teaser = lines(newsmon(crawled, tmp_path, "changes", "--field", "teaser", "--class", "headline_change"))
    assert {c["field"] for c in teaser} == {"teaser.headline", "teaser.kicker"}


def test_export_changes_as_csv_to_a_file(crawled, tmp_path):
    target = tmp_path / "kicker.csv"
    done = newsmon(crawled, tmp_path, "changes", "--field", "kicker", "-f", "csv", "-o", str(target))
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
    assert done.stdout == "" and f"{len(rows)} changes written" in done.stderr
    (seed,) = [r for r in rows if r["article_id"] == crawled.seed_id]
    assert seed["new"] == NEW_KICKER and "{+" in seed["diff_compact"]


def test_export_articles_versions_and_teasers_with_filters(crawled, tmp_path):
    articles = lines(newsmon(crawled, tmp_path, "articles", "--site", "merkur.de"))
    assert len(articles) == crawled.db.articles.count_documents({}) and articles[0]["body"]
    assert lines(newsmon(crawled, tmp_path, "articles", "--site", '{"$ne": null}')) == []
    assert lines(newsmon(crawled, tmp_path, "versions", "--site", '{"$gt": ""}')) == []
    versions = lines(newsmon(crawled, tmp_path, "versions", "--article", crawled.seed_id))
    assert [v["version"] for v in versions] == [1, 2] and versions[1]["headline"] == HOSTILE_HEADLINE
    assert len(lines(newsmon(crawled, tmp_path, "versions", "--site", "merkur.de"))) == len(articles) + 1
    rows = list(csv.DictReader(io.StringIO(newsmon(crawled, tmp_path, "teasers", "-f", "csv").stdout)))
    (seed,) = [r for r in rows if r["_id"] == crawled.seed_id]
    variants = json.loads(seed["variants"])
    assert HOSTILE_HEADLINE in {v["value"] for v in variants.values()}


def test_export_refuses_bad_filters_with_a_message(crawled, tmp_path):
    done = newsmon(crawled, tmp_path, "changes", "--class", "$gt", check=False)
    assert done.returncode == 2 and "class: '$gt' is not one of" in done.stderr
    done = newsmon(crawled, tmp_path, "changes", "--since", "gestern", check=False)
    assert done.returncode == 2 and "neither an ISO date/time nor an age" in done.stderr


def test_teasers_filter_on_their_facts(db):
    db.teasers.insert_many(
        [
            {"_id": "merkur.de:1", "site": "merkur.de", "headline_vs_article": {"teaser": "A", "article": "B"}},
            {"_id": "merkur.de:2", "site": "merkur.de", "headline_vs_article": None, "ab_tests": {"headline": {}}},
            {"_id": "merkur.de:3", "site": "merkur.de"},
        ]
    )
    ids = lambda **f: [d["_id"] for d in documents(db, "teasers", Filters(**f))]  # noqa: E731
    assert ids(headline_differs=True) == ["merkur.de:1"]
    assert ids(ab_test=True) == ["merkur.de:2"]
    assert ids() == ["merkur.de:1", "merkur.de:2", "merkur.de:3"]
