"""Word-level diffs of article text: ops for storage and side-by-side rendering, and a one-line compact form.

Words are whitespace-separated tokens with their punctuation attached ("Baerbock," is one word), so a diff
reads like the text and a comma fix is a one-word change. Tokens are *matched* on their comparison form
(`crawler.model.normalize.comparable`), so typography never shows up as a change, but the ops carry the original
words as the publisher wrote them.

An op is `{"op": "equal" | "insert" | "delete" | "replace", "old": str, "new": str}`; `old` is empty for an
insert, `new` for a delete, and both are set for `equal` (they can differ in typography only). Joining the
`old` parts with spaces gives the old text, the `new` parts the new text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

from crawler.model.normalize import comparable

_EDGE_PUNCTUATION = re.compile(r"^\W+|\W+$")
Token = tuple[str, str]
"""A word as written and its comparison key."""
Op = dict[str, str]


def tokenize(text: str | None) -> list[Token]:
    """Words of `text` with their keys; words that are only typography (a lone soft hyphen) are dropped."""
    out: list[Token] = []
    for word in (text or "").split():
        key = comparable(word)
        if key:
            out.append((word, key))
    return out


def word_diff(old: str | Sequence[Token] | None, new: str | Sequence[Token] | None) -> list[Op]:
    """The ops turning `old` into `new` (texts, or token lists from `tokenize` / `crawler.changes.noise.tokens`).

    Single-word equal runs between two changes are folded into one replace ("[-Der Kanzler sagte-]{+Die
    Ministerin erklärte+}" rather than a patchwork), which keeps rewordings readable.
    """
    a = tokenize(old) if old is None or isinstance(old, str) else list(old)
    b = tokenize(new) if new is None or isinstance(new, str) else list(new)
    matcher = SequenceMatcher(None, [k for _, k in a], [k for _, k in b], autojunk=False)
    spans = [(tag, a[i1:i2], b[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes()]
    return [_op(tag, olds, news) for tag, olds, news in _fold_short_equals(spans)]


def list_diff(
    old: Sequence[str], new: Sequence[str], keys: tuple[Sequence[str], Sequence[str]] | None = None
) -> list[Op]:
    """Ops over list items (tags, authors, images rendered as text): each item is one unit, items joined by ", ".

    `keys` (old keys, new keys) match items on something other than their text (an image on its URL).
    """
    old_keys, new_keys = keys or ([comparable(x) for x in old], [comparable(x) for x in new])
    matcher = SequenceMatcher(None, list(old_keys), list(new_keys), autojunk=False)
    return [
        {"op": tag, "old": ", ".join(old[i1:i2]), "new": ", ".join(new[j1:j2])}
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    ]


def value_diff(old: object, new: object) -> list[Op]:
    """A single replace for values that are not text (dates, flags); None renders as empty."""
    return [{"op": "replace", "old": "" if old is None else str(old), "new": "" if new is None else str(new)}]


def _fold_short_equals(spans: list[tuple[str, list[Token], list[Token]]]) -> list[tuple[str, list[Token], list[Token]]]:
    out: list[tuple[str, list[Token], list[Token]]] = []
    i = 0
    while i < len(spans):
        tag, olds, news = spans[i]
        if (
            tag == "equal"
            and len(olds) == 1
            and out
            and out[-1][0] != "equal"
            and i + 1 < len(spans)
            and spans[i + 1][0] != "equal"
        ):
            _, prev_old, prev_new = out.pop()
            _, next_old, next_new = spans[i + 1]
            out.append(("replace", prev_old + olds + next_old, prev_new + news + next_new))
            i += 2
            continue
        if tag != "equal" and out and out[-1][0] != "equal":  # after a fold, neighbouring changes merge
            _, prev_old, prev_new = out.pop()
            olds, news = prev_old + olds, prev_new + news
            tag = "replace" if olds and news else ("delete" if olds else "insert")
        out.append((tag, olds, news))
        i += 1
    return out


def _op(tag: str, olds: list[Token], news: list[Token]) -> Op:
    old, new = " ".join(w for w, _ in olds), " ".join(w for w, _ in news)
    if tag == "replace" and not old:
        tag = "insert"
    elif tag == "replace" and not new:
        tag = "delete"
    return {"op": tag, "old": old, "new": new}


def op_words(op: Op) -> tuple[int, int]:
    """(removed, added) words of an op, a word on both sides with only its punctuation changed not counted.

    "[-ab.-]{+ab, sagte er.+}" adds 2 words and removes none; the folded "am" of "[-Barbock am-]{+Baerbock am+}"
    is no change either.
    """
    if op["op"] == "equal":
        return 0, 0
    old, new = Counter(map(_bare, op["old"].split())), Counter(map(_bare, op["new"].split()))
    return (old - new).total(), (new - old).total()


def changed_words(ops: Iterable[Op]) -> int:
    """Words changed: per changed op the larger of its removed and added words, at least 1 (a comma fix)."""
    return sum(max(1, *op_words(op)) for op in ops if op["op"] != "equal")


def _bare(word: str) -> str:
    key = comparable(word)
    return _EDGE_PUNCTUATION.sub("", key) or key


def compact(ops: Iterable[Op], context: int | None = None) -> str:
    """One line in git's word-diff notation: `Treffen mit [-Barbock-]{+Baerbock+} am Donnerstag`.

    `context`: keep at most that many words of unchanged text on each side of a change (elided with "…").
    """
    ops = list(ops)
    parts: list[str] = []
    for index, op in enumerate(ops):
        if op["op"] == "equal":
            parts.append(_elide(op["new"], context, first=index == 0, last=index == len(ops) - 1))
        else:
            parts.append((f"[-{op['old']}-]" if op["old"] else "") + (f"{{+{op['new']}+}}" if op["new"] else ""))
    return " ".join(p for p in parts if p)


def _elide(text: str, context: int | None, first: bool, last: bool) -> str:
    words = text.split()
    if context is None:
        return text
    head = [] if first else words[:context]
    tail = [] if last else words[-context:] if context else []
    if len(head) + len(tail) >= len(words):
        return text
    return " ".join([*head, "…", *tail])
