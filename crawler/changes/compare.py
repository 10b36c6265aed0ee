"""Field-by-field comparison of two normalized versions of an article: the edits, each as a `FieldChange`.

Text is compared word by word on its comparison form with volatile fragments left out
(`crawler.changes.noise.tokens`), so typography, whitespace and "vor 5 Minuten" are never changes.

Choices made for consumers of the change feed:
- Each headline variant is its own field (`headline_variants.og_title`), but variants that changed exactly as
  the headline did (same old and same new text) are folded into the headline's change and named in its `also`
  (one edit of the headline gives one change, not six); variants that changed alike among themselves are
  folded into the first of them the same way.
- The body gives one change per *edited passage*: blocks are aligned (a block matches the old block it is most
  like), and each run of changed blocks is one `FieldChange` with field `body`, the old and new text of just
  those blocks (joined by a blank line), their word diff, its own edit class and `location` (block indexes
  old and new). A typo fixed in a crosshead and a correction notice appended are two changes, classed
  `typo_fix` and `correction_notice`, instead of one "body changed" holding the whole text.
- Lists: authors and tags compare as sets (order is not an edit), breadcrumb and images in order; an image is
  its URL without tracking parameters, caption, credit and alt.
- `modified` and `published` moving are changes of class `metadata` with significance 0; `editorial` is False
  for every metadata change, so a consumer drops them with one test.
- Block kinds are not compared: a paragraph becoming a crosshead with the same words is no edit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from difflib import SequenceMatcher
from typing import Any

from crawler.changes.classify import EditClass, classify, significance
from crawler.changes.diff import Op, Token, changed_words, compact, list_diff, value_diff, word_diff
from crawler.changes.noise import comparable_text, tokens
from crawler.model.canonical import canonical_url
from crawler.model.normalize import comparable

BLOCK_MATCH = 0.5
"""Two blocks are the same block, edited, when at least this share of their words match (difflib ratio)."""
TEXT_FIELDS = ("lead", "agency", "dateline", "section")
"""Scalar text fields besides the headline group; the lead is compared before the body, the rest after authors."""


@dataclass(frozen=True)
class FieldChange:
    """One edit of one field (or one passage of the body)."""

    field: str
    """`kicker`, `headline`, `headline_variants.<kind>`, `lead`, `body`, `authors`, `modified`, ..."""
    old: Any
    """The old value as stored (original text; for body the changed blocks' text joined by a blank line)."""
    new: Any
    diff: list[Op]
    """Word-level ops (`crawler.changes.diff`); item-level for lists, one replace for dates and flags."""
    edit_class: EditClass
    location: dict[str, list[Any]] | None = None
    """Body only: `old_blocks` / `new_blocks` (indexes into the body lists) and their `old_kinds` / `new_kinds`."""
    flip: str | None = None
    """`appeared` or `went_empty` when the whole field went from empty to present or back (drift looks at these)."""
    also: tuple[str, ...] = field(default=())
    """Other fields that changed identically and were folded into this change (headline variants)."""

    @property
    def significance(self) -> int:
        return significance(self)

    @property
    def editorial(self) -> bool:
        """False for metadata (dates, tags, section, images, paywall): not an edit of what the article says."""
        return self.edit_class is not EditClass.METADATA

    @property
    def compact(self) -> str:
        return compact(self.diff)

    def to_doc(self) -> dict[str, Any]:
        """The stored form (plain types; datetimes stay datetimes for BSON). Always the same keys."""
        return {
            "field": self.field,
            "old": _plain(self.old),
            "new": _plain(self.new),
            "diff": [dict(op) for op in self.diff],
            "edit_class": self.edit_class.value,
            "significance": self.significance,
            "editorial": self.editorial,
            "flip": self.flip,
            "also": list(self.also),
            "location": self.location,
        }


def compare_versions(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    """The edits from `old` to `new` (normalized article documents), in field order; [] when nothing changed."""
    changes = _headline_group(old, new)
    changes += _optional(compare_text("lead", old.get("lead"), new.get("lead")))
    changes += compare_body(old.get("body"), new.get("body"))
    changes += _optional(_compare_set("authors", old.get("authors"), new.get("authors")))
    for name in TEXT_FIELDS[1:]:
        changes += _optional(compare_text(name, old.get(name), new.get(name)))
    changes += _optional(_compare_list("breadcrumb", old.get("breadcrumb"), new.get("breadcrumb")))
    changes += _optional(_compare_set("tags", old.get("tags"), new.get("tags")))
    changes += _optional(compare_images(old.get("images"), new.get("images")))
    if bool(old.get("paywall")) != bool(new.get("paywall")):
        changes.append(_value_change("paywall", bool(old.get("paywall")), bool(new.get("paywall"))))
    for name in ("published", "modified"):
        before, after = old.get(name), new.get(name)
        if _instant(before) != _instant(after):
            changes.append(_value_change(name, before, after))
    return changes


def compare_text(name: str, old: str | None, new: str | None) -> FieldChange | None:
    """The change of one text field, or None. Also for teasers: `compare_text("teaser.headline", a, b)`."""
    before, after = tokens(old), tokens(new)
    if _keys(before) == _keys(after):
        return None
    ops = word_diff(before, after)
    return FieldChange(name, old, new, ops, classify(name, old, new, ops), flip=_flip(bool(before), bool(after)))


def compare_body(old: Sequence[Any] | None, new: Sequence[Any] | None) -> list[FieldChange]:
    """One change per run of edited blocks (see the module docstring); noise-only blocks are skipped."""
    a, b = _blocks(old), _blocks(new)
    matcher = SequenceMatcher(None, [_key(t) for *_, t in a], [_key(t) for *_, t in b], autojunk=False)
    hunks: list[tuple[list[int], list[int]]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace":
            olds, news = list(range(i1, i2)), list(range(j1, j2))
            paired = _pair_blocks(a, b, olds, news)
            # Block boundaries are not edits: a paragraph split in two or two joined (maybe beside an edit) reads
            # as one passage that changes fewer words than the pairs cut through the moved sentences.
            if len(paired) > 1 and _changed(a, b, olds, news) < sum(_changed(a, b, *hunk) for hunk in paired):
                paired = [(olds, news)]
            hunks += paired
        elif tag != "equal":
            hunks.append((list(range(i1, i2)), list(range(j1, j2))))
    flip = _flip(bool(a), bool(b))
    changes = []
    for olds, news in hunks:
        old_text = "\n\n".join(a[i][2] for i in olds) or None
        new_text = "\n\n".join(b[j][2] for j in news) or None
        ops = _hunk_diff(a, b, olds, news)
        if all(op["op"] == "equal" for op in ops):
            continue  # the same words in other blocks
        location = {
            "old_blocks": [a[i][0] for i in olds],
            "new_blocks": [b[j][0] for j in news],
            "old_kinds": [a[i][1] for i in olds],
            "new_kinds": [b[j][1] for j in news],
        }
        edit_class = classify("body", old_text, new_text, ops)
        changes.append(FieldChange("body", old_text, new_text, ops, edit_class, location=location, flip=flip))
    return changes


def compare_images(old: Sequence[Any] | None, new: Sequence[Any] | None) -> FieldChange | None:
    """Images in order, each as URL (tracking parameters off), caption, credit and alt; class `metadata`."""
    old_images, new_images = [_plain(i) for i in old or []], [_plain(i) for i in new or []]
    old_keys, new_keys = [_image_key(i) for i in old_images], [_image_key(i) for i in new_images]
    if old_keys == new_keys:
        return None
    ops = list_diff([_image_label(i) for i in old_images], [_image_label(i) for i in new_images], (old_keys, new_keys))
    flip = _flip(bool(old_keys), bool(new_keys))
    return FieldChange("images", old_images, new_images, ops, EditClass.METADATA, flip=flip)


def field_presence(doc: Mapping[str, Any]) -> dict[str, bool]:
    """Whether each comparable field holds anything (after noise): what drift detection observes per article."""
    present = {name: bool(comparable_text(doc.get(name))) for name in ("kicker", "headline", *TEXT_FIELDS)}
    for kind, text in (doc.get("headline_variants") or {}).items():
        present[f"headline_variants.{kind}"] = bool(comparable_text(text))
    present["body"] = bool(_blocks(doc.get("body")))
    for name in ("authors", "breadcrumb", "tags"):
        present[name] = bool(_texts(doc.get(name)))
    present["images"] = any(_get(image, "url") for image in doc.get("images") or [])
    for name in ("published", "modified"):
        present[name] = doc.get(name) is not None
    return present


# -- parts ---------------------------------------------------------------------------------------------------------
def _headline_group(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    """Kicker, headline and variants; identical edits folded into the headline's change, or else the first
    variant's (variants in name order)."""
    kicker = compare_text("kicker", old.get("kicker"), new.get("kicker"))
    headline = compare_text("headline", old.get("headline"), new.get("headline"))
    old_variants, new_variants = old.get("headline_variants") or {}, new.get("headline_variants") or {}
    groups: list[list[FieldChange]] = [[headline]] if headline else []
    for kind in sorted(set(old_variants) | set(new_variants)):
        change = compare_text(f"headline_variants.{kind}", old_variants.get(kind), new_variants.get(kind))
        if change is None:
            continue
        group = next((g for g in groups if _same_edit(change, g[0])), None)
        if group is None:
            groups.append([change])
        else:
            group.append(change)
    folded = [replace(g[0], also=tuple(c.field for c in g[1:])) if len(g) > 1 else g[0] for g in groups]
    return [*_optional(kicker), *folded]


def _same_edit(a: FieldChange, b: FieldChange) -> bool:
    return comparable_text(a.old) == comparable_text(b.old) and comparable_text(a.new) == comparable_text(b.new)


def _compare_set(name: str, old: Sequence[str] | None, new: Sequence[str] | None) -> FieldChange | None:
    """A list whose order is not an edit (authors, tags): compared as sets, diffed sorted for tags."""
    old_items, new_items = _texts(old), _texts(new)
    if {comparable(x) for x in old_items} == {comparable(x) for x in new_items}:
        return None
    if name == "tags":
        ops = list_diff(sorted(old_items, key=comparable), sorted(new_items, key=comparable))
    else:
        ops = list_diff(old_items, new_items)
    edit_class = classify(name, ", ".join(old_items), ", ".join(new_items), ops)
    return FieldChange(name, old_items, new_items, ops, edit_class, flip=_flip(bool(old_items), bool(new_items)))


def _compare_list(name: str, old: Sequence[str] | None, new: Sequence[str] | None) -> FieldChange | None:
    old_items, new_items = _texts(old), _texts(new)
    if [comparable(x) for x in old_items] == [comparable(x) for x in new_items]:
        return None
    ops = list_diff(old_items, new_items)
    edit_class = classify(name, ", ".join(old_items), ", ".join(new_items), ops)
    return FieldChange(name, old_items, new_items, ops, edit_class, flip=_flip(bool(old_items), bool(new_items)))


def _value_change(name: str, old: Any, new: Any) -> FieldChange:
    render = [v.isoformat() if isinstance(v, datetime) else v for v in (old, new)]
    flip = _flip(old is not None, new is not None) if name != "paywall" else None
    return FieldChange(name, old, new, value_diff(*render), EditClass.METADATA, flip=flip)


def _blocks(blocks: Sequence[Any] | None) -> list[tuple[int, str, str, list[Token]]]:
    """(index, kind, text, tokens) of the blocks that hold anything after noise."""
    out = []
    for index, block in enumerate(blocks or []):
        text = _get(block, "text") or ""
        words = tokens(text)
        if words:
            out.append((index, _get(block, "kind") or "paragraph", text, words))
    return out


def _pair_blocks(
    a: list[tuple[int, str, str, list[Token]]],
    b: list[tuple[int, str, str, list[Token]]],
    olds: list[int],
    news: list[int],
) -> list[tuple[list[int], list[int]]]:
    """Split a run of replaced blocks into edited pairs and the unmatched blocks between them, in order."""
    hunks: list[tuple[list[int], list[int]]] = []
    pending: list[int] = []
    j = 0
    for i in olds:
        match = next((n for n in range(j, len(news)) if _similar(a[i][3], b[news[n]][3])), None)
        if match is None:
            pending.append(i)
            continue
        if pending or match > j:
            hunks.append((pending, news[j:match]))
        hunks.append(([i], [news[match]]))
        pending, j = [], match + 1
    if pending or j < len(news):
        hunks.append((pending, news[j:]))
    return hunks


def _hunk_diff(
    a: list[tuple[int, str, str, list[Token]]],
    b: list[tuple[int, str, str, list[Token]]],
    olds: list[int],
    news: list[int],
) -> list[Op]:
    return word_diff([t for i in olds for t in a[i][3]], [t for j in news for t in b[j][3]])


def _changed(
    a: list[tuple[int, str, str, list[Token]]],
    b: list[tuple[int, str, str, list[Token]]],
    olds: list[int],
    news: list[int],
) -> int:
    return changed_words(_hunk_diff(a, b, olds, news))


def _similar(a: list[Token], b: list[Token]) -> bool:
    matcher = SequenceMatcher(None, _keys(a), _keys(b), autojunk=False)
    return (
        matcher.real_quick_ratio() >= BLOCK_MATCH
        and matcher.quick_ratio() >= BLOCK_MATCH
        and matcher.ratio() >= BLOCK_MATCH
    )


def _image_key(image: Mapping[str, Any]) -> str:
    url = image.get("url") or ""
    with contextlib.suppress(ValueError):  # an unparsable URL is compared as written
        url = canonical_url(url) if url else ""
    parts = (
        url,
        comparable_text(image.get("caption")),
        comparable(image.get("credit")),
        comparable_text(image.get("alt")),
    )
    return "\x1f".join(parts)


def _image_label(image: Mapping[str, Any]) -> str:
    label = image.get("caption") or image.get("alt") or (image.get("url") or "").rsplit("/", 1)[-1]
    return f"{label} ({image['credit']})" if image.get("credit") else label


def _texts(items: Iterable[str] | None) -> list[str]:
    return [x for x in (items or []) if isinstance(x, str) and comparable(x)]


def _keys(words: list[Token]) -> list[str]:
    return [key for _, key in words]


def _flip(before: bool, after: bool) -> str | None:
    if before == after:
        return None
    return "appeared" if after else "went_empty"


def _instant(value: Any) -> Any:
    """A datetime as BSON keeps it: naive read as UTC (pymongo without tz_aware), milliseconds only."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def _plain(value: Any) -> Any:
    """Dataclass blocks and images as dicts, so stored documents hold plain types only."""
    if isinstance(value, Mapping):
        return dict(value)
    if hasattr(value, "__dataclass_fields__"):
        return {name: getattr(value, name) for name in value.__dataclass_fields__}
    return value


def _optional(change: FieldChange | None) -> list[FieldChange]:
    return [change] if change is not None else []


def _key(words: list[Token]) -> str:
    return " ".join(key for _, key in words)
