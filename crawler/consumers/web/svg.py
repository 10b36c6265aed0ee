"""Server-rendered SVG charts for `newsmon serve`'s charts page: stacked bars, lines and horizontal shares.

Written by hand rather than with a charting library because the page must work offline under a CSP that runs
no script: a JavaScript library would need both, and a Python one (matplotlib, pygal) would be a large
dependency for four chart shapes. Every label goes through `esc` (site and field names come from scraped
data); every mark carries a `<title>`, which browsers show as a tooltip, with its exact figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from crawler.consumers.web.html import esc

WIDTH = 1000
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 34, 46
FONT = 'font-family="system-ui, sans-serif" font-size="12" fill="#3d4652"'
GRID = "#e3e6ea"


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    values: Sequence[float | None]


def nice_step(value: float, ticks: int = 4, whole: bool = True) -> float:
    """A round step (1, 2, 2.5 or 5 x 10^n) so that `ticks` steps reach `value`; whole numbers for counts."""
    raw = max(value, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    steps = [s * power for s in (1, 2, 2.5, 5, 10)]
    step = next(s for s in steps if s >= raw)
    return max(1.0, math.ceil(step)) if whole else step


def axis_top(value: float, whole: bool = True) -> tuple[float, float]:
    """(top of the axis, tick step): the first multiple of a round step at or above `value`."""
    step = nice_step(value, whole=whole)
    return step * max(1, math.ceil(value / step - 1e-9)), step


def _number(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _frame(body: str, label: str, legend: Sequence[Series], height: int = HEIGHT) -> str:
    keys = []
    x = LEFT
    for series in legend:
        keys.append(
            f'<rect x="{x}" y="8" width="12" height="12" rx="2" fill="{esc(series.color)}"/>'
            f'<text x="{x + 17}" y="18" {FONT}>{esc(series.name)}</text>'
        )
        x += 30 + 7.2 * len(series.name)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-label="{esc(label)}"><title>{esc(label)}</title>{"".join(keys)}{body}</svg>'
    )


def _y_axis(top: float, step: float, percent: bool, height: int = HEIGHT) -> str:
    plot = height - TOP - BOTTOM
    parts = []
    for i in range(round(top / step) + 1):
        value = step * i
        y = height - BOTTOM - plot * value / top
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT}>{_number(value, percent)}</text>'
        )
    return "".join(parts)


def _x_labels(labels: Sequence[str], centers: Sequence[float], height: int = HEIGHT) -> str:
    """Every k-th label, k chosen so that labels never overlap (about 7 px a character at 12 px)."""
    if not labels:
        return ""
    widest = 7 * max(len(label) for label in labels) + 12
    gap = (centers[-1] - centers[0]) / (len(centers) - 1) if len(centers) > 1 else widest
    every = max(1, math.ceil(widest / gap))
    return "".join(
        f'<text x="{x:.1f}" y="{height - BOTTOM + 16}" text-anchor="middle" {FONT}>{esc(label)}</text>'
        for i, (label, x) in enumerate(zip(labels, centers, strict=True))
        if i % every == 0
    )


def _empty(label: str, message: str) -> str:
    return _frame(
        f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" {FONT} font-style="italic">{esc(message)}</text>',
        label,
        [],
    )


def stacked_bars(label: str, categories: Sequence[str], series: Sequence[Series], *, empty: str = "no data") -> str:
    """One bar per category, the series stacked in order; a bar's tooltip names each part."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(categories))]
    if not categories or not any(totals):
        return _empty(label, empty)
    top, step = axis_top(max(totals))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(categories)
    bar = max(1.0, slot * 0.72)
    marks = []
    centers = []
    for i, category in enumerate(categories):
        x = LEFT + i * slot + (slot - bar) / 2
        centers.append(x + bar / 2)
        y = HEIGHT - BOTTOM
        for s in series:
            value = s.values[i] or 0
            if not value:
                continue
            h = plot_h * value / top
            y -= h
            marks.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{esc(s.color)}">'
                f"<title>{esc(category)}: {esc(s.name)} {_number(value, False)}</title></rect>"
            )
    shown = [s for s in series if any(s.values)]
    axis = f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{HEIGHT - BOTTOM}" y2="{HEIGHT - BOTTOM}" stroke="#8a96a8"/>'
    return _frame(_y_axis(top, step, False) + "".join(marks) + axis + _x_labels(categories, centers), label, shown)


def lines(
    label: str, categories: Sequence[str], series: Sequence[Series], *, percent: bool = False, empty: str = "no data"
) -> str:
    """One line per series over the categories; a missing value (None) breaks the line."""
    values = [v for s in series for v in s.values if v is not None]
    if not categories or not values:
        return _empty(label, empty)
    top, step = axis_top(max(values), whole=not percent)
    if percent and top > 1:  # shares: never past 100%
        top, step = 1.0, 0.25
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    gap = plot_w / (len(categories) - 1) if len(categories) > 1 else 0
    centers = [LEFT + (i * gap if gap else plot_w / 2) for i in range(len(categories))]
    marks = []
    for s in series:
        runs: list[list[str]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            x, y = centers[i], HEIGHT - BOTTOM - plot_h * value / top
            runs[-1].append(f"{x:.1f},{y:.1f}")
            marks.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{esc(s.color)}">'
                f"<title>{esc(categories[i])}: {esc(s.name)} {_number(value, percent)}</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                marks.insert(
                    0,
                    f'<polyline class="line" points="{" ".join(run)}" fill="none" stroke="{esc(s.color)}" '
                    'stroke-width="2"/>',
                )
    shown = [s for s in series if any(v is not None for v in s.values)]
    return _frame(_y_axis(top, step, percent) + "".join(marks) + _x_labels(categories, centers), label, shown)


def share_bars(label: str, rows: Sequence[tuple[str, int, int]], color: str = "#2980b9") -> str:
    """Horizontal bars, one per row `(name, part, whole)`: the share `part / whole` with both counts."""
    rows = [r for r in rows if r[2]]
    if not rows:
        return _empty(label, "no articles stored")
    row_h = 30
    height = TOP + row_h * len(rows) + 12
    name_w = 160
    plot_w = WIDTH - LEFT - RIGHT - name_w - 150
    marks = []
    for i, (name, part, whole) in enumerate(rows):
        y = TOP + i * row_h
        share = part / whole
        x0 = LEFT + name_w
        marks.append(
            f'<text x="{x0 - 8}" y="{y + 17}" text-anchor="end" {FONT}>{esc(name)}</text>'
            f'<rect x="{x0}" y="{y + 4}" width="{plot_w}" height="18" rx="3" fill="{GRID}"/>'
            f'<rect class="bar" x="{x0}" y="{y + 4}" width="{plot_w * share:.1f}" height="18" rx="3" '
            f'fill="{esc(color)}"><title>{esc(name)}: {part} of {whole}</title></rect>'
            f'<text x="{x0 + plot_w + 8}" y="{y + 17}" {FONT}>{share * 100:.1f}% ({part} of {whole})</text>'
        )
    return _frame("".join(marks), label, [], height=height)
