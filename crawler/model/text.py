"""Text as newsmon stores it: cleaned (NFC, whitespace collapsed), counted, and the page's hash."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable


def clean(text: str | None) -> str | None:
    """NFC, whitespace collapsed (non-breaking and zero-width spaces included); None for empty."""
    if text is None:
        return None
    text = " ".join(unicodedata.normalize("NFC", text.replace("\u200b", "").replace("\xad", "")).split())
    return text or None


def html_hash(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8", "replace")).hexdigest()


def word_count(texts: Iterable[str]) -> int:
    return sum(len(re.findall(r"\w+", t)) for t in texts)
