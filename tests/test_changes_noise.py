"""Noise: relative times, update stamps, counters and ad labels are left out of comparison; prose is not."""

from __future__ import annotations

import pytest

from crawler.changes.noise import comparable_text, is_noise, tokens


@pytest.mark.parametrize(
    "text",
    [
        "vor 5 Minuten",
        "Vor 1 Std.",
        "vor einer Stunde",
        "3 minutes ago",
        "Aktualisiert: 12.03.2025, 10:15 Uhr",
        "Zuletzt aktualisiert am 12. März 2025 um 10:15 Uhr",
        "Erstellt: 10:15 Uhr – vor 5 Min.",
        "1.234 Aufrufe · 12 Kommentare",
        "Lesezeit: 3 Min.",
        "Anzeige",
        "Gerade eben",
        "Heute, 10:15 Uhr",
    ],
)
def test_volatile_texts_are_noise(text: str) -> None:
    assert is_noise(text)
    assert comparable_text(text) == ""


@pytest.mark.parametrize(
    "text",
    [
        "Vor drei Wochen hatte die Polizei den Mann festgenommen.",
        "Aktualisiert: Die Polizei hat den Verdächtigen inzwischen freigelassen.",
        "Update: Die Polizei hat den Verdächtigen inzwischen freigelassen.",
        "Am 12.03.2025 um 10:15 Uhr fiel der Strom aus.",
        "Die Anzeige wurde am Montag erstattet.",
        "Heute ist Montag.",
    ],
)
def test_prose_is_not_noise(text: str) -> None:
    assert not is_noise(text)
    assert comparable_text(text) == " ".join(text.split())


def test_a_volatile_fragment_inside_a_text_is_left_out_whole() -> None:
    assert comparable_text("Politik (vor 5 Minuten) Berlin") == "Politik Berlin"
    assert comparable_text("Politik (vor 7 Minuten) Berlin") == comparable_text("Politik (vor 5 Minuten) Berlin")
    assert [w for w, _ in tokens("Politik · 1.234 Aufrufe")] == ["Politik"]


def test_detection_is_on_the_comparison_form() -> None:
    """Non-breaking spaces, soft hyphens and dashes do not hide a volatile fragment."""
    assert is_noise("vor\u00a05\u00a0Minu\u00adten")
    assert is_noise("Aktualisiert:\u202f12.03.2025,\u00a010:15\u00a0Uhr")


def test_empty() -> None:
    assert not is_noise(None)
    assert not is_noise("   ")
    assert comparable_text(None) == ""
