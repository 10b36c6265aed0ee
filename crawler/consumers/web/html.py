"""HTML building blocks for `newsmon serve`: every piece of data goes through `esc` on its way into markup.

Scraped text (headlines, kickers, body passages, URLs) is untrusted: a publisher, or whoever fooled one, may
print `<script>` in a headline. Text is escaped with `html.escape(quote=True)`; a URL becomes a link only
when it is http(s); and the page's Content-Security-Policy runs no script at all, as a second wall.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d232b; background: #f4f5f7; }
header { background: #1f3a5f; color: #fff; padding: 12px 24px; }
header a { color: #fff; text-decoration: none; font-weight: 600; }
main { padding: 16px 24px; max-width: 1200px; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: end; background: #fff;
  padding: 12px; border-radius: 6px; margin-bottom: 16px; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: #4a5564; }
form.filters input, form.filters select { font: inherit; padding: 3px 6px; }
.change, .card { background: #fff; border-radius: 6px; padding: 10px 14px; margin-bottom: 12px;
  border-left: 4px solid #8a96a8; }
.change.headline_change { border-left-color: #c0392b; }
.change.typo_fix { border-left-color: #7f8c8d; }
.change.correction_notice { border-left-color: #d35400; }
.meta { font-size: 12px; color: #5b6572; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; background: #e6e9ee; font-size: 12px; }
.diff { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; margin-top: 6px; }
.diff div { padding: 6px 8px; border-radius: 4px; white-space: pre-wrap; overflow-wrap: anywhere; }
.diff .old { background: #fbeeee; }
.diff .new { background: #edf8ef; }
del { background: #f5b7b1; text-decoration: line-through; }
ins { background: #abebc6; text-decoration: none; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e6ea; vertical-align: top; }
.empty { color: #5b6572; font-style: italic; }
.error { background: #fdecea; padding: 10px 14px; border-radius: 6px; }
.card h2 { font-size: 16px; margin: 4px 0 6px; }
svg.chart { display: block; max-width: 1000px; }
"""


def esc(value: Any) -> str:
    """Text for HTML content or a quoted attribute; None is empty."""
    return "" if value is None else html.escape(str(value), quote=True)


def when(moment: Any) -> str:
    """A stored datetime as `2025-05-03 10:15 UTC`."""
    if not isinstance(moment, datetime):
        return ""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def external(url: Any, text: Any = None) -> str:
    """A link to a publisher's page, only for http(s) URLs (no `javascript:`); otherwise the text alone."""
    label = esc(text if text is not None else url)
    if isinstance(url, str) and urlsplit(url).scheme in ("http", "https"):
        return f'<a href="{esc(url)}" rel="noopener noreferrer nofollow">{label}</a>'
    return label


def internal(path: str, params: Mapping[str, Any], text: Any) -> str:
    """A link within the app; parameters are URL-encoded, then the whole href escaped."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f'<a href="{esc(path + ("?" + query if query else ""))}">{esc(text)}</a>'


def options(values: Iterable[str], selected: str | None, blank: str) -> str:
    out = [f'<option value="">{esc(blank)}</option>']
    for value in values:
        mark = " selected" if value == selected else ""
        out.append(f'<option value="{esc(value)}"{mark}>{esc(value)}</option>')
    return "".join(out)


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        '<header><a href="/">newsmon</a> · changes and versions (read-only) · <a href="/charts">charts</a> · '
        '<a href="/feed.atom">feed</a></header>'
        f"<main>{body}</main></body></html>"
    )
