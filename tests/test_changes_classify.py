"""Edit classes by the declarative rules; significance counts words changed."""

from __future__ import annotations

import pytest

from crawler.changes.classify import (
    RULES,
    EditClass,
    classify,
    damerau_levenshtein,
    fact_of,
    is_headline_field,
    significance,
)
from crawler.changes.diff import word_diff


def cls(field: str, old: str | None, new: str | None) -> EditClass:
    return classify(field, old, new, word_diff(old, new))


KIEW = "Blinken reist nach Kiew."
NOTICE = EditClass.CORRECTION_NOTICE
CASES = [
    # field, old, new, class
    ("body", "Treffen mit Barbock am Donnerstag", "Treffen mit Baerbock am Donnerstag", EditClass.TYPO_FIX),
    ("lead", "trifft sich auch mit Barbock.", "trifft sich auch mit Baerbock.", EditClass.TYPO_FIX),
    ("lead", "Er traf in berlin ein", "Er traf in Berlin, ein", EditClass.TYPO_FIX),
    ("lead", "Die Reise folgt auf Bemühungen", "Die Reise folgt auf Bemüungen", EditClass.TYPO_FIX),
    ("headline", "Blinken trifft Barbock", "Blinken trifft Baerbock", EditClass.TYPO_FIX),
    ("kicker", None, "Droht die Eskalation?", EditClass.HEADLINE_CHANGE),
    ("kicker", "Ukraine-Konflikt", "Droht die Eskalation?", EditClass.HEADLINE_CHANGE),
    ("headline", "US-Außenminister trifft Baerbock", "Droht die Eskalation?", EditClass.HEADLINE_CHANGE),
    ("headline_variants.og_title", "A trifft B", "A trifft B in Berlin", EditClass.HEADLINE_CHANGE),
    ("teaser.headline", "Blinken trifft Baerbock", "Droht die Eskalation?", EditClass.HEADLINE_CHANGE),
    ("kicker", "Droht die Eskalation?", None, EditClass.HEADLINE_CHANGE),
    (
        "body",
        None,
        "Korrektur: In einer früheren Version hieß es, Blinken reise nach Paris.",
        EditClass.CORRECTION_NOTICE,
    ),
    ("body", None, "Anmerkung der Redaktion: Wir haben den Text ergänzt.", EditClass.CORRECTION_NOTICE),
    (
        "body",
        "Die Polizei ermittelt.",
        "Die Polizei ermittelt. Update: Ein Verdächtiger wurde gefasst.",
        EditClass.CORRECTION_NOTICE,
    ),
    ("body", None, "Aktualisiert, 14.30 Uhr: Ein Verdächtiger wurde gefasst.", EditClass.CORRECTION_NOTICE),
    ("body", None, "Dieser Artikel wurde nachträglich korrigiert.", EditClass.CORRECTION_NOTICE),
    ("body", "Mindestens 5 Menschen starben.", "Mindestens 7 Menschen starben.", EditClass.UPDATE),
    ("body", "Blinken reist am Dienstag nach Kiew.", "Blinken reist am Mittwoch nach Kiew.", EditClass.UPDATE),
    ("body", "Die Wahl findet im Juni statt.", "Die Wahl findet im Juli statt.", EditClass.UPDATE),
    ("body", "Die Partei erhielt 12,5 Prozent.", "Die Partei erhielt 12,8 Prozent der Stimmen.", EditClass.UPDATE),
    ("body", "Blinken reist nach Kiew.", "Blinken reist nach Kiew. Danach fliegt er nach Berlin.", EditClass.ADDITION),
    ("body", None, "Ein neuer Absatz.", EditClass.ADDITION),
    ("body", "Blinken reist nach Kiew. Danach fliegt er nach Berlin.", "Blinken reist nach Kiew.", EditClass.REMOVAL),
    ("lead", "Ein Satz.", None, EditClass.REMOVAL),
    (
        "body",
        "Der Kanzler sagte, es gebe keinen Plan.",
        "Die Ministerin erklärte, es gebe keinen Plan.",
        EditClass.REWORDING,
    ),
    ("lead", "Russland droht offen mit Krieg.", "Moskau stellt einen Angriff in Aussicht.", EditClass.REWORDING),
    ("modified", "2025-01-01", "2025-01-02", EditClass.METADATA),
    ("tags", "Ukraine", "Ukraine, Nato", EditClass.METADATA),
    ("images", "a", "b", EditClass.METADATA),
    ("authors", "Anna Müler", "Anna Müller", EditClass.TYPO_FIX),
    ("authors", "Anna Müller", "Anna Müller, Max Meier", EditClass.ADDITION),
]


@pytest.mark.parametrize(("field", "old", "new", "expected"), CASES)
def test_classes(field: str, old: str | None, new: str | None, expected: EditClass) -> None:
    assert cls(field, old, new) is expected


def test_rules_are_ordered_and_end_with_a_catch_all() -> None:
    assert RULES[0][0] is EditClass.METADATA
    assert RULES[-1][0] is EditClass.REWORDING
    # every class but ab_flip, which the teaser A/B detection names (crawler/changes/detector.py), not a text rule
    assert {rule[0] for rule in RULES} == set(EditClass) - {EditClass.AB_FLIP}


def test_headline_fields() -> None:
    for name in ("kicker", "headline", "headline_variants.share", "teaser.kicker", "teaser.headline"):
        assert is_headline_field(name)
    for name in ("lead", "body", "headlines", "subheadline_x", "authors"):
        assert not is_headline_field(name)


def test_damerau_levenshtein() -> None:
    assert damerau_levenshtein("Barbock", "Baerbock") == 1
    assert damerau_levenshtein("Baerbokc", "Baerbock") == 1
    assert damerau_levenshtein("trifft", "traf") == 3
    assert damerau_levenshtein("", "abc") == 3


def test_facts() -> None:
    assert fact_of("12,5") == "125"
    assert fact_of("Dienstag,") == "dienstag"
    assert fact_of("Dienstg") == ""


def test_significance() -> None:
    ops = word_diff("Treffen mit Barbock am Donnerstag", "Treffen mit Baerbock am Freitag")
    assert significance({"field": "body", "diff": ops}) == 2
    assert significance({"field": "modified", "diff": [{"op": "replace", "old": "a", "new": "b"}]}) == 0
    assert significance({"field": "kicker", "diff": word_diff(None, "Droht die Eskalation?")}) == 3
