"""Teasers of any listing page, read from its links: for sites without a teaser profile.

Real pages link an article several times (image, headline, "mehr"): one teaser per article, at the position
of its first link, with the longest link text as its headline. A kicker element (class `kicker`, `dachzeile`,
`topline`, ... as `crawler.extract.maintext.KICKER_CLASS`) inside the link, or inside the heading that holds the
link, is the teaser's kicker and is not part of its headline.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from crawler.extract.headlines import text_without
from crawler.extract.maintext import KICKER_CLASS
from crawler.extract.parsing import parse_html
from crawler.extract.urls import join_url, publisher_id
from crawler.model.items import TeaserItem
from crawler.model.text import clean

NAME = "link-listing/2"
"""2: a kicker inside the link (or its heading) goes to `kicker`, no longer opening the headline."""
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _kickers(el: HtmlElement) -> list[HtmlElement]:
    """Kicker-classed elements below `el`, outermost only (a kicker's own inner span is part of it)."""
    found = [d for d in el.iterdescendants() if isinstance(d.tag, str) and KICKER_CLASS.search(d.get("class") or "")]
    return [k for k in found if not any(a in found for a in k.iterancestors())]


def headline_and_kicker(anchor: HtmlElement) -> tuple[str | None, str | None]:
    """A link's headline and kicker: a kicker inside the link, else inside the heading holding the link."""
    kickers = _kickers(anchor)
    heading = next((a for a in anchor.iterancestors() if a.tag in HEADINGS), None)
    if not kickers and heading is not None:
        kickers = [k for k in _kickers(heading) if anchor not in k.iterancestors() and k not in anchor.iterancestors()]
    kicker = clean(kickers[0].text_content()) if kickers else None
    headline = text_without(anchor, kickers) if kickers else clean(anchor.text_content())
    return headline or clean(anchor.get("title")), kicker


def extract_link_teasers(
    html: str, url: str, site: str, article_pattern: re.Pattern[str], seen_at: datetime | None = None
) -> list[TeaserItem]:
    """Links whose path matches `article_pattern`, grouped by target, in reading order."""
    root = parse_html(html)
    seen_at = seen_at or datetime.now(UTC)
    found: dict[str, TeaserItem] = {}
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        link = join_url(url, href)
        if link is None:
            continue  # a link no browser would follow (a hostile or broken URL)
        link = link.split("#", 1)[0]
        if not article_pattern.search(urlsplit(link).path):
            continue
        text, kicker = headline_and_kicker(anchor)
        images = anchor.xpath(".//img/@src")
        teaser = found.get(link)
        if teaser is None:
            found[link] = TeaserItem(
                url=link,
                site=site,
                headline=text,
                kicker=kicker,
                page_url=url,
                position=len(found) + 1,
                publisher_id=publisher_id(link),
                image=join_url(url, images[0]) if images else None,
                layout="link",
                seen_at=seen_at,
            )
            continue
        if text and len(text) > len(teaser.headline or ""):
            teaser.headline = text
            teaser.kicker = kicker or teaser.kicker
        if images and not teaser.image:
            teaser.image = join_url(url, images[0])
    return list(found.values())
