"""A stored word diff (`changes.diff` ops) as two escaped HTML columns: the old text and the new text.

Each op carries both spellings (docs/changes.md#diff-format), so the old side is the `old` parts with removed
words marked, the new side the `new` parts with added words marked; unchanged words appear on both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from crawler.consumers.web.html import esc


def side_by_side(ops: Iterable[Mapping[str, Any]]) -> tuple[str, str]:
    old: list[str] = []
    new: list[str] = []
    for op in ops:
        kind, before, after = op.get("op"), op.get("old") or "", op.get("new") or ""
        if kind == "equal":
            old.append(esc(before))
            new.append(esc(after))
            continue
        if before:
            old.append(f"<del>{esc(before)}</del>")
        if after:
            new.append(f"<ins>{esc(after)}</ins>")
    return " ".join(old), " ".join(new)


def diff_block(ops: Iterable[Mapping[str, Any]]) -> str:
    old, new = side_by_side(ops)
    empty = '<span class="empty">(empty)</span>'
    return f'<div class="diff"><div class="old">{old or empty}</div><div class="new">{new or empty}</div></div>'
