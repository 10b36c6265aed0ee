"""A short human-readable account of what the database holds: for the demo and `newsmon summary`."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from crawler.runtime.health.report import discovery_lines, health_lines
from crawler.store import schema


def _clip(text: Any, width: int) -> str:
    text = str(text or "-")
    return text if len(text) <= width else text[: width - 1] + "…"


def summarize(db: Database, *, site: str | None = None, limit: int = 8) -> str:
    where: dict[str, Any] = {"site": site} if site else {}
    lines = [f"newsmon database '{db.name}'" + (f", site {site}" if site else "")]
    with_site = {schema.ARTICLES, schema.TEASERS, schema.REJECTS, schema.CRAWL_RUNS}
    counts = {n: db[n].count_documents(where if n in with_site else {}) for n in schema.COLLECTIONS}
    lines.append("  " + ", ".join(f"{name}: {n}" for name, n in counts.items()))

    lines.append("\nLatest articles (published, version, kicker | headline):")
    for doc in db[schema.ARTICLES].find(where).sort("published", -1).limit(limit):
        published = doc.get("published")
        when = published.strftime("%Y-%m-%d %H:%M") if published else "?"
        kicker = f"{doc['kicker']} | " if doc.get("kicker") else ""
        title = _clip(kicker + (doc.get("headline") or ""), 90)
        lines.append(f"  {when}  v{doc.get('version', '?')}  {title}")

    lines.append("\nMost teased articles (pages, placements, headline variants, headline):")
    teasers = db[schema.TEASERS].find(where).sort("observations", -1).limit(limit)
    for doc in teasers:
        variants = sum(1 for v in (doc.get("variants") or {}).values() if v.get("field") == "headline")
        lines.append(
            f"  {doc.get('observations', 0):>3} {len(doc.get('placements') or {}):>3} {variants:>3}  "
            f"{_clip(doc.get('headline'), 80)}"
        )

    differ = db[schema.TEASERS].count_documents({**where, "headline_vs_article": {"$type": "object"}})
    tested = db[schema.TEASERS].count_documents({**where, "ab_tests": {"$type": "object"}})
    lines.append(
        f"\nTeasers whose headline differs from the article's: {differ}; teasers in an A/B test: {tested}"
        " (facts about teasers, not changes)"
    )

    lines.append("\nLatest changes (seq, field, edit class, headline):")
    for change in db[schema.CHANGES].find(where).sort("seq", -1).limit(limit):
        lines.append(
            f"  #{change.get('seq')}  {change.get('field')}  [{change.get('edit_class')}]  "
            f"{_clip(change.get('headline'), 70)}"
        )

    lines.append("\nRecent runs (started, spider, status, counts):")
    for run in db[schema.CRAWL_RUNS].find({}).sort("started_at", -1).limit(5):
        c = run.get("counts", {})
        started = run.get("started_at")
        lines.append(
            f"  {started:%Y-%m-%d %H:%M:%S}  {run.get('spider')}  {run.get('status')}  "
            f"requests {c.get('requests', 0)}, articles {c.get('articles', 0)} "
            f"(new {c.get('new_articles', 0)}, new versions {c.get('new_versions', 0)}), "
            f"teasers {c.get('teasers', 0)}, changes {c.get('changes', 0)}, rejects {c.get('rejects', 0)}"
            if started
            else f"  ?  {run.get('spider')}  {run.get('status')}"
        )
    health = health_lines(db, site=site, limit=5)
    if health:
        lines.append("\nCrawl health (latest runs; ! = health alert):")
        lines.extend(health)
    missing = discovery_lines(db, site=site)
    if missing:
        lines.append("\nConfigured pages not on the site (404/410, latest run of each site; since):")
        lines.extend(missing)
    rejects = list(
        db[schema.REJECTS].aggregate([{"$group": {"_id": "$reason", "n": {"$sum": 1}}}, {"$sort": {"n": -1}}])
    )
    if rejects:
        lines.append("\nRejects by reason:")
        lines.extend(f"  {r['n']:>4}  {r['_id']}" for r in rejects)
    return "\n".join(lines)
