"""Article normalization: clean text kept for readers, a comparison form for fingerprints and diffs.

Stored text stays as the publisher wrote it (only NFC, collapsed whitespace, and no control characters, escape
sequences or bidi overrides: `crawler.model.terminal.strip_controls`); `comparable()` is what
"the same text" means when deciding whether an article changed: typography (quotes, dashes, non-breaking
and thin spaces, soft hyphens, ellipses) is not an edit.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from crawler.model.bylines import join_agencies, persons_and_organisations, split_agencies, split_authors
from crawler.model.canonical import canonical_url
from crawler.model.terminal import strip_controls

_TYPOGRAPHY: tuple[tuple[str, str], ...] = tuple(
    {
        "\u00a0": " ",  # no-break space
        "\u2009": " ",  # thin space
        "\u202f": " ",  # narrow no-break space
        "\u2007": " ",
        "\u200b": "",  # zero-width space
        "\u00ad": "",  # soft hyphen
        "\u2060": "",  # word joiner
        "\u201e": '"',  # „
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u00ab": '"',  # «
        "\u00bb": '"',  # »
        "\u201a": "'",  # ‚
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u2039": "'",
        "\u203a": "'",
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2012": "-",
        "\u2212": "-",  # minus
        "\u2010": "-",
        "\u2011": "-",
        "\u2026": "...",  # ellipsis
    }.items()
)
"""Pairs, not a `str.maketrans` table: `str.translate` with a dict looks every character up in Python and took
~46 µs per paragraph, a tenth of newsmon's CPU per page (bench/distributed.py); a `replace` per character
present takes ~5 µs."""
_PRINTABLE_TYPOGRAPHY = tuple((char, plain) for char, plain in _TYPOGRAPHY if char.isprintable())
"""The pairs printable text can hold (quotes, dashes, the ellipsis); the rest are spaces, joiners, soft hyphens."""

FURNITURE = re.compile(
    r"(?:ist ein Angebot von IPPEN\.MEDIA|Das könnte Sie auch interessieren|Unsere News per Mail|"
    r"Nach der Registrierung erhalten Sie eine E-Mail|Newsletter abonnieren|Mehr zum Thema:?$|"
    r"^Lesen Sie auch:|^Auch interessant:|^Weitere Artikel:)",
    re.I,
)
"""Blocks that are page furniture when an extractor let them through; removed, never counted as edits."""

_FURNITURE_PHRASES = (
    "ist ein angebot von ippen.media",
    "das könnte sie auch interessieren",
    "unsere news per mail",
    "nach der registrierung erhalten sie eine e-mail",
    "newsletter abonnieren",
)
"""What the unanchored alternatives of FURNITURE need, lower-cased (tests/test_pipelines.py checks they agree)."""
_FURNITURE_STARTS = ("lesen sie auch:", "auch interessant:", "weitere artikel:")
"""The alternatives anchored at the start (`^`: the text's start, without MULTILINE)."""
_FURNITURE_ENDS = ("mehr zum thema", "mehr zum thema:", "mehr zum thema\n", "mehr zum thema:\n")
"""The one anchored at the end (`$`: the end, or before a newline there)."""
_CASE_EXCEPTIONS = ("ı", "ſ", "İ")
"""Characters that `re.IGNORECASE` matches to an ASCII letter but `str.lower()` does not turn into it."""


def is_furniture(text: str) -> bool:
    """`FURNITURE.search(text)`, without the regex for text that holds none of its phrases.

    The case-insensitive alternation tries every alternative at every position (~40 µs per paragraph, about
    0.6 ms per article); a lower-cased substring test answers the common "no" in a few µs (the anchored phrases
    only where their anchor is). Text with one of the few characters the two notions of case disagree on goes to
    the regex, so the answer is always the regex's.
    """
    lowered = text.lower()
    if (
        not any(c in text for c in _CASE_EXCEPTIONS)
        and not lowered.startswith(_FURNITURE_STARTS)
        and not lowered.endswith(_FURNITURE_ENDS)
        and not any(p in lowered for p in _FURNITURE_PHRASES)
    ):
        return False
    return FURNITURE.search(text) is not None


def clean_text(text: str | None) -> str | None:
    """The stored form: NFC, no controls or bidi overrides, whitespace collapsed, None for empty. Typography is
    kept."""
    if text is None:
        return None
    text = unicodedata.normalize("NFC", str(text))
    if text.isprintable():  # the common case: nothing to strip and no whitespace but " " (see `_collapsed`)
        return _collapsed(text) or None
    text = " ".join(strip_controls(text).replace("\u00a0", " ").split())
    return text or None


def comparable(text: str | None) -> str:
    """The comparison form: the stored form with typography normalized and soft hyphens removed (and controls,
    so that text stored before they were removed compares equal to the same text fetched now)."""
    text = unicodedata.normalize("NFC", text or "")
    if not text.isprintable():
        text = strip_controls(text)
        for char, plain in _TYPOGRAPHY:
            if char in text:
                text = text.replace(char, plain)
        return " ".join(text.split())
    # Printable: no controls, none of the unprintable typography (spaces, soft hyphen, joiners), and the printable
    # typography becomes ASCII punctuation, so whitespace is only " " before and after (see `_collapsed`).
    if not text.isascii():
        for char, plain in _PRINTABLE_TYPOGRAPHY:
            if char in text:
                text = text.replace(char, plain)
    return _collapsed(text)


def _collapsed(text: str) -> str:
    """`" ".join(text.split())` for printable text, without the split and join when it would change nothing.

    Every whitespace character but the ASCII space is unprintable (Unicode separators and controls: see
    tests/test_pipelines.py), so in printable text only runs of spaces and spaces at either end can change. Text
    is cleaned and compared several times per article on the reactor thread (clean, word count, content hash)."""
    if "  " in text or text[:1] == " " or text[-1:] == " ":
        return " ".join(text.split())
    return text


def to_utc(value: Any) -> datetime | None:
    """Aware datetimes to UTC; naive ones are refused (None): a time without zone is not a time."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return None


def clean_authors(names: list[str] | None, agency: str | None) -> tuple[list[str], str | None]:
    """Split bylines into people; agencies and organisations found among them join `agency` (the extractors'
    rules, `crawler.model.bylines.persons_and_organisations`)."""
    people, organisations = persons_and_organisations(split_authors(names or []))
    return people, join_agencies([*split_agencies(agency), *organisations])


def clean_blocks(blocks: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out = []
    for block in blocks or []:
        text = clean_text(block.get("text"))
        if not text or is_furniture(text):
            continue
        out.append({**block, "text": text})
    return out


def normalize_article(doc: dict[str, Any]) -> dict[str, Any]:
    """A normalized copy of an article document (`ArticleItem.to_dict()` form). Pure.

    URLs canonical, text NFC with collapsed whitespace (typography kept: `comparable()` is for comparing),
    bylines split into people and agency, times in UTC, empty blocks and furniture gone, word count recounted.
    """
    out = dict(doc)
    out["url"] = canonical_url(doc["url"])
    if doc.get("fetched_url"):
        out["fetched_url"] = canonical_url(doc["fetched_url"])
    for field in ("headline", "kicker", "lead", "dateline", "section", "language"):
        out[field] = clean_text(doc.get(field))
    out["headline_variants"] = {
        k: v for k, v in ((k, clean_text(v)) for k, v in (doc.get("headline_variants") or {}).items()) if v
    }
    out["body"] = clean_blocks(doc.get("body"))
    out["authors"], out["agency"] = clean_authors(doc.get("authors"), clean_text(doc.get("agency")))
    out["tags"] = list(dict.fromkeys(t for t in (clean_text(t) for t in doc.get("tags") or []) if t))
    out["breadcrumb"] = [b for b in (clean_text(b) for b in doc.get("breadcrumb") or []) if b]
    out["images"] = [
        {k: clean_text(v) if isinstance(v, str) and k != "url" else v for k, v in image.items()}
        for image in doc.get("images") or []
        if image.get("url")
    ]
    for field in ("published", "modified", "fetched_at"):
        out[field] = to_utc(doc.get(field))
    out["word_count"] = sum(b["text"].count(" ") + 1 for b in out["body"])  # cleaned: words apart by one space
    return out
