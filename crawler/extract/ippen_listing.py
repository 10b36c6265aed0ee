"""Teaser extractor for IPPEN.MEDIA homepages and section pages (`id-Teaser-el` markup).

One teaser per `.id-Teaser-el` element, however often it names its headline (image alt/title, h3, overlay link):
the headline is read from the h3 text only. Blocks are the page's `.id-Container` elements.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urljoin

from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from crawler.extract.common import ExtractionError, clean, parse_html, publisher_id, read_date
from crawler.items import TeaserItem

NAME = "ippen-listing/1"

TEASER = CSSSelector(".id-Teaser-el")
CONTAINER_HEADLINE = CSSSelector(".id-Container-headline-text, .id-Container-headline")
LINK = CSSSelector(".id-LinkOverlay-link, a.id-Teaser-el-link, .id-Teaser-el-content-headline a")
HEADLINE = CSSSelector(".id-Teaser-el-content-headline-text, .id-Teaser-el-content-headline")
KICKER = CSSSelector(".id-Teaser-el-content-kicker-text, .id-Teaser-el-content-kicker")
TEXT = CSSSelector(".id-Teaser-el-content-text-text, .id-Teaser-el-content-text")
AUTHOR = CSSSelector(".id-Teaser-el-content-author")
IMAGE = CSSSelector(".id-Teaser-el-image img")
TIME = CSSSelector(".id-Teaser-el-content-meta time, time")
LAYOUTS = ("prio", "block", "list", "swiper", "ticker")


def _first_text(sel: CSSSelector, el: HtmlElement) -> str | None:
    found = sel(el)
    return clean(found[0].text_content()) if found else None


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
    seen_links: set[str] = set()
    for el in TEASER(root):
        if any("id-Teaser-el" in (a.get("class") or "").split() for a in el.iterancestors()):
            continue  # a teaser nested in a teaser is part of it
        links = LINK(el) or [a for a in el.iter("a") if a.get("href")]
        href = next((a.get("href") for a in links if a.get("href")), None)
        if not href:
            continue
        link = urljoin(url, href.strip().split("#", 1)[0])
        pid = publisher_id(link)
        if pid is None:
            continue  # not an article (a section link, an ad)
        images = IMAGE(el)
        image = (images[0].get("src") or images[0].get("data-src")) if images else None
        container, index = _container(el, containers)
        block_name = _first_text(CONTAINER_HEADLINE, container) if container is not None else None
        layout = _layout(el)
        times = TIME(el)
        when = read_date(times[0].get("datetime")) if times else None
        headline = _first_text(HEADLINE, el) or clean(images[0].get("title") if images else None)
        teasers.append(
            TeaserItem(
                url=link,
                site=site,
                publisher_id=pid,
                headline=headline,
                kicker=_first_text(KICKER, el),
                text=_first_text(TEXT, el),
                image=urljoin(url, image.strip()) if image else None,
                page_url=url,
                position=len(teasers) + 1,
                block=block_name or layout,
                layout=layout,
                block_index=index,
                author=_first_text(AUTHOR, el),
                published=when.utc if when else None,
                seen_at=seen_at,
            )
        )
        seen_links.add(link)
    return teasers


def article_links(teasers: list[TeaserItem]) -> list[str]:
    return list(dict.fromkeys(clean(t.url) or t.url for t in teasers))
