"""Teaser extractor for IPPEN.MEDIA homepages and section pages (`id-Teaser-el` markup). First cut."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urljoin

from parsel import Selector

from crawler.extract.common import clean, publisher_id, text_of
from crawler.items import TeaserItem

NAME = "ippen-listing/0.1"

TEASER = ".id-Teaser-el"
LINK = ".id-LinkOverlay-link::attr(href), a.id-Teaser-el-link::attr(href)"
HEADLINE = ".id-Teaser-el-content-headline-text"
KICKER = ".id-Teaser-el-content-kicker-text"
TEXT = ".id-Teaser-el-content-text-text"
IMAGE = ".id-Teaser-el-image img::attr(src)"


def extract_teasers(html: str, url: str, site: str, seen_at: datetime | None = None) -> list[TeaserItem]:
    """Every article teaser of the page in reading order; one per teaser element."""
    sel = Selector(text=html)
    seen_at = seen_at or datetime.now(UTC)
    teasers: list[TeaserItem] = []
    for el in sel.css(TEASER):
        href = el.css(LINK).get() or el.css("a::attr(href)").get()
        if not href:
            continue
        link = urljoin(url, href.strip())
        pid = publisher_id(link)
        if pid is None:
            continue  # not an article (a section link, an ad)
        headline = text_of(el.css(HEADLINE)[0]) if el.css(HEADLINE) else None
        classes = el.attrib.get("class", "")
        image = el.css(IMAGE).get()
        teasers.append(
            TeaserItem(
                url=link,
                site=site,
                publisher_id=pid,
                headline=headline,
                kicker=text_of(el.css(KICKER)[0]) if el.css(KICKER) else None,
                text=text_of(el.css(TEXT)[0]) if el.css(TEXT) else None,
                image=urljoin(url, image) if image else None,
                page_url=url,
                position=len(teasers) + 1,
                block="prio" if "id-Teaser-el--prio" in classes else "list",
                seen_at=seen_at,
            )
        )
    return teasers


def article_links(teasers: list[TeaserItem]) -> list[str]:
    return list(dict.fromkeys(clean(t.url) or t.url for t in teasers))
