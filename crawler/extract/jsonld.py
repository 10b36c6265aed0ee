"""JSON-LD as pages write it: every block, the objects inside, the article object, and its values as text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from lxml.html import HtmlElement

from crawler.model.text import clean

ARTICLE_TYPES = frozenset(
    {
        "NewsArticle",
        "Article",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "AskPublicNewsArticle",
        "SatiricalArticle",
        "ScholarlyArticle",
        "TechArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "Report",
        "ClaimReview",
    }
)
"""schema.org types that describe the page's article (ClaimReview: fact-check pages)."""


_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def _load_json(raw: str) -> Any:
    raw = raw.strip()
    if raw.startswith("<!--"):
        raw = raw[4:]
    if raw.endswith("-->"):
        raw = raw[:-3]
    raw = raw.strip().rstrip(";")
    try:
        return json.loads(raw, strict=False)
    except ValueError:
        pass
    try:
        return json.loads(_TRAILING_COMMA.sub(r"\1", raw), strict=False)
    except ValueError:
        return None


def jsonld_blocks(root: HtmlElement) -> list[Any]:
    """The parsed content of every `<script type=application/ld+json>` (unreadable ones skipped).

    Not extruct's `JsonLdExtractor`: one malformed block makes it raise and lose the page's good blocks too,
    it misses `type="application/ld+json; charset=utf-8"`, and it would parse the page a second time; real
    pages have all three (checked with extruct 0.18; the fault suite's "JSON-LD broken" page relies on this).
    """
    out = []
    for script in root.iter("script"):
        kind = (script.get("type") or "").lower()
        if "ld+json" not in kind:
            continue
        data = _load_json(script.text or "")
        if data is not None:
            out.append(data)
    return out


def walk_jsonld(blocks: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object, breadth first: `@graph`, `mainEntity`, lists and any nested object."""
    queue: list[Any] = list(blocks)
    seen = 0
    while queue and seen < 5000:
        obj = queue.pop(0)
        seen += 1
        if isinstance(obj, list):
            queue.extend(obj)
        elif isinstance(obj, dict):
            yield obj
            queue.extend(v for v in obj.values() if isinstance(v, dict | list))


def types_of(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def news_article(root: Any, blocks: list[Any] | None = None) -> dict[str, Any]:
    """The JSON-LD object describing the page's article: an Article type, the one with the most article fields."""
    if blocks is None:
        if not isinstance(root, HtmlElement):
            root = root.root
        blocks = jsonld_blocks(root)
    best: dict[str, Any] = {}
    best_score = 0
    for obj in walk_jsonld(blocks):
        kinds = types_of(obj)
        if not kinds & ARTICLE_TYPES:
            continue
        score = 1 + sum(1 for k in ("headline", "datePublished", "author", "articleBody") if obj.get(k))
        if score > best_score:
            best, best_score = obj, score
    return best


def ld_text(value: Any) -> str | None:
    """A JSON-LD value as text (strings, `{"@value": ...}`, first of a list)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name")
    return clean(value) if isinstance(value, str) else None


def ld_names(value: Any) -> list[str]:
    """Names of JSON-LD persons/organizations (`author`, `creator`), strings accepted."""
    out: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            name = item.get("name")
            if isinstance(name, list):
                name = " ".join(n for n in name if isinstance(n, str))
            if not isinstance(name, str):
                given, family = item.get("givenName"), item.get("familyName")
                name = " ".join(n for n in (given, family) if isinstance(n, str))
            if isinstance(name, str) and clean(name):
                out.append(clean(name) or "")
        elif isinstance(item, str) and clean(item):
            out.append(clean(item) or "")
    return out


def ld_breadcrumb(objects: Iterable[dict[str, Any]]) -> list[str]:
    for obj in objects:
        if "BreadcrumbList" not in types_of(obj):
            continue
        items = obj.get("itemListElement")
        if not isinstance(items, list):
            continue
        named = []
        for pos, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            name = ld_text(item.get("name")) or ld_text(item.get("item"))
            order = item.get("position")
            named.append((order if isinstance(order, int) else pos, name))
        names = [n for _, n in sorted(named, key=lambda x: x[0]) if n]
        if names:
            return names
    return []
