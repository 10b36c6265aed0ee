"""The change detection stage as a unit (crawler/changes/detector.py): what the store hands it, what it returns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.changes.detector import ChangeDetector, VersionPair, prominence

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
SITE = "merkur.de"


def version(i: int, headline: str = "Blinken reist nach Kiew", kicker: str | None = "Ukraine") -> dict[str, Any]:
    return {
        "article_id": f"{SITE}:{i}",
        "site": SITE,
        "url": f"https://www.merkur.de/politik/artikel-{i}.html",
        "run_id": "run-2",
        "kicker": kicker,
        "headline": headline,
        "lead": f"Ein Vorspann {i}.",
        "body": [{"kind": "paragraph", "text": f"Text {i}."}],
    }


def pair(i: int, old: dict[str, Any], new: dict[str, Any], teaser: dict[str, Any] | None = None) -> VersionPair:
    return VersionPair(f"{SITE}:{i}:v000001>000002", old, new, 2, teaser)


def test_first_versions_and_rebaselines_are_not_compared():
    detector = ChangeDetector()
    upgraded = {**version(2), "rebaseline": {"from_extractor": "ippen/1", "to_extractor": "ippen/2"}}
    edited = version(3)
    assert detector.to_compare([(version(1), 1), (upgraded, 2), (edited, 2)]) == [(edited, 2)]
    assert detector.rebaselines == 1


def test_an_edit_is_a_record_with_a_natural_id_its_versions_and_the_teaser_prominence():
    teaser = {
        "placements": {
            "a": {"page": "https://www.merkur.de/politik/", "position": 1, "last_seen": T0},
            "b": {"page": "https://www.merkur.de/", "position": 7, "block": "top", "last_seen": T0},
            "c": {"page": "https://www.merkur.de/", "position": 1, "last_seen": T0 - timedelta(hours=1)},
        }
    }
    edited = pair(1, version(1, headline="Droht die Eskalation?"), version(1), teaser)
    (record,) = ChangeDetector().versions([edited])
    assert record["_id"] == f"{edited.key}:headline:0"
    assert (record["field"], record["old"], record["new"]) == (
        "headline",
        "Droht die Eskalation?",
        edited.new["headline"],
    )
    assert (record["version_from"], record["version_to"], record["run_id"]) == (1, 2, "run-2")
    assert record["article_id"] == f"{SITE}:1" and record["headline"] == edited.new["headline"]
    # the latest sighting only (c is older), the homepage before a section although lower on its page
    assert record["prominence"] == {
        "page": "https://www.merkur.de/",
        "block": "top",
        "position": 7,
        "homepage": True,
        "seen_at": T0,
    }
    assert "key" not in record and "seq" not in record  # the store numbers what it writes
    again = ChangeDetector().versions([edited])
    assert [r["_id"] for r in again] == [record["_id"]]  # a replayed batch makes the same ids: written once


def test_an_unchanged_version_makes_no_record():
    assert ChangeDetector().versions([pair(1, version(1), version(1))]) == []
    assert prominence(None) is None and prominence({"placements": {}}) is None


def test_a_presence_flip_waits_for_the_run_end_and_drift_is_an_alert_not_changes():
    detector = ChangeDetector()
    single = [pair(1, version(1), version(1, kicker=None))]
    assert detector.versions(single) == [] and detector.held == 1
    end = detector.finish()
    assert [(r["field"], r["old"], r["new"]) for r in end.changes] == [("kicker", "Ukraine", None)]
    assert end.alerts == [] and detector.suppressed == 0

    template = [pair(i, version(i), version(i, kicker=None)) for i in range(10)]
    assert detector.versions(template) == []
    end = detector.finish()
    assert end.changes == [] and detector.suppressed == 10
    (alert,) = end.alerts
    assert alert["field"] == "kicker" and alert["site"] == SITE


def test_unchanged_articles_count_in_the_drift_shares():
    lost = [pair(i, version(i), version(i, kicker=None)) for i in range(6)]
    alone = ChangeDetector()
    alone.versions(lost)
    assert alone.finish().changes == []  # 6 of 6 lost the kicker: the template

    detector = ChangeDetector()
    detector.unchanged([version(i) for i in range(10, 30)])
    detector.versions(lost)
    end = detector.finish()
    assert len(end.changes) == 6 and end.alerts == []  # 6 of 26: edits


def teaser_record(headline: str, flush: str = "run-2:1", kicker: str = "Ukraine") -> dict[str, Any]:
    return {
        "article_id": f"{SITE}:1",
        "site": SITE,
        "url": "https://www.merkur.de/politik/artikel-1.html",
        "headline": headline,
        "kicker": kicker,
        "flush_id": flush,
        "run_id": "run-2",
        "placements": {"a": {"page": "https://www.merkur.de/", "position": 3, "last_seen": T0}},
    }


def test_teaser_records_bring_their_own_edits_only():
    detector = ChangeDetector()
    aid = f"{SITE}:1"
    record = teaser_record("Blinken reist nach Kiew")
    assert detector.teaser_records([record], {}, {aid: "Anders"}, {}) == []  # a first sighting
    stored = {aid: {"headline": "Droht die Eskalation?", "kicker": "Ukraine", "flushes": ["run-1:1"]}}
    (change,) = detector.teaser_records([record], stored, {aid: "Artikel"}, {})
    assert change["_id"] == f"{aid}:teaser:run-2:1:teaser.headline:0"
    assert (change["field"], change["headline"], change["version_from"]) == ("teaser.headline", "Artikel", None)
    assert change["prominence"]["homepage"] is True
    (flip,) = detector.teaser_records([record], stored, {}, {aid: frozenset({"headline"})})
    assert flip["edit_class"] == "ab_flip"
    merged = {aid: {**stored[aid], "flushes": ["run-1:1", "run-2:1"]}}
    assert detector.teaser_records([record], merged, {}, {}) == []  # already merged: written then


def test_from_settings_reads_the_drift_and_ab_settings():
    from scrapy.settings import Settings

    detector = ChangeDetector.from_settings(
        Settings({"NEWSMON_DRIFT_MIN_ARTICLES": 3, "NEWSMON_DRIFT_THRESHOLD": 0.25, "NEWSMON_AB_WINDOW_DAYS": 2})
    )
    assert (detector.drift.min_articles, detector.drift.threshold) == (3, 0.25)
    assert detector.ab_window == timedelta(days=2)
