"""Teaser extractor for IPPEN.MEDIA homepages and section pages (`id-Teaser-el` markup).

One teaser per `.id-Teaser-el` element, however often it names its headline (image alt/title, h3, overlay link):
the headline is read from the h3 text only, without the kicker the h3 may hold (`span.id-Teaser-el-content-kicker-text`
beside `span.id-Teaser-el-content-headline-text`). Blocks are the page's `.id-Container` elements.

Each selector group names its alternatives in order of preference and is answered in that order
(`ClassIndex.select_preferred`): in document order the outer `.id-Teaser-el-content-headline` would win over the
`-headline-text` inside it and bring the kicker along.
"""

from __future__ import annotations

from datetime import UTC, datetime

from lxml.html import HtmlElement

from crawler.extract.class_index import ClassIndex, ClassSelector
from crawler.extract.dates import When, read_date
from crawler.extract.headlines import text_without, within
from crawler.extract.parsing import ExtractionError, parse_html
from crawler.extract.urls import join_url, publisher_id
from crawler.model.items import TeaserItem
from crawler.model.text import clean

NAME = "ippen-listing/2"
"""2: the kicker inside the headline element no longer opens the headline; alternatives in preference order."""

TEASER = ClassSelector(".id-Teaser-el")
CONTAINER_HEADLINE = ClassSelector(".id-Container-headline-text, .id-Container-headline")
LINK = ClassSelector(".id-LinkOverlay-link, a.id-Teaser-el-link, .id-Teaser-el-content-headline a")
HEADLINE = ClassSelector(".id-Teaser-el-content-headline-text, .id-Teaser-el-content-headline")
KICKER = ClassSelector(".id-Teaser-el-content-kicker-text, .id-Teaser-el-content-kicker")
TEXT = ClassSelector(".id-Teaser-el-content-text-text, .id-Teaser-el-content-text")
AUTHOR = ClassSelector(".id-Teaser-el-content-author")
IMAGE = ClassSelector(".id-Teaser-el-image img")
TIME = ClassSelector(".id-Teaser-el-content-meta time, time")
LAYOUTS = ("prio", "block", "list", "swiper", "ticker")


def _first_text(index: ClassIndex, sel: ClassSelector, el: HtmlElement) -> str | None:
    found = index.first(sel, el)
    return clean(found.text_content()) if found is not None else None


def _headline_and_kicker(index: ClassIndex, el: HtmlElement) -> tuple[str | None, str | None]:
    """The teaser's headline without any kicker element inside it, and the kicker."""
    kickers = index.select_preferred(KICKER, el)
    kicker = clean(kickers[0].text_content()) if kickers else None
    headline_el = index.first(HEADLINE, el)
    if headline_el is None:
        return None, kicker
    inside = [k for k in kickers if within(k, headline_el) and k is not headline_el]
    return text_without(headline_el, inside), kicker


def _layout(el: HtmlElement) -> str:
    classes = el.get("class") or ""
    for name in LAYOUTS:
        if f"id-Teaser-el--{name}" in classes or f"id-Teaser-el--{name}Style" in classes:
            return name
    for node in el.iterancestors():
        if "id-Swiper" in (node.get("class") or ""):
            return "swiper"
    return "list"


def _container(el: HtmlElement, containers: dict[HtmlElement, int]) -> tuple[HtmlElement | None, int | None]:
    for node in el.iterancestors():
        classes = (node.get("class") or "").split()
        if "id-Container" in classes:
            if node not in containers:
                containers[node] = len(containers) + 1
            return node, containers[node]
    return None, None


def extract_teasers(html: str, url: str, site: str, seen_at: datetime | None = None) -> list[TeaserItem]:
    """Every article teaser of the page in reading order; one per teaser element. Raises ExtractionError only
    for a page that cannot be parsed; a page without teasers gives an empty list."""
    try:
        root = parse_html(html)
    except ExtractionError:
        raise
    except (ValueError, TypeError) as exc:  # pragma: no cover - parse_html turns these into ExtractionError
        raise ExtractionError(f"unreadable page ({exc})") from exc
    seen_at = seen_at or datetime.now(UTC)
    teasers: list[TeaserItem] = []
    containers: dict[HtmlElement, int] = {}
    index = ClassIndex(root)
    for el in index.select(TEASER, root):
        if any("id-Teaser-el" in (a.get("class") or "").split() for a in el.iterancestors()):
            continue  # a teaser nested in a teaser is part of it
        found = _article_link(index, el, url)
        if found is None:
            continue
        link, pid = found
        images = index.select(IMAGE, el)
        image = (images[0].get("src") or images[0].get("data-src")) if images else None
        container, block_index = _container(el, containers)
        block_name = _first_text(index, CONTAINER_HEADLINE, container) if container is not None else None
        layout = _layout(el)
        when = _published(index, el)
        headline, kicker = _headline_and_kicker(index, el)
        teasers.append(
            TeaserItem(
                url=link,
                site=site,
                publisher_id=pid,
                headline=headline or clean(images[0].get("title") if images else None),
                kicker=kicker,
                text=_first_text(index, TEXT, el),
                image=join_url(url, image),
                page_url=url,
                position=len(teasers) + 1,
                block=block_name or layout,
                layout=layout,
                block_index=block_index,
                author=_first_text(index, AUTHOR, el),
                published=when.utc if when else None,
                seen_at=seen_at,
            )
        )
    return teasers


def _article_link(index: ClassIndex, el: HtmlElement, url: str) -> tuple[str, str] | None:
    """The teaser's link (the overlay link first) and the article's publisher id; None for a teaser that links
    to no article (a section tile, an ad) or only by a URL no browser would follow."""
    links = index.select_preferred(LINK, el) or [a for a in el.iter("a") if a.get("href")]
    href = next((a.get("href") for a in links if a.get("href")), None)
    if not href:
        return None
    link = join_url(url, href.strip().split("#", 1)[0])
    if link is None:
        return None
    pid = publisher_id(link)
    return (link, pid) if pid is not None else None


def _published(index: ClassIndex, el: HtmlElement) -> When | None:
    time = index.first(TIME, el)
    return read_date(time.get("datetime")) if time is not None else None


def article_links(teasers: list[TeaserItem]) -> list[str]:
    return list(dict.fromkeys(clean(t.url) or t.url for t in teasers))
