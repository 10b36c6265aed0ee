"""The latest runs' health in a few lines: for `newsmon summary` (and any reader of `crawl_runs.health`)."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from crawler.runtime.health.coverage import FIELDS
from crawler.store import schema


def health_lines(db: Database, *, site: str | None = None, limit: int = 5) -> list[str]:
    """One line per recent run with health figures (status, coverage per field, errors, pages/min), then its alerts."""
    where: dict[str, Any] = {"health.metrics": {"$exists": True}}
    if site:
        where["site"] = site
    lines = []
    for run in (
        db[schema.CRAWL_RUNS].find(where, {"started_at": 1, "site": 1, "health": 1}).sort("started_at", -1).limit(limit)
    ):
        health, m = run["health"], run["health"]["metrics"]
        started = run.get("started_at")
        coverage = " ".join(f"{f} {m['coverage'].get(f, 0):.0%}" for f in FIELDS) if m.get("coverage") else "-"
        lines.append(
            f"  {started:%Y-%m-%d %H:%M}  {run.get('site')}  {health.get('status', '?').upper()}  "
            f"{m['articles']} articles ({coverage}), errors {m['http']['error_rate']:.0%}, "
            f"rejects {m['reject_rate']:.0%}, {m['pages_per_minute']:.0f} pages/min"
            if started
            else f"  ?  {run.get('site')}  {health.get('status', '?').upper()}"
        )
        if m.get("extractors"):
            lines.append("      read by " + ", ".join(f"{e['extractor']} {e['share']:.0%}" for e in m["extractors"]))
        lines.extend(
            f"      ! {alert.get('message')}" + (" (ongoing: alerted when it started)" if alert.get("ongoing") else "")
            for alert in health.get("alerts") or []
        )
    return lines


def discovery_lines(db: Database, *, site: str | None = None) -> list[str]:
    """The configured section pages, feeds and sitemaps that answered 404/410 in each site's latest run."""
    where: dict[str, Any] = {"health.metrics": {"$exists": True}}
    if site:
        where["site"] = site
    latest: dict[str, Any] = {}
    runs = db[schema.CRAWL_RUNS].find(where, {"site": 1, "health.discovery": 1}).sort("started_at", -1).limit(200)
    for run in runs:
        latest.setdefault(run.get("site"), run)
    lines = []
    for key, run in sorted(latest.items(), key=lambda kv: str(kv[0])):
        for found in ((run.get("health") or {}).get("discovery") or {}).get("missing") or []:
            since = found.get("since")
            when = f"{since:%Y-%m-%d %H:%M}" if since else "?"
            lines.append(f"  {key}  {found.get('status')}  {found.get('url')}  since {when}")
    return lines
