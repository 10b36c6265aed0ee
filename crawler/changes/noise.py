"""What is not an edit: fragments of text that change on every fetch without anyone editing the article.

Typography and whitespace are handled by `crawler.model.normalize.comparable` (each word is matched on its comparison
form). On top of that, the rules below name *volatile* fragments: relative times ("vor 5 Minuten"), labelled
update stamps ("Aktualisiert: 12.03.2025, 10:15 Uhr"), view and comment counters, reading times, bare ad labels.
They are found on the comparison form of the text and the words they cover are left out of comparison and
diffs, so "vor 5 Minuten" → "vor 7 Minuten" is no change, and a real edit beside it shows without it.

Related-article boxes, ads and furniture are removed earlier (the extractor and `normalize.FURNITURE`);
tracking parameters of image URLs by `crawler.model.canonical.canonical_url`.

A rule only ever hides words from comparison, it never invents a change: the price of a too-broad rule is a
missed edit, never a false one. Rules are kept narrow for that reason (a labelled stamp, not any date; "vor 5
Minuten", not "vor drei Wochen", which is prose).
"""

from __future__ import annotations

import re

from crawler.changes.diff import Token, tokenize

_UNIT = r"(?:Sekunden?|Sek\.|Minuten?|Min\.|Stunden?|Std\.|Tagen?|Tag)"
_MONTH = (
    r"(?:Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember|"
    r"Jan\.|Feb\.|Mär\.|Apr\.|Jun\.|Jul\.|Aug\.|Sep\.|Sept\.|Okt\.|Nov\.|Dez\.)"
)
_DATE = rf"\d{{1,2}}\.\s?(?:\d{{1,2}}\.|{_MONTH})(?:\s?\d{{2,4}})?"
_TIME = r"\d{1,2}[:.]\d{2}(?:\s?Uhr)?"
_STAMP_LABEL = r"(?:[Zz]uletzt\s)?(?:[Aa]ktualisiert|[Ee]rstellt|[Vv]eröffentlicht|[Gg]eändert)(?:\s(?:am|um))?:?"

VOLATILE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("relative_time", re.compile(rf"(?<!\w)[Vv]or\s(?:\d+|einer|einem|ein)\s{_UNIT}(?!\w)")),
    ("relative_time", re.compile(r"(?<!\w)(?:\d+|an?|one)\s(?:seconds?|minutes?|mins?|hours?|hrs?|days?)\sago\b")),
    ("update_stamp", re.compile(rf"{_STAMP_LABEL}\s(?:{_DATE}(?:,?\s(?:um\s|-\s|\|\s)?{_TIME})?|{_TIME})")),
    ("counter", re.compile(r"(?<!\w)\d[\d.,]*\s?(?:Aufrufe|Views|mal gelesen|Mal gelesen|Kommentare|Shares)\b")),
    ("counter", re.compile(r"\bKommentare\s?\(\d+\)")),
    ("reading_time", re.compile(r"\bLesezeit:?\s?(?:ca\.\s)?\d+\s?(?:Min\.|Minuten)")),
    ("reading_time", re.compile(r"(?<!\w)\d+\s?(?:Min\.|Minuten)\sLesezeit\b")),
)
"""Fragments that change without an edit, matched anywhere in a text (on its comparison form)."""

VOLATILE_WHOLE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("relative_time", re.compile(r"(?:[Gg]erade eben|[Ss]oeben|[Jj]ust now|[Hh]eute|[Gg]estern)")),
    ("relative_time", re.compile(rf"(?:[Hh]eute|[Gg]estern),?\s(?:um\s)?{_TIME}")),
    ("ad_label", re.compile(r"(?:Anzeige|ANZEIGE|Werbung|WERBUNG|Advertisement|Sponsored)")),
)
"""Texts that are noise only when they are the whole text (a block or field), since the words are prose too."""

SEPARATOR = re.compile(r"[·•|/,:;-]+")
"""A word that only separates fragments (comparison form: dashes are already "-")."""


def volatile_spans(key_text: str) -> list[tuple[int, int, str]]:
    """(start, end, rule) of the volatile fragments in a comparison-form text."""
    spans = [(m.start(), m.end(), name) for name, pattern in VOLATILE for m in pattern.finditer(key_text)]
    spans += [(0, len(key_text), name) for name, pattern in VOLATILE_WHOLE if pattern.fullmatch(key_text)]
    return spans


def tokens(text: str | None) -> list[Token]:
    """The words of `text` that count for comparison: typography-only words and volatile fragments left out.

    A word partly covered by a volatile fragment ("(vor" in "(vor 5 Minuten)") is left out whole.
    """
    words = tokenize(text)
    if not words:
        return words
    starts: list[int] = []
    position = 0
    for _, key in words:
        starts.append(position)
        position += len(key) + 1
    spans = volatile_spans(" ".join(key for _, key in words))
    if not spans:
        return words
    dropped = {
        i
        for i, ((_, key), start) in enumerate(zip(words, starts, strict=True))
        if any(start < end and start + len(key) > begin for begin, end, _ in spans)
    }
    dropped |= {  # a separator left alone beside a dropped fragment ("1.234 Aufrufe · 12 Kommentare")
        i for i, (_, key) in enumerate(words) if SEPARATOR.fullmatch(key) and {i - 1, i + 1} & dropped
    }
    return [word for i, word in enumerate(words) if i not in dropped]


def comparable_text(text: str | None) -> str:
    """The text as comparison sees it (typography normalized, volatile fragments out): equal means no edit.

    Also the right input for content fingerprints, so a moved "vor 5 Minuten" adds no version.
    """
    return " ".join(key for _, key in tokens(text))


def is_noise(text: str | None) -> bool:
    """True for a non-empty text that is nothing but volatile fragments (a block "Aktualisiert: 10:15 Uhr")."""
    return bool(tokenize(text)) and not tokens(text)
