"""The charts page of `newsmon serve` (`/charts`, `/charts?site=merkur.de`): what a site's edits look like
over time and how its crawls are doing, as inline SVG (no script, no request beyond the page)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from crawler.consumers.query import EDIT_CLASSES
from crawler.consumers.web.html import esc, internal, page, when
from crawler.consumers.web.stats import AB_FLIP, COVERAGE_FIELDS, FIRST_HEADLINE_BUCKETS, SiteStats
from crawler.consumers.web.svg import Series, lines, share_bars, stacked_bars

CLASS_COLORS = {
    "headline_change": "#c0392b",
    "correction_notice": "#d35400",
    "rewording": "#2980b9",
    "update": "#8e44ad",
    "addition": "#27ae60",
    "removal": "#f39c12",
    "typo_fix": "#7f8c8d",
    "metadata": "#bdc3c7",
    AB_FLIP: "#16a085",
}
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")
EXTRA = "#34495e"


def class_order(present: Sequence[str]) -> list[str]:
    """Known classes in their usual order (ab_flip included once it exists), then any other class seen."""
    known = [*EDIT_CLASSES, *([AB_FLIP] if AB_FLIP not in EDIT_CLASSES else [])]
    return [c for c in known if c in present] + sorted(c for c in present if c not in known)


def charts_page(stats: SiteStats, sites: Sequence[str], form: Mapping[str, str]) -> str:
    days = len(stats.days)
    labels = [f"{d:%m-%d}" for d in stats.days]
    scope = stats.site or "all sites"
    nav = " · ".join(
        f"<b>{esc(name or 'all sites')}</b>"
        if name == (stats.site or "")
        else internal(
            "/charts", {"site": name, "days": form.get("days"), "runs": form.get("runs")}, name or "all sites"
        )
        for name in ["", *sites]
    )
    window = (
        '<form class="filters" method="get" action="/charts">'
        f'<input type="hidden" name="site" value="{esc(stats.site)}">'
        f'<label>days<input name="days" size="4" value="{esc(days)}"></label>'
        f'<label>runs<input name="runs" size="4" value="{esc(form.get("runs"))}"></label>'
        '<button type="submit">show</button></form>'
    )
    total = sum(sum(v) for v in stats.by_class.values())
    summary = (
        f'<p class="meta">{total} changes detected in the last {days} days'
        + (f" (only the first {stats.changes_read} read)" if stats.truncated else "")
        + f" · {sum(stats.ab_flips)} teaser A/B flips · {len(stats.runs)} recent runs</p>"
    )
    classes = class_order(list(stats.by_class))
    by_class = [Series(c, CLASS_COLORS.get(c, EXTRA), stats.by_class[c]) for c in classes]
    by_field = [Series(name, PALETTE[i % len(PALETTE)], v) for i, (name, v) in enumerate(stats.by_field.items())]
    sections = [
        _section(
            "Edits per day by edit class",
            stacked_bars(f"Edits per day by edit class, {scope}", labels, by_class, empty="no edits in this window"),
        ),
        _section(
            "Edits per day by field",
            stacked_bars(f"Edits per day by field, {scope}", labels, by_field, empty="no edits in this window"),
        ),
        _section(
            "Share of articles edited",
            share_bars(f"Share of articles edited, {scope}", stats.edited),
            "Articles whose page changed at least once (more than one stored version), of all stored articles.",
        ),
        _section(
            "Time from publication to the first headline change",
            stacked_bars(
                f"Time from publication to the first headline change, {scope}",
                [name for name, _ in FIRST_HEADLINE_BUCKETS],
                [Series("articles", CLASS_COLORS["headline_change"], stats.first_headline)],
                empty="no headline changes of articles with a publication date in this window",
            ),
            f"{stats.first_headline_articles} articles whose headline changed in the window (edit class "
            "headline_change), by hours between `published` and the first such change.",
        ),
        _section(
            "Teaser A/B flips per day",
            stacked_bars(
                f"Teaser A/B flips per day, {scope}",
                labels,
                [Series("A/B flips", CLASS_COLORS[AB_FLIP], stats.ab_flips)],
                empty="no A/B flips in this window",
            ),
            "Changes of edit class ab_flip: a teaser switching between headline variants it has shown before.",
        ),
        *_health(stats, scope),
    ]
    body = f"<h1>Charts · {esc(scope)}</h1><p>{nav}</p>{window}{summary}{''.join(sections)}"
    return page(f"newsmon · charts · {scope}", body)


def _health(stats: SiteStats, scope: str) -> list[str]:
    runs = stats.runs
    labels = [f"{when(r.started_at)[5:16]}" + ("" if stats.site else f" {r.site or ''}") for r in runs]
    coverage = [
        Series(name, PALETTE[i % len(PALETTE)], [r.coverage.get(name) for r in runs])
        for i, name in enumerate(COVERAGE_FIELDS)
        if any(name in r.coverage for r in runs)
    ]
    rates = [
        Series("HTTP error rate", "#c0392b", [r.error_rate for r in runs]),
        Series("reject rate", "#2980b9", [r.reject_rate for r in runs]),
    ]
    return [
        _section(
            "Articles per run",
            stacked_bars(
                f"Articles per run, {scope}",
                labels,
                [Series("articles read", "#1f3a5f", [r.articles for r in runs])],
                empty="no runs recorded",
            ),
            "Articles each recent crawl read (stored or unchanged), oldest run first.",
        ),
        _section(
            "Field coverage per run",
            lines(f"Field coverage per run, {scope}", labels, coverage, percent=True, empty="no run measured coverage"),
            "Share of the run's articles that had each field.",
        ),
        _section(
            "Error and reject rates per run",
            lines(f"Error and reject rates per run, {scope}", labels, rates, percent=True, empty="no run measured"),
            "HTTP errors per request and rejects per page read.",
        ),
    ]


def _section(title: str, chart: str, note: str = "") -> str:
    return f'<section class="card"><h2>{esc(title)}</h2>{chart}' + (
        f'<p class="meta">{esc(note)}</p></section>' if note else "</section>"
    )
