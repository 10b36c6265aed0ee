"""The change feed as Atom (RFC 4287): one entry per stored change, its id stable for the life of the change.

Built with the standard library's ElementTree, which escapes every text and attribute, so a headline with
markup is text in the XML, and the entry's HTML content (the word diff) is escaped once more as Atom's
`type="html"` requires. A feed reader keys entries on `<id>`: the change's `_id` is a natural key (the same
edit always has the same `_id`, see docs/schema.md), so an entry keeps its id across polls, pages and filters.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from crawler.changes.diff import compact
from crawler.consumers.export import iso
from crawler.consumers.web.diff import side_by_side
from crawler.consumers.web.html import esc

ATOM = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
EDIT_CLASS_SCHEME = "urn:newsmon:edit-class"
FIELD_SCHEME = "urn:newsmon:field"
SITE_SCHEME = "urn:newsmon:site"

ET.register_namespace("", ATOM)
# Characters XML 1.0 cannot hold even escaped (C0 controls but tab and newlines, lone surrogates, U+FFFE/F):
# ElementTree would write them and make the whole feed ill-formed, so scraped text loses them here.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def entry_id(change: Mapping[str, Any]) -> str:
    """`urn:newsmon:change:<_id, percent-encoded>`: stable, unique, an IRI as RFC 4287 §4.2.6 requires."""
    return "urn:newsmon:change:" + quote(str(change.get("_id")), safe=":")


def feed_id(filters: Mapping[str, str]) -> str:
    """The same filters always name the same feed, whatever host or page size it was fetched with."""
    query = urlencode(sorted((k, v) for k, v in filters.items() if v))
    return "urn:newsmon:changes" + (":" + quote(query, safe="") if query else "")


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _NOT_XML.sub("", v) for k, v in attrs.items()})
    if text is not None:
        element.text = _NOT_XML.sub("", text)
    return element


def _stamp(moment: Any) -> str:
    return iso(moment) if isinstance(moment, datetime) else iso(datetime(1970, 1, 1, tzinfo=UTC))


def entry_html(change: Mapping[str, Any], article_url: str) -> str:
    """The entry's content: what changed, its class and words, and the word diff as before/after paragraphs
    (feed readers drop stylesheets, so `<del>`/`<ins>` carry the marking)."""
    words = change.get("significance")
    old, new = side_by_side(change.get("diff") or [])
    versions = ""
    if change.get("version_to") is not None:
        versions = f" (v{esc(change.get('version_from'))} → v{esc(change.get('version_to'))})"
    return (
        f"<p><b>{esc(change.get('field'))}</b> · {esc(change.get('edit_class'))} · {esc(words)} words changed"
        f"{versions} · {esc(change.get('site'))} · change #{esc(change.get('seq'))}</p>"
        f"<p><b>Before:</b> {old or '<i>(empty)</i>'}</p><p><b>After:</b> {new or '<i>(empty)</i>'}</p>"
        f'<p><a href="{esc(article_url)}">versions and edits of this article</a></p>'
    )


def render_feed(
    changes: Sequence[Mapping[str, Any]],
    *,
    base_url: str,
    self_url: str,
    html_url: str,
    filters: Mapping[str, str],
) -> bytes:
    """The Atom document for `changes` (newest first). `base_url` ends with `/`; the other URLs are absolute."""
    feed = ET.Element(f"{{{ATOM}}}feed")
    _el(feed, "id", feed_id(filters))
    shown = ", ".join(f"{k} {v}" for k, v in sorted(filters.items()) if v)
    _el(feed, "title", "newsmon · recent changes" + (f" ({shown})" if shown else ""))
    _el(feed, "subtitle", "Edits of news articles and teasers detected by newsmon, newest first.")
    newest = max((c["detected_at"] for c in changes if isinstance(c.get("detected_at"), datetime)), default=None)
    _el(feed, "updated", _stamp(newest or datetime.now(UTC)))
    author = _el(feed, "author")
    _el(author, "name", "newsmon")
    _el(feed, "generator", "newsmon")
    _el(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _el(feed, "link", rel="alternate", type="text/html", href=html_url)
    for change in changes:
        entry = _el(feed, "entry")
        _el(entry, "id", entry_id(change))
        headline = str(change.get("headline") or change.get("article_id") or "")
        _el(entry, "title", f"{change.get('field')} [{change.get('edit_class')}]: {headline}", type="text")
        _el(entry, "updated", _stamp(change.get("detected_at")))
        _el(entry, "published", _stamp(change.get("detected_at")))
        article_url = base_url + "article?" + urlencode({"id": str(change.get("article_id") or "")})
        url = change.get("url")
        if isinstance(url, str) and urlsplit(url).scheme in ("http", "https"):
            _el(entry, "link", rel="alternate", type="text/html", href=url)
        _el(entry, "link", rel="related", type="text/html", href=article_url)
        for scheme, term in (
            (EDIT_CLASS_SCHEME, change.get("edit_class")),
            (FIELD_SCHEME, change.get("field")),
            (SITE_SCHEME, change.get("site")),
        ):
            if term:
                _el(entry, "category", scheme=scheme, term=str(term))
        _el(entry, "summary", f"{change.get('field')}: {compact(change.get('diff') or [], 12)}", type="text")
        _el(entry, "content", entry_html(change, article_url), type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
