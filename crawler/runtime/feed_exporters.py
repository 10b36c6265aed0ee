"""Feed exports (`-O items.jsonl`, `newsmon crawl -O`) that say what each item is.

A crawl yields articles, teasers and rejects into one feed; without a field naming the type a consumer has to guess
from the fields present. Each exported item starts with `item_type`: `article`, `teaser` or `reject` (the item
class's name without `Item`, lower case). Only the feed carries it; the items and the store are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scrapy.exporters import JsonItemExporter, JsonLinesItemExporter

TYPE_FIELD = "item_type"


def item_type(item: Any) -> str:
    return type(item).__name__.removesuffix("Item").lower()


class _Typed:
    def get_serialized_fields(self, item: Any, **kwargs: Any) -> Iterable[tuple[str, Any]]:
        yield TYPE_FIELD, item_type(item)
        yield from super().get_serialized_fields(item, **kwargs)  # type: ignore[misc]


class TypedJsonLinesItemExporter(_Typed, JsonLinesItemExporter):
    pass


class TypedJsonItemExporter(_Typed, JsonItemExporter):
    pass
