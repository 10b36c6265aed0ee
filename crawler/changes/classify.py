"""Edit classes: what kind of edit a field change is, by a short ordered list of declarative rules.

The first rule that holds gives the class (`RULES`, in order):

1. `metadata`: the field is metadata (`METADATA_FIELDS`: modified, published, section, breadcrumb, tags,
   images, paywall). Not an editorial edit by itself; `modified` moving alone lands here.
2. `typo_fix`: only words were replaced (nothing added or removed), each by a word within a small
   Damerau-Levenshtein distance (`typo_budget`: 1 for words up to 5 characters, else 2), and no number,
   weekday or month changed (`fact_of`). "Barbock" → "Baerbock", "Berlin" → "Berlin,", "berlin" → "Berlin".
   This holds in every text field, headlines included: a corrected typo in a headline is a `typo_fix` on
   field `headline` (consumers who want every headline edit filter on the field, not the class).
3. `headline_change`: any other change to a headline field (`is_headline_field`: kicker, headline, each
   `headline_variants.*`, and `<prefix>.headline` / `<prefix>.kicker`, e.g. `teaser.headline`). A kicker
   appearing, going or turning into "Droht die Eskalation?" is a headline change.
4. `correction_notice`: the new text carries a correction or update notice that the old did not
   (`CORRECTION_NOTICES`: "Korrektur:", "In einer früheren Version ...", "Anmerkung der Redaktion",
   "Update:", "Aktualisiert:" followed by text, "Transparenzhinweis", ...).
5. `update`: a fact changed in place: replaced words carry other numbers (digits or words), weekdays or
   months (`fact_of`) than the words they replace: "5 Tote" → "7 Tote", "drei Tote" → "vier Tote", "am
   Dienstag" → "am Mittwoch", "vergangene Woche" → "vergangenen 2 Wochen". (Text only inserted, numbers or
   not, is an `addition`.)
6. `addition`: text was added and little or nothing removed (removed words <= 1/4 of added words).
7. `removal`: text was removed and little or nothing added (the mirror rule).
8. `rewording`: everything else.

`significance()` is the number of words changed, for alert thresholds (0 for `modified` / `published`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from crawler.changes.diff import Op, changed_words, op_words
from crawler.model.normalize import comparable


class EditClass(StrEnum):
    HEADLINE_CHANGE = "headline_change"
    TYPO_FIX = "typo_fix"
    REWORDING = "rewording"
    ADDITION = "addition"
    UPDATE = "update"
    REMOVAL = "removal"
    CORRECTION_NOTICE = "correction_notice"
    METADATA = "metadata"
    AB_FLIP = "ab_flip"
    """Not from the rules: a teaser wording returning to one seen lately, or two wordings in one run (an A/B
    test; set by `crawler.changes.detector`, not alerted unless `NEWSMON_ALERT_AB_FLIPS`)."""


METADATA_FIELDS = frozenset({"modified", "published", "section", "breadcrumb", "tags", "images", "paywall"})
"""Fields whose changes are `metadata`, never an editorial edit by themselves."""
TIMESTAMP_FIELDS = frozenset({"modified", "published"})
"""Metadata whose change counts 0 words: a date moving says nothing about how much text changed."""
HEADLINE_FIELD = re.compile(r"^(?:kicker|headline)$|^headline_variants\.|\.(?:kicker|headline)$")
"""Headline fields: kicker, headline, every headline variant, and `teaser.headline` style names."""

CORRECTION_NOTICES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"(?:^|[\s(*])Korrektur(?:hinweis)?\s?[:(-]",
        r"\bIn einer (?:früheren|vorherigen|ersten|älteren|vorigen) (?:Version|Fassung)\b",
        r"\b(?:Anmerkung|Hinweis) der Redaktion\b",
        r"\bAnm\. d\. Red\.",
        r"(?:^|[\s(*])Update\s?(?:[:(-]|,\s?\d|vom\b|um\b)",
        r"(?:^|[\s(*])(?:Aktualisiert|Aktualisierung)\s?(?:[:(-]|,\s?\d|vom\b|um\b)",
        r"\b(?:Artikel|Text|Beitrag|Meldung) wurde (?:nachträglich )?(?:aktualisiert|korrigiert|ergänzt|geändert)",
        r"\b(?:haben wir|wurde) (?:den|diesen|einen) (?:Fehler|Artikel|Text|Beitrag|Passus) (?:korrigiert|geändert)",
        r"\bhieß es (?:zunächst|fälschlicherweise|irrtümlich)",
        r"\bTransparenzhinweis\b",
        r"\bRichtigstellung\b",
        r"\bCorrection\s?:",
        r"\bAn earlier version of this\b",
    )
)
"""A correction or update notice, on the comparison form of a text."""
FACT_NAME = re.compile(
    r"^(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonnabend|Sonntag|Januar|Jänner|Februar|März|"
    r"April|Mai|Juni|Juli|August|September|Oktober|November|Dezember|gestern|heute|morgen|"
    r"null|eins|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|vierzig|fünfzig|"
    r"hundert|tausend|Dutzend|Millionen|Million|Milliarden|Milliarde)\b",
    re.IGNORECASE,
)
"""A word naming a day, a month or a number ("drei" → "vier" is an `update` like "3" → "4"); with digits, what
makes a replaced word a changed fact."""


def fact_of(word: str) -> str:
    """The fact a word carries: its digits and the day or month it names ("" for none)."""
    name = FACT_NAME.match(word)
    return "".join(c for c in word if c.isdigit()) + (name.group(0).lower() if name else "")


def is_headline_field(field: str) -> bool:
    return bool(HEADLINE_FIELD.search(field))


def typo_budget(word: str) -> int:
    """How many character edits a word may take and still count as a typo."""
    return 1 if len(word) <= 5 else 2


def damerau_levenshtein(a: str, b: str) -> int:
    """Edit distance with adjacent transpositions (optimal string alignment)."""
    if a == b:
        return 0
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


@dataclass(frozen=True)
class Facts:
    """What the rules look at: the field, its old and new text and the word diff between them."""

    field: str
    old: str
    new: str
    ops: Sequence[Op]

    @cached_property
    def removed(self) -> int:
        return sum(op_words(op)[0] for op in self.ops)

    @cached_property
    def added(self) -> int:
        return sum(op_words(op)[1] for op in self.ops)

    @cached_property
    def replaced_pairs(self) -> list[tuple[str, str]] | None:
        """Old and new word side by side when only replaces of equal length happened, else None."""
        pairs: list[tuple[str, str]] = []
        for op in self.ops:
            if op["op"] == "equal":
                continue
            olds, news = comparable(op["old"]).split(), comparable(op["new"]).split()
            if op["op"] != "replace" or len(olds) != len(news):
                return None
            pairs += [(o, n) for o, n in zip(olds, news, strict=True) if o != n]
        return pairs

    @cached_property
    def fact_changed(self) -> bool:
        for op in self.ops:
            if op["op"] == "replace":
                olds = [fact for fact in map(fact_of, comparable(op["old"]).split()) if fact]
                news = [fact for fact in map(fact_of, comparable(op["new"]).split()) if fact]
                if olds != news:
                    return True
        return False

    @cached_property
    def notice_added(self) -> bool:
        old, new = comparable(self.old), comparable(self.new)
        return any(len(p.findall(new)) > len(p.findall(old)) for p in CORRECTION_NOTICES)


def _is_typo(f: Facts) -> bool:
    pairs = f.replaced_pairs
    return bool(pairs) and all(
        damerau_levenshtein(o, n) <= typo_budget(max(o, n, key=len)) and not _fact_pair(o, n) for o, n in pairs
    )


def _fact_pair(old: str, new: str) -> bool:
    """A replaced word pair that changes a fact: other digits ("5" → "7"), another day or month ("Juni" → "Juli")."""
    old_fact, new_fact = fact_of(old), fact_of(new)
    digits = [c for c in old if c.isdigit()] != [c for c in new if c.isdigit()]
    return digits or bool(old_fact and new_fact and old_fact != new_fact)


RULES: tuple[tuple[EditClass, str, Callable[[Facts], bool]], ...] = (
    (EditClass.METADATA, "the field is metadata", lambda f: f.field.split(".")[0] in METADATA_FIELDS),
    (EditClass.TYPO_FIX, "only replaced words, each within a small edit distance, no fact changed", _is_typo),
    (EditClass.HEADLINE_CHANGE, "any other change to a headline field", lambda f: is_headline_field(f.field)),
    (EditClass.CORRECTION_NOTICE, "a correction or update notice appeared", lambda f: f.notice_added),
    (EditClass.UPDATE, "a number, weekday or month was replaced", lambda f: f.fact_changed),
    (
        EditClass.ADDITION,
        "text added, removed words <= 1/4 of added",
        lambda f: f.added > 0 and f.removed * 4 <= f.added,
    ),
    (
        EditClass.REMOVAL,
        "text removed, added words <= 1/4 of removed",
        lambda f: f.removed > 0 and f.added * 4 <= f.removed,
    ),
    (EditClass.REWORDING, "anything else", lambda f: True),
)
"""(class, rule, predicate) in order; the first predicate that holds gives the class."""


def classify(field: str, old: str | None, new: str | None, ops: Sequence[Op]) -> EditClass:
    """The edit class of a change of `field` from `old` to `new` text with word diff `ops`."""
    facts = Facts(field, old or "", new or "", ops)
    return next(cls for cls, _, holds in RULES if holds(facts))


def significance(change: Any) -> int:
    """Words changed (a `FieldChange` or its stored document); 0 for a date that moved."""
    get: Callable[[str], Any] = change.get if isinstance(change, Mapping) else lambda name: getattr(change, name)
    if get("field") in TIMESTAMP_FIELDS:
        return 0
    return changed_words(get("diff") or [])
