"""Teasers of any listing page, read from its links: for sites without a teaser profile.

Real pages link an article several times (image, headline, "mehr"): one teaser per article, at the position
of its first link, with the longest link text as its headline.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from crawler.extract.common import clean, parse_html, publisher_id
from crawler.items import TeaserItem

NAME = "link-listing/1"


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
        link = urljoin(url, href).split("#", 1)[0]
        if not article_pattern.search(urlsplit(link).path):
            continue
        text = clean(anchor.text_content()) or clean(anchor.get("title"))
        images = anchor.xpath(".//img/@src")
        teaser = found.get(link)
        if teaser is None:
            found[link] = TeaserItem(
                url=link,
                site=site,
                headline=text,
                page_url=url,
                position=len(found) + 1,
                publisher_id=publisher_id(link),
                image=urljoin(url, images[0]) if images else None,
                layout="link",
                seen_at=seen_at,
            )
            continue
        if text and len(text) > len(teaser.headline or ""):
            teaser.headline = text
        if images and not teaser.image:
            teaser.image = urljoin(url, images[0])
    return list(found.values())
