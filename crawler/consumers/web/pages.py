"""The pages of `newsmon serve`, rendered from documents as the store holds them (see docs/schema.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crawler.consumers.query import EDIT_CLASSES
from crawler.consumers.web.diff import diff_block
from crawler.consumers.web.html import esc, external, internal, options, page, when

TEASER_FIELDS = ("headline", "kicker", "text")


def change_card(change: Mapping[str, Any], *, with_article: bool = True) -> str:
    versions = ""
    if change.get("version_to") is not None:
        versions = f" · v{esc(change.get('version_from'))} → v{esc(change.get('version_to'))}"
    article = ""
    if with_article:
        article = "<div>" + internal("/article", {"id": change.get("article_id")}, change.get("headline") or "?")
        article += f' <span class="meta">{external(change.get("url"), "page")}</span></div>'
    klass = str(change.get("edit_class") or "")
    words = change.get("significance")
    return (
        f'<article class="change {esc(klass if klass in EDIT_CLASSES else "")}">'
        f'<div class="meta">#{esc(change.get("seq"))} · {esc(when(change.get("detected_at")))} · '
        f"{esc(change.get('site'))}{versions}</div>{article}"
        f'<div><b>{esc(change.get("field"))}</b> <span class="badge">{esc(klass)}</span> '
        f'<span class="meta">{esc(words)} word{"" if words == 1 else "s"}</span></div>'
        f"{diff_block(change.get('diff') or [])}</article>"
    )


def changes_page(
    changes: Sequence[Mapping[str, Any]],
    form: Mapping[str, str],
    sites: Sequence[str],
    older: Mapping[str, Any] | None,
) -> str:
    """Recent changes, newest first, with the filter form; `older` are the parameters of the next page."""
    filters = (
        '<form class="filters" method="get" action="/">'
        f'<label>site<select name="site">{options(sites, form.get("site"), "all sites")}</select></label>'
        '<label>field<input name="field" size="18" placeholder="headline, kicker, body…" '
        f'value="{esc(form.get("field"))}"></label>'
        f'<label>edit class<select name="class">{options(EDIT_CLASSES, form.get("class"), "all")}</select></label>'
        '<label>since<input name="since" size="18" placeholder="2025-05-03T10:00 or 6h" '
        f'value="{esc(form.get("since"))}"></label>'
        '<label>until<input name="until" size="18" placeholder="ISO date/time" '
        f'value="{esc(form.get("until"))}"></label>'
        '<button type="submit">filter</button></form>'
    )
    cards = "".join(change_card(c) for c in changes) or '<p class="empty">No changes match.</p>'
    more = f"<p>{internal('/', older, 'older changes →')}</p>" if older else ""
    feed = {k: form.get(k) for k in ("site", "field", "class", "since", "until")}
    subscribe = f'<p class="meta">{internal("/feed.atom", feed, "Atom feed of these changes")}</p>'
    return page("newsmon · changes", f"<h1>Recent changes</h1>{filters}{subscribe}{cards}{more}")


def article_page(
    article: Mapping[str, Any] | None,
    versions: Sequence[Mapping[str, Any]],
    changes: Sequence[Mapping[str, Any]],
    teaser: Mapping[str, Any] | None,
    article_id: str,
) -> str:
    head = article or teaser or {}
    title = head.get("headline") or article_id
    parts = [
        f'<h1>{esc(title)}</h1><p class="meta">{esc(article_id)} · {esc(head.get("site"))} · '
        f"{external(head.get('url'), 'on the site')}"
        + (f" · first seen {esc(when(article.get('first_seen')))}" if article else "")
        + "</p>"
    ]
    parts.append(_versions(versions))
    by_version: dict[Any, list[Mapping[str, Any]]] = {}
    for change in changes:
        by_version.setdefault(change.get("version_to"), []).append(change)
    page_changes = [c for c in changes if c.get("version_to") is not None]
    teaser_changes = by_version.get(None, [])
    parts.append("<h2>Edits of the page</h2>")
    parts.append("".join(change_card(c, with_article=False) for c in page_changes) or _none("No edits seen."))
    parts.append(_teaser(teaser))
    parts.append("<h2>Teaser changes</h2>")
    parts.append("".join(change_card(c, with_article=False) for c in teaser_changes) or _none("None seen."))
    return page(f"newsmon · {title}", "".join(parts))


def _versions(versions: Sequence[Mapping[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>v{esc(v.get('version'))}</td><td>{esc(when(v.get('fetched_at')))}</td>"
        f"<td>{esc(v.get('kicker'))}</td><td>{esc(v.get('headline'))}</td>"
        f"<td><code>{esc(str(v.get('content_hash') or '')[:12])}</code></td></tr>"
        for v in versions
    )
    if not rows:
        return "<h2>Version history</h2>" + _none("No versions stored.")
    return (
        "<h2>Version history</h2><table><tr><th>version</th><th>fetched</th><th>kicker</th><th>headline</th>"
        f"<th>content</th></tr>{rows}</table>"
    )


def _teaser(teaser: Mapping[str, Any] | None) -> str:
    if not teaser:
        return "<h2>Teaser variants</h2>" + _none("Never seen in a teaser.")
    variants = sorted(
        (teaser.get("variants") or {}).values(),
        key=lambda v: (
            TEASER_FIELDS.index(v["field"]) if v.get("field") in TEASER_FIELDS else 9,
            str(v.get("first_seen")),
        ),
    )
    rows = "".join(
        f"<tr><td>{esc(v.get('field'))}</td><td>{esc(v.get('value'))}</td><td>{esc(when(v.get('first_seen')))}</td>"
        f"<td>{esc(when(v.get('last_seen')))}</td><td>{esc(v.get('count'))}</td></tr>"
        for v in variants
    )
    places = sorted((teaser.get("placements") or {}).values(), key=lambda p: str(p.get("last_seen")), reverse=True)
    place_rows = "".join(
        f"<tr><td>{external(p.get('page'))}</td><td>{esc(p.get('block'))}</td><td>{esc(p.get('position'))}</td>"
        f"<td>{esc(when(p.get('first_seen')))}</td><td>{esc(when(p.get('last_seen')))}</td><td>{esc(p.get('count'))}</td></tr>"
        for p in places
    )
    return (
        _teaser_facts(teaser) + "<h2>Teaser variants</h2><table><tr><th>field</th><th>wording</th>"
        f"<th>first seen</th><th>last seen</th><th>seen</th></tr>{rows}</table>"
        "<h2>Teaser placements</h2><table><tr><th>page</th><th>block</th><th>position</th><th>first seen</th>"
        f"<th>last seen</th><th>runs</th></tr>{place_rows}</table>"
    )


def _teaser_facts(teaser: Mapping[str, Any]) -> str:
    """The teaser's headline against its article's and its A/B tests: facts about the teaser, not changes."""
    parts = []
    differs = teaser.get("headline_vs_article")
    if differs:
        parts.append(
            f"<p class=\"differs\">The teaser's headline differs from the article's since "
            f"{esc(when(differs.get('since')))}: teaser „{esc(differs.get('teaser'))}“, "
            f"article „{esc(differs.get('article'))}“.</p>"
        )
    for name, test in sorted((teaser.get("ab_tests") or {}).items()):
        wordings = "".join(
            f"<li>„{esc(w.get('value'))}“: seen {esc(w.get('count'))} times, {esc(when(w.get('first_seen')))} to "
            f"{esc(when(w.get('last_seen')))}</li>"
            for w in test.get("wordings") or []
        )
        parts.append(
            f'<p class="ab">A/B test of the {esc(name)} since {esc(when(test.get("first_detected")))}:</p>'
            f"<ul>{wordings}</ul>"
        )
    return "<h2>Teaser</h2>" + "".join(parts) if parts else ""


def _none(text: str) -> str:
    return f'<p class="empty">{esc(text)}</p>'


def error_page(status: str, message: str) -> str:
    return page(f"newsmon · {status}", f'<h1>{esc(status)}</h1><p class="error">{esc(message)}</p>')
