"""Which fields an extracted article has: the share per field is the first thing to fall when a template changes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

FIELDS = ("kicker", "headline", "lead", "authors", "date", "body", "images")


def present(article: Mapping[str, Any], name: str) -> bool:
    """True when the article has a non-empty value for `name` (`date`: published or modified)."""
    if name == "date":
        return bool(article.get("published") or article.get("modified"))
    if name == "body":
        return any(str(_text(block)).strip() for block in article.get("body") or ())
    value = article.get(name)
    return bool(value.strip()) if isinstance(value, str) else bool(value)


def _text(block: Any) -> Any:
    return block.get("text", "") if isinstance(block, Mapping) else getattr(block, "text", "")


class Coverage:
    """Counts articles and, per field, the articles that have it."""

    def __init__(self) -> None:
        self.articles = 0
        self.counts: Counter[str] = Counter()
        self.extractors: Counter[str] = Counter()

    def observe(self, article: Mapping[str, Any]) -> None:
        self.articles += 1
        self.counts.update(name for name in FIELDS if present(article, name))
        self.extractors[str(article.get("extractor") or "unknown")] += 1

    def shares(self) -> dict[str, float]:
        """Field -> share of articles that have it (empty when no article was seen)."""
        if not self.articles:
            return {}
        return {name: round(self.counts[name] / self.articles, 4) for name in FIELDS}

    def extractor_shares(self) -> list[dict[str, Any]]:
        """Which extractor read the run's articles (`ippen/2023`, `generic/2`, ...), most first, with the share:
        a publisher's markup change shows as its profile's share falling and the generic extractor's rising."""
        return [
            {"extractor": name, "count": n, "share": round(n / self.articles, 4)}
            for name, n in self.extractors.most_common()
        ]
