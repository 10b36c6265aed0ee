"""Article extractor for the IPPEN.MEDIA CMS (merkur.de, fr.de, tz.de, ...). First cut: the core fields.

Selectors are gathered at the top; the markup is read off real pages in ../shared/fixtures.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import urljoin

from parsel import Selector

from crawler.extract.common import clean, news_article, parse_datetime, publisher_id, text_of
from crawler.items import ArticleItem, Block

NAME = "ippen/0.1"

HEADLINE = "h1.id-StoryElement-headline"
KICKER = ".id-StoryElement-kicker, .id-StoryElement-headline-kicker, .id-StoryElement-kicker-text"
LEAD = "p.id-StoryElement-leadText, p.id-StoryElement-summary, .id-Article-content-item-summary"
BODY = (
    "p.id-StoryElement-paragraph, h2.id-StoryElement-crosshead, "
    ".id-Article-content-item-paragraph, ul.id-StoryElement-list, blockquote.id-StoryElement-quote"
)
AUTHORS = ".id-StoryElement-authors a, .id-Story-authors a, .id-StoryElement-authors .id-StoryElement-authors-name"
BREADCRUMB = "ol.id-DonaldBreadcrumb li a"


class ExtractionError(ValueError):
    """The page is not a readable article; the message is the reject reason."""


def _block(sel: Selector) -> Block:
    classes = sel.attrib.get("class", "")
    tag = sel.root.tag if hasattr(sel.root, "tag") else ""
    if "crosshead" in classes or tag == "h2":
        kind = "crosshead"
    elif tag in ("ul", "ol"):
        kind = "list"
    elif tag == "blockquote":
        kind = "quote"
    else:
        kind = "paragraph"
    return Block(kind=kind, text=text_of(sel) or "")


def _authors(sel: Selector, ld: dict) -> list[str]:
    """Byline links first; JSON-LD `author` when the page shows none."""
    names = [a for a in (clean(t) for t in sel.css(AUTHORS).xpath("string()").getall()) if a]
    if not names:
        found = ld.get("author") or []
        for person in found if isinstance(found, list) else [found]:
            name = clean(person.get("name") if isinstance(person, dict) else str(person))
            if name:
                names.append(name)
    return list(dict.fromkeys(names))


def extract_article(html: str, url: str, site: str, fetched_at: datetime | None = None) -> ArticleItem:
    """Read an IPPEN article page. Raises ExtractionError with a reason when it is not one."""
    sel = Selector(text=html)
    ld = news_article(sel)
    canonical = sel.css('link[rel="canonical"]::attr(href)').get()
    canonical = urljoin(url, canonical) if canonical else url
    h1 = text_of(sel.css(HEADLINE)[:1][0]) if sel.css(HEADLINE) else None
    variants = {
        "h1": h1,
        "og_title": clean(sel.css('meta[property="og:title"]::attr(content)').get()),
        "jsonld": clean(ld.get("headline")),
        "title": clean(sel.css("title::text").get()),
    }
    headline = h1 or variants["jsonld"] or variants["og_title"]
    if not headline:
        raise ExtractionError("no headline")
    body = [b for b in (_block(s) for s in sel.css(BODY)) if b.text]
    if not body:
        raise ExtractionError("empty body")
    breadcrumb = [a for a in (clean(t) for t in sel.css(BREADCRUMB).xpath("string()").getall()) if a]
    kicker = sel.css(KICKER)
    lead = sel.css(LEAD)
    words = sum(len(b.text.split()) for b in body)
    return ArticleItem(
        url=canonical,
        fetched_url=url,
        site=site,
        publisher_id=publisher_id(canonical) or publisher_id(url),
        language=sel.xpath("/html/@lang").get(),
        kicker=text_of(kicker[0]) if kicker else None,
        headline=headline,
        headline_variants={k: v for k, v in variants.items() if v},
        lead=text_of(lead[0]) if lead else None,
        body=body,
        authors=_authors(sel, ld),
        published=parse_datetime(ld.get("datePublished")),
        modified=parse_datetime(ld.get("dateModified")),
        breadcrumb=breadcrumb,
        section=breadcrumb[1] if len(breadcrumb) > 1 else None,  # [0] is the homepage ("Startseite")
        word_count=words,
        html_hash=hashlib.sha256(html.encode("utf-8", "replace")).hexdigest(),
        extractor=NAME,
        fetched_at=fetched_at or datetime.now(UTC),
    )
