"""Small helpers every extractor shares: text cleanup, JSON-LD, dates, publisher ids."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from parsel import Selector

_IPPEN_ID = re.compile(r"-(\d{5,})\.html?$")


def clean(text: str | None) -> str | None:
    """NFC, whitespace collapsed; None for empty."""
    if text is None:
        return None
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return text or None


def text_of(sel: Selector | None) -> str | None:
    """The element's text as a reader sees it: inline markup joined without extra spaces."""
    return clean(sel.xpath("string()").get()) if sel is not None else None


def publisher_id(url: str) -> str | None:
    """IPPEN.MEDIA article ids: the digits before `.html` (`...-91234567.html`)."""
    match = _IPPEN_ID.search(url.split("?", 1)[0].split("#", 1)[0])
    return match.group(1) if match else None


def jsonld_objects(sel: Selector) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object of the page, nested `mainEntity` and `@graph` entries included."""
    for raw in sel.xpath('//script[@type="application/ld+json"]/text()').getall():
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            obj = stack.pop(0)
            if not isinstance(obj, dict):
                continue
            yield obj
            for key in ("mainEntity", "@graph"):
                nested = obj.get(key)
                stack.extend(nested if isinstance(nested, list) else [nested] if nested else [])


def news_article(sel: Selector) -> dict[str, Any]:
    for obj in jsonld_objects(sel):
        kind = obj.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if any(k in ("NewsArticle", "Article", "ReportageNewsArticle") for k in kinds):
            return obj
    return {}


def parse_datetime(value: str | None) -> datetime | None:
    """ISO-8601 with an offset (`+0200` or `+02:00`) to UTC; naive or unreadable values give None."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)
