"""The figures behind the charts page: edits per day, share of articles edited, time to the first headline
change, teaser A/B flips, and crawl health over recent runs, for one site or all.

Changes are read once per page over a bounded window (`days`, at most `MAX_DAYS`; at most `MAX_CHANGES`
documents, projected to four fields) and counted in Python: the embedded server's aggregation has no date
operators to group by day, and the same code then runs on MongoDB unchanged.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pymongo.database import Database

from crawler.store import schema

MAX_DAYS = 365
MAX_CHANGES = 200_000
MAX_RUNS = 100
AB_FLIP = "ab_flip"
FIRST_HEADLINE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("< 1 h", 1),
    ("1-3 h", 3),
    ("3-6 h", 6),
    ("6-12 h", 12),
    ("12-24 h", 24),
    ("1-2 d", 48),
    ("2-7 d", 168),
    ("> 7 d", float("inf")),
)
COVERAGE_FIELDS = ("kicker", "headline", "lead", "authors", "date", "body", "images")


@dataclass
class RunHealth:
    run_id: str
    started_at: datetime | None
    site: str | None
    status: str | None
    articles: int | None
    coverage: dict[str, float]
    error_rate: float | None
    reject_rate: float | None


@dataclass
class SiteStats:
    site: str | None
    days: list[date]
    by_class: dict[str, list[int]]
    by_field: dict[str, list[int]]
    ab_flips: list[int]
    edited: list[tuple[str, int, int]]
    first_headline: list[int]
    first_headline_articles: int
    runs: list[RunHealth]
    changes_read: int
    truncated: bool = False


def _utc(moment: Any) -> datetime | None:
    if not isinstance(moment, datetime):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def field_family(name: str) -> str:
    """`headline_variants.og` -> `headline_variants`; teaser fields keep their prefix (`teaser.headline`)."""
    head, _, _ = name.partition(".")
    return name if head in ("teaser", "teaser_vs_article") else head


def collect(db: Database, site: str | None, days: int, runs: int, now: datetime | None = None) -> SiteStats:
    now = _utc(now) or datetime.now(UTC)
    first_day = (now - timedelta(days=days - 1)).date()
    day_list = [first_day + timedelta(days=i) for i in range(days)]
    index = {d: i for i, d in enumerate(day_list)}
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    query: dict[str, Any] = {"detected_at": {"$gte": start}}
    if site:
        query["site"] = str(site)
    by_class: dict[str, list[int]] = defaultdict(lambda: [0] * days)
    by_field: Counter[str] = Counter()
    per_field: dict[str, list[int]] = defaultdict(lambda: [0] * days)
    ab_flips = [0] * days
    first_change: dict[str, datetime] = {}
    read = 0
    projection = {"detected_at": 1, "edit_class": 1, "field": 1, "article_id": 1, "version_to": 1, "_id": 0}
    for change in db[schema.CHANGES].find(query, projection).limit(MAX_CHANGES):
        read += 1
        moment = _utc(change.get("detected_at"))
        if moment is None or moment.date() not in index:
            continue
        i = index[moment.date()]
        klass = str(change.get("edit_class") or "unknown")
        family = field_family(str(change.get("field") or "?"))
        by_class[klass][i] += 1
        per_field[family][i] += 1
        by_field[family] += 1
        if klass == AB_FLIP:
            ab_flips[i] += 1
        if klass == "headline_change" and change.get("field") == "headline" and change.get("version_to") is not None:
            article_id = str(change.get("article_id"))
            if article_id not in first_change or moment < first_change[article_id]:
                first_change[article_id] = moment
    top_fields = [name for name, _ in by_field.most_common(7)]
    fields = {name: per_field[name] for name in top_fields}
    rest = [sum(per_field[n][i] for n in per_field if n not in fields) for i in range(days)]
    if any(rest):
        fields["other fields"] = rest
    buckets, measured = _first_headline(db, first_change)
    return SiteStats(
        site=site,
        days=day_list,
        by_class=dict(by_class),
        by_field=fields,
        ab_flips=ab_flips,
        edited=_edited(db, site),
        first_headline=buckets,
        first_headline_articles=measured,
        runs=_runs(db, site, runs),
        changes_read=read,
        truncated=read >= MAX_CHANGES,
    )


def _first_headline(db: Database, first_change: dict[str, datetime]) -> tuple[list[int], int]:
    """Histogram of hours from `published` to the first headline change, for articles that have both."""
    buckets = [0] * len(FIRST_HEADLINE_BUCKETS)
    measured = 0
    ids = list(first_change)
    for offset in range(0, len(ids), 500):
        chunk = ids[offset : offset + 500]
        for article in db[schema.ARTICLES].find({"_id": {"$in": chunk}}, {"published": 1}):
            published = _utc(article.get("published"))
            if published is None:
                continue
            hours = max(0.0, (first_change[article["_id"]] - published).total_seconds() / 3600)
            measured += 1
            buckets[next(i for i, (_, upper) in enumerate(FIRST_HEADLINE_BUCKETS) if hours < upper)] += 1
    return buckets, measured


def _edited(db: Database, site: str | None) -> list[tuple[str, int, int]]:
    """(site, articles with more than one version, articles) for the site, or for each site."""
    sites = [site] if site else sorted(s for s in db[schema.ARTICLES].distinct("site") if isinstance(s, str))
    return [
        (
            name,
            db[schema.ARTICLES].count_documents({"site": name, "version": {"$gt": 1}}),
            db[schema.ARTICLES].count_documents({"site": name}),
        )
        for name in sites
    ]


def _runs(db: Database, site: str | None, limit: int) -> list[RunHealth]:
    query = {"site": str(site)} if site else {}
    projection = {"started_at": 1, "site": 1, "status": 1, "counts.articles": 1, "health.metrics": 1}
    found = list(db[schema.CRAWL_RUNS].find(query, projection).sort("started_at", -1).limit(limit))
    out = []
    for run in reversed(found):
        metrics = (run.get("health") or {}).get("metrics") or {}
        articles = metrics.get("articles", (run.get("counts") or {}).get("articles"))
        coverage = {k: float(v) for k, v in (metrics.get("coverage") or {}).items() if isinstance(v, int | float)}
        out.append(
            RunHealth(
                run_id=str(run["_id"]),
                started_at=_utc(run.get("started_at")),
                site=run.get("site") if isinstance(run.get("site"), str) else None,
                status=run.get("status") if isinstance(run.get("status"), str) else None,
                articles=articles if isinstance(articles, int) else None,
                coverage=coverage,
                error_rate=_rate((metrics.get("http") or {}).get("error_rate")),
                reject_rate=_rate(metrics.get("reject_rate")),
            )
        )
    return out


def _rate(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
