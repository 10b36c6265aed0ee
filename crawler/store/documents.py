"""How items and run facts become the documents the savers write, beside the savers the one place that knows a
collection's shape (docs/schema.md). Called by the store's front door (`crawler.store.facade.Store`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from crawler.model.items import ArticleItem, RejectItem
from crawler.model.teasers import TeaserRecord

if TYPE_CHECKING:
    from crawler.store.writer import WriterStats

KINDS: dict[type, str] = {ArticleItem: "article", RejectItem: "reject"}
"""Items the store pipeline hands over, by the saver that writes them."""


def item_doc(item: ArticleItem | RejectItem, run_id: str) -> tuple[str, dict[str, Any]]:
    """An article or reject as its saver takes it, tagged with the run."""
    kind = KINDS.get(type(item))
    if kind is None:
        raise TypeError(f"the store cannot store {type(item).__name__}")
    doc = item.to_dict()  # dataclasses.asdict: the same dict as ItemAdapter's, a fifth of its CPU
    doc["run_id"] = run_id
    return kind, doc


def teaser_doc(record: TeaserRecord, flush_id: str, run_id: str | None, new_run: bool = True) -> dict[str, Any]:
    """A run's teaser record as the teaser saver merges it; `flush_id` makes a replayed write a no-op, `new_run`
    counts the run once per article when the pipeline flushed early."""
    return {
        "article_id": record.article_id,
        "site": record.site,
        "url": record.url,
        **{k: v for k, v in record.latest.items() if k != "url"},
        "urls": sorted(record.urls),
        "first_seen": record.first_seen,
        "last_seen": record.last_seen,
        "observations": record.observations,
        "placements": record.placements,
        "variants": record.variants,
        "flush_id": flush_id,
        "run_id": run_id,
        "new_run": new_run,
    }


@dataclass(frozen=True)
class NotModified:
    """A stored article that answered `304 Not Modified` to a re-fetch: checked, nothing else happened."""

    article_id: str
    url: str
    site: str
    checked_at: datetime
    next_visit: datetime | None
    etag: str | None
    last_modified: str | None
    hinted_modified: datetime | None


def revisit_doc(check: NotModified) -> dict[str, Any]:
    """A 304 as the revisit saver takes it."""
    return {
        "article_id": check.article_id,
        "url": check.url,
        "site": check.site,
        "last_fetched": check.checked_at,
        "next_visit": check.next_visit,
        "etag": check.etag,
        "last_modified": check.last_modified,
        "hinted_modified": check.hinted_modified,
    }


def run_end_doc(
    run_id: str, facts: dict[str, Any], writer: WriterStats, changes: int, suppressed: int
) -> dict[str, Any]:
    """A run's end: the crawl's facts (status, stop reason, its counts, ...) and what the store did in the run."""
    counts = dict(facts.get("counts") or {})
    counts.update(
        {
            "stored": dict(writer.written),
            "new_articles": writer.counts.get("new_articles", 0),
            "new_versions": writer.counts.get("new_versions", 0),
            "unchanged": writer.counts.get("unchanged", 0),
            "changes": changes,
            "suppressed_changes": suppressed,
            "store_rejected": writer.rejected,
            "spooled": writer.spooled,
        }
    )
    return {"_id": run_id, **facts, "counts": counts, "store_errors": writer.errors[-10:]}
