"""Drift: a field going empty (or appearing) on most articles of a site in one run is suppressed with one health
alert; single edits are released, text edits at once and presence flips at the run's end."""

from __future__ import annotations

from typing import Any

from crawler.changes.compare import compare_versions
from crawler.changes.drift import DriftDetector

Doc = dict[str, Any]


def article(i: int, kicker: str | None = "Droht die Eskalation?", headline: str | None = None) -> Doc:
    return {
        "kicker": kicker,
        "headline": headline or f"Blinken trifft Baerbock, Teil {i}",
        "lead": f"Ein Vorspann {i}.",
        "body": [{"kind": "paragraph", "text": f"Text {i}."}],
    }


def run(detector: DriftDetector, site: str, pairs: list[tuple[Doc, Doc]]) -> list[Any]:
    released_now = []
    for i, (old, new) in enumerate(pairs):
        article_id = f"{site}:{i}"
        changes = compare_versions(old, new)
        released_now += detector.screen(site, article_id, old, new, changes, context={"article_id": article_id})
    return released_now


def test_a_kicker_gone_on_most_articles_is_drift_not_edits() -> None:
    detector = DriftDetector()
    pairs = [(article(i), article(i, kicker=None if i < 8 else "Droht die Eskalation?")) for i in range(10)]
    pairs[9] = (article(9), article(9, headline="Droht die Eskalation?"))  # a real edit in the same run
    now = run(detector, "merkur.de", pairs)
    assert [(c.field, c.edit_class) for c in now] == [("headline", "headline_change")]
    assert detector.held == 8
    outcome = detector.finish()
    assert outcome.released == []
    assert len(outcome.suppressed) == 8 and {h.change.field for h in outcome.suppressed} == {"kicker"}
    [alert] = outcome.alerts
    assert alert["type"] == "health" and alert["kind"] == "field_drift"
    assert (alert["site"], alert["field"], alert["direction"]) == ("merkur.de", "kicker", "went_empty")
    assert (alert["articles"], alert["flipped"], alert["share"], alert["suppressed_changes"]) == (10, 8, 0.8, 8)
    assert alert["examples"] == [f"merkur.de:{i}" for i in range(5)]
    assert "kicker went empty on 8 of 10" in alert["message"]
    assert detector.held == 0


def test_a_field_appearing_on_most_articles_is_drift_too() -> None:
    detector = DriftDetector()
    run(detector, "fr.de", [(article(i, kicker=None), article(i)) for i in range(6)])
    outcome = detector.finish()
    assert [(a["field"], a["direction"]) for a in outcome.alerts] == [("kicker", "appeared")]
    assert len(outcome.suppressed) == 6


def test_a_few_flips_are_edits_released_at_the_end_with_their_context() -> None:
    detector = DriftDetector()
    pairs = [(article(i), article(i, kicker=None if i < 2 else "Droht die Eskalation?")) for i in range(10)]
    assert run(detector, "merkur.de", pairs) == []
    outcome = detector.finish()
    assert outcome.alerts == [] and outcome.suppressed == []
    assert [(h.change.field, h.change.flip, h.context) for h in outcome.released] == [
        ("kicker", "went_empty", {"article_id": "merkur.de:0"}),
        ("kicker", "went_empty", {"article_id": "merkur.de:1"}),
    ]


def test_the_share_counts_only_articles_that_had_the_field() -> None:
    """A kicker on 4 of 12 articles, gone from all 4 ... but 4 is below the minimum of 5: edits."""
    detector = DriftDetector()
    pairs = [(article(i, kicker=None), article(i, kicker=None)) for i in range(8)]
    pairs += [(article(i), article(i, kicker=None)) for i in range(8, 12)]
    run(detector, "tz.de", pairs)
    assert detector.finish().alerts == []
    detector = DriftDetector(min_articles=4)
    run(detector, "tz.de", pairs)
    assert [a["share"] for a in detector.finish().alerts] == [1.0]


def test_sites_are_counted_apart() -> None:
    detector = DriftDetector()
    run(detector, "merkur.de", [(article(i), article(i, kicker=None)) for i in range(6)])
    run(detector, "fr.de", [(article(i), article(i, kicker=None if i == 0 else "K")) for i in range(6)])
    outcome = detector.finish()
    assert [a["site"] for a in outcome.alerts] == ["merkur.de"]
    assert [h.site for h in outcome.released] == ["fr.de"]
    assert {h.site for h in outcome.suppressed} == {"merkur.de"}


def test_past_max_held_flips_are_decided_on_the_counts_so_far() -> None:
    detector = DriftDetector(max_held=3)
    now = run(detector, "merkur.de", [(article(i), article(i, kicker=None)) for i in range(10)])
    # the first 3 are held; the 4th is released (4 articles are too few to call drift); from the 5th on the
    # counts so far read as drift and the changes are suppressed at once
    assert [c.field for c in now] == ["kicker"]
    assert detector.held == 3
    outcome = detector.finish()
    assert len(outcome.suppressed) == 9 and outcome.alerts[0]["suppressed_changes"] == 9


def test_observe_primitive_and_drifting() -> None:
    detector = DriftDetector(min_articles=2, threshold=0.5)
    detector.observe("s", "1", "lead", True, False)
    assert detector.drifting() == set()
    detector.observe("s", "2", "lead", True, True)
    assert detector.drifting() == {("s", "lead", "went_empty")}


def test_a_modified_date_appearing_with_an_edit_is_the_edits_stamp_not_drift() -> None:
    """A run of mostly edited articles (the revisit policy fetches only what changed): each edit brings its
    modified date; released as edits. The same dates appearing on untouched articles are the template: drift."""
    stamp = {"modified": "2026-12-01T10:00:00+00:00"}
    detector = DriftDetector()
    edited = [(article(i), {**article(i, headline=f"Neue Schlagzeile {i}"), **stamp}) for i in range(8)]
    now = run(detector, "merkur.de", edited)
    assert sorted(c.field for c in now) == ["headline"] * 8 + ["modified"] * 8, "released at once, none held"
    outcome = detector.finish()
    assert outcome.alerts == [] and outcome.suppressed == []

    detector = DriftDetector()
    untouched = [(article(i), {**article(i), **stamp}) for i in range(8)]
    assert run(detector, "merkur.de", edited[:2] + untouched) != []
    outcome = detector.finish()
    assert [(a["field"], a["direction"], a["articles"]) for a in outcome.alerts] == [("modified", "appeared", 8)]
    assert len(outcome.suppressed) == 8
