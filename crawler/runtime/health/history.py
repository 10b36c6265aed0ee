"""The site's recent runs as health compares them: read from `crawl_runs` through the store's connection."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from crawler.store import schema


def recent_runs(db: Database, site: str, *, exclude: str, limit: int = 10) -> list[dict[str, Any]]:
    """The site's last `limit` runs that recorded health figures, newest first (this run excluded)."""
    cursor = (
        db[schema.CRAWL_RUNS]
        .find(
            {"site": site, "health.metrics": {"$exists": True}, "_id": {"$ne": exclude}},
            {
                "started_at": 1,
                "finished_at": 1,
                "status": 1,
                "health.metrics": 1,
                "health.alerts": 1,
                "health.discovery": 1,
            },
        )
        .sort("started_at", -1)
        .limit(limit)
    )
    return list(cursor)
