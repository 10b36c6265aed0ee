"""Compare a run's health figures with the site's recent runs; every drop is one alert (pure).

The baseline of a figure is its median over the recent runs that measured it, so one odd run neither hides
nor raises a drop. Drops:

- `field_gone`: a field's share of articles fell below `coverage_drop` times its baseline (a template or
  extractor change: the kicker selector finds nothing any more);
- `errors_up`: the share of requests answered with 5xx/403/408/429 or failing to download is at least
  `max_error_rate` and more than twice its baseline;
- `rejects_up`: the same for the share of pages rejected (unreadable, invalid);
- `nothing_new`: no new article and no new version for more than `stale_hours` (this run and the recent ones).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Thresholds:
    """Settings: NEWSMON_HEALTH_COVERAGE_DROP, NEWSMON_HEALTH_MAX_ERROR_RATE, NEWSMON_HEALTH_STALE_HOURS,
    NEWSMON_HEALTH_MIN_ARTICLES (fewer articles in a run: its coverage is not compared, too small a sample)."""

    coverage_drop: float = 0.5
    max_error_rate: float = 0.1
    stale_hours: float = 24.0
    min_articles: int = 5


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def baseline(history: Sequence[Mapping[str, Any]], min_articles: int) -> dict[str, Any]:
    """Median figures of the recent runs (coverage only from runs with at least `min_articles` articles)."""
    metrics = [run["health"]["metrics"] for run in history if (run.get("health") or {}).get("metrics")]
    sized = [m for m in metrics if m.get("articles", 0) >= min_articles]
    fields = {f for m in sized for f in m.get("coverage", {})}
    return {
        "runs": len(metrics),
        "coverage": {
            f: _median([m["coverage"][f] for m in sized if f in m.get("coverage", {})]) for f in sorted(fields)
        },
        # min(..., 1): runs recorded before rates were bounded (robots.txt's dropped requests counted as failed)
        "error_rate": _median([min(m["http"]["error_rate"], 1.0) for m in metrics if "http" in m]),
        "reject_rate": _median([min(m["reject_rate"], 1.0) for m in metrics if "reject_rate" in m]),
        "pages_per_minute": _median([m["pages_per_minute"] for m in metrics if "pages_per_minute" in m]),
    }


def compare(
    site: str,
    metrics: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    thresholds: Thresholds,
    now: datetime | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The baseline and the alerts (each `{"type": "health", "kind", "site", "message", ...}`)."""
    now = now or datetime.now(UTC)
    base = baseline(history, thresholds.min_articles)
    alerts: list[dict[str, Any]] = []

    def alert(kind: str, message: str, **facts: Any) -> None:
        alerts.append({"type": "health", "kind": kind, "site": site, **facts, "message": f"{site}: {message}"})

    if metrics.get("articles", 0) >= thresholds.min_articles:
        for field, usual in base["coverage"].items():
            share = metrics.get("coverage", {}).get(field, 0.0)
            if usual and share < usual * thresholds.coverage_drop:
                alert(
                    "field_gone",
                    f"the {field} was found on {share:.0%} of {metrics['articles']} articles (usually on {usual:.0%})",
                    field=field,
                    share=share,
                    baseline=usual,
                )
    http = metrics["http"]
    for kind, rate, usual, count, total, what in (
        (
            "errors_up",
            http["error_rate"],
            base["error_rate"],
            http.get("errors"),
            http.get("requests"),
            "requests failed",
        ),
        (
            "rejects_up",
            metrics["reject_rate"],
            base["reject_rate"],
            metrics.get("rejects", 0),
            metrics.get("pages_read", metrics.get("articles", 0) + metrics.get("rejects", 0)),
            "pages could not be read",
        ),
    ):
        if rate >= thresholds.max_error_rate and rate > 2 * (usual or 0.0):
            usually = f" (usually {usual:.0%})" if usual is not None else ""
            counted = f"{count} of {total} {what}, " if total else f"{what}: "
            alert(kind, f"{counted}{rate:.0%}{usually}", rate=rate, baseline=usual)

    if metrics.get("listing_links_cut"):
        alert(
            "listing_cut",
            f"{metrics['listing_links_cut']} teasers dropped from {metrics.get('listings_cut', 0)} listing page(s) "
            "over NEWSMON_LISTING_MAX_LINKS",
            links_cut=metrics["listing_links_cut"],
            pages=metrics.get("listings_cut", 0),
        )
    if not (metrics.get("new_articles") or metrics.get("new_versions")) and history:
        fresh = [
            run.get("finished_at") or run.get("started_at")
            for run in history
            if (m := run["health"]["metrics"]).get("new_articles") or m.get("new_versions")
        ]
        last = max((_aware(t) for t in fresh if t), default=None)
        oldest = min((_aware(r["started_at"]) for r in history if r.get("started_at")), default=now)
        since = last or oldest
        if now - since > timedelta(hours=thresholds.stale_hours):
            hours = (now - since).total_seconds() / 3600
            alert(
                "nothing_new",
                f"no new article or version for {hours:.0f} h" + ("" if last else " (none in the recent runs)"),
                last_new=last,
                hours=round(hours, 1),
            )
    return base, alerts


def _aware(value: datetime) -> datetime:
    """pymongo without tz_aware gives naive UTC datetimes."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def condition(alert: Mapping[str, Any]) -> str:
    """What a health alert is about, the same from run to run: its kind and the field or monitor it names."""
    return ":".join(str(alert.get(k)) for k in ("kind", "field", "monitor") if alert.get(k) is not None)


def transitions(
    site: str,
    alerts: Sequence[Mapping[str, Any]],
    previous: Sequence[Mapping[str, Any]],
    unmeasured: frozenset[str] = frozenset(),
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Which of a run's alerts start a condition, and which conditions of the run before ended.

    A persistent condition (a field gone for days, a site answering errors) alerts once when it starts and
    once when it ends, not every run: an alert whose condition the previous run also had is marked `ongoing`
    and not sent again. A condition of a kind this run could not measure (`unmeasured`: `field_gone` when too
    few articles were read, as on an unchanged re-crawl answered by 304s) has not ended: it is carried over.
    Returns (alerts to send: the started and the ended ones, the run's alerts marked).
    """
    before = {condition(a): a for a in previous}
    now = {condition(a) for a in alerts}
    marked = [{**a, "ongoing": condition(a) in before} for a in alerts]
    send = [a for a in marked if not a["ongoing"]]
    for key, old in before.items():
        if key not in now and old.get("kind") in unmeasured:
            marked.append({**old, "ongoing": True})
        elif key not in now:
            what = str(old.get("message") or key).removeprefix(f"{site}: ")
            send.append(
                {
                    "type": "health",
                    "kind": "ended",
                    "ended": old.get("kind"),
                    "site": site,
                    "message": f"{site}: back to normal, no longer: {what}",
                }
            )
    return send, marked


def missing_since(
    missing: Mapping[str, int], previous: Sequence[Mapping[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """Configured discovery pages answering 404/410 (URL -> status), each with since when (carried over from
    the previous run when it was missing then too)."""
    known = {m["url"]: m.get("since") for m in previous}
    return [{"url": url, "status": status, "since": known.get(url) or now} for url, status in sorted(missing.items())]
