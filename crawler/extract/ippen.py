"""Article extractor for the IPPEN.MEDIA CMS (merkur.de, fr.de, tz.de, fnp.de, hna.de, deichstube.de, ...).

Selectors are declared once at the top, one per field, as in fundus' per-publisher parsers, and answered from one
walk over the page (`crawler.extract.class_index`: lxml's CSSSelector cost more than the parse); the markup is read
off real pages in ../shared/fixtures (`id-StoryElement-*` since about 2020, `id-Article-content-item-*` before).
Metadata (dates with offset, canonical URL, tags, paywall) comes from `crawler.extract.metadata`, shared with the
generic profile.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from urllib.parse import urljoin

from lxml.html import HtmlElement

from crawler.extract.class_index import ClassIndex, ClassSelector
from crawler.extract.common import (
    ExtractionError,
    agency_of,
    clean,
    dateline_of,
    html_hash,
    parse_html,
    publisher_id,
    read_date,
    split_authors,
    strip_furniture_tags,
    word_count,
)
from crawler.extract.maintext import FURNITURE_TEXT, strip_inline_furniture
from crawler.extract.metadata import read_metadata
from crawler.items import ArticleItem, Block, Image

__all__ = ["NAME", "ExtractionError", "extract_article", "is_ippen_page"]

NAME = "ippen/1"

STORY = ClassSelector("article.idjs-Story, .id-Story, article.id-Article, .id-Article-content")
HEADLINE = ClassSelector("h1.id-StoryElement-headline, h1.id-Article-content-item-headline, h1")
KICKER = ClassSelector(
    ".id-StoryElement-kicker, .id-StoryElement-headline-kicker, .id-StoryElement-kicker-text, "
    ".id-Article-content-item-headline-kicker, .id-Story-kicker"
)
LEAD = ClassSelector("p.id-StoryElement-leadText, p.id-StoryElement-summary, .id-Article-content-item-summary")
BODY = ClassSelector(
    "p.id-StoryElement-paragraph, h2.id-StoryElement-crosshead, h3.id-StoryElement-crosshead, "
    "ul.id-StoryElement-list, ol.id-StoryElement-list, blockquote.id-StoryElement-quote, "
    ".id-StoryElement-quote, p.id-Article-content-item-paragraph, .id-Article-content-item-headline-text, "
    "ul.id-Article-content-item-list, ol.id-Article-content-item-list"
)
AUTHORS = ClassSelector(
    ".id-StoryElement-authors a, .id-Story-authors a, .id-StoryElement-authors-name, .id-Article-content-item-author a"
)
AUTHORS_TEXT = ClassSelector(".id-StoryElement-authors, .id-Story-authors, .id-Article-content-item-author")
BREADCRUMB = ClassSelector("ol.id-DonaldBreadcrumb li a, .id-Breadcrumb-item a")
TIME = ClassSelector(".id-StoryElement-timestamp time, .id-Story-timestamp time, time")
FIGURE = ClassSelector(
    "figure.id-StoryElement-image, figure.id-Article-content-item-image, figure.id-StoryElement-intestitialLink-image"
)
CAPTION = ClassSelector("figcaption, .id-StoryElement-image-caption")
PAYWALL = ClassSelector(".id-StoryElement-paywall, .id-Paywall, .idjs-paywall, .id-StoryElement-paywallHint")
FURNITURE = re.compile(
    r"id-Recommendation|id-Comments|id-Newsletter|id-StoryElement-factBox|id-StoryElement-embed|id-Teaser|"
    r"id-StoryElement-intestitialLink|id-StoryElement-interactionBar|id-Story-interactionBar|newsletter",
    re.I,
)
"""Class words of IPPEN furniture that can hold paragraph markup."""
SHARE_OBJECT = re.compile(r"""=(\{"title":"(?:[^"\\]|\\.)*"(?:,"(?:text|url)":"(?:[^"\\]|\\.)*")*\})""")
CREDIT = re.compile(r"\s*©\s*(.+)$")

IPPEN_MARKERS = ("id-StoryElement-", "id-Article-content-item", "id-DonaldBreadcrumb", "IPPEN.MEDIA")


def is_ippen_page(html: str) -> bool:
    """Does the page use the IPPEN.MEDIA article markup?"""
    head = html[:400_000] if isinstance(html, str) else ""
    return "id-StoryElement-headline" in head or "id-Article-content-item" in head


def _share_title(root: HtmlElement) -> str | None:
    """The title the page hands to the browser's share dialog (an inline script), another headline variant."""
    for script in root.iter("script"):
        text = script.text or ""
        if "navigator.share" not in text and "canShare" not in text:
            continue
        match = SHARE_OBJECT.search(text)
        if match:
            try:
                return clean(json.loads(match.group(1)).get("title"))
            except (ValueError, AttributeError):
                return None
    return None


def _in_furniture(el: HtmlElement) -> bool:
    for node in el.iterancestors():
        if FURNITURE.search(node.get("class") or "") or FURNITURE.search(node.get("id") or ""):
            return True
    return False


def _block(el: HtmlElement) -> Block | None:
    classes = el.get("class") or ""
    tag = el.tag
    if "crosshead" in classes or tag in ("h2", "h3") or "headline-text" in classes:
        kind = "crosshead"
    elif tag in ("ul", "ol"):
        items = [t for t in (clean(li.text_content()) for li in el.iter("li")) if t]
        return Block(kind="list", text="\n".join(items)) if items else None
    elif tag == "blockquote" or "quote" in classes:
        kind = "quote"
    else:
        kind = "paragraph"
    text = clean(el.text_content())
    if not text or FURNITURE_TEXT.match(text):
        return None
    if kind == "paragraph":
        text = clean(strip_inline_furniture(text))
        if not text:
            return None
    return Block(kind=kind, text=text)


def _images(index: ClassIndex, story: HtmlElement, url: str, lead_image: str | None) -> list[Image]:
    """Story images (figures and photo-gallery links) with caption, credit (after `©`) and alt text; the page's
    og:image only when the story has no figure."""
    images: list[Image] = []
    for fig in index.select(FIGURE, story):
        img = next(fig.iter("img"), None)
        src = (img.get("src") or img.get("data-src")) if img is not None else None
        if not src:
            continue
        cap = index.select(CAPTION, fig)
        caption = clean(cap[0].text_content()) if cap else None
        credit = None
        if caption:
            match = CREDIT.search(caption)
            if match:
                credit, caption = clean(match.group(1)), clean(caption[: match.start()])
        alt = clean(img.get("alt")) if img is not None else None
        images.append(Image(url=urljoin(url, src.strip()), caption=caption, credit=credit, alt=alt))
    if lead_image and not images:
        images.append(Image(url=lead_image))
    return images


def extract_article(html: str, url: str, site: str, fetched_at: datetime | None = None) -> ArticleItem:
    """Read an IPPEN article page. Raises ExtractionError with a reason when it is not one."""
    try:
        return _extract(html, url, site, fetched_at)
    except ExtractionError:
        raise
    except (RecursionError, MemoryError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise ExtractionError(f"unreadable page ({type(exc).__name__}: {exc})") from exc


def _extract(html: str, url: str, site: str, fetched_at: datetime | None) -> ArticleItem:
    root = parse_html(html)
    meta = read_metadata(root, url)
    share = _share_title(root)
    strip_furniture_tags(root)
    index = ClassIndex(root)
    stories = index.select(STORY, root)
    story = stories[0] if stories else root
    h1_els = index.select(HEADLINE, story) or index.select(HEADLINE, root)
    h1_el = h1_els[0] if h1_els else None
    h1 = clean(h1_el.text_content()) if h1_el is not None else None
    headline = h1 or meta.ld_headline or meta.og_title
    if not headline:
        raise ExtractionError("no headline")
    lead_els = index.select(LEAD, story)
    lead = clean(lead_els[0].text_content()) if lead_els else None
    body = [b for b in (_block(el) for el in index.select(BODY, story) if not _in_furniture(el)) if b is not None]
    while body and body[-1].kind == "crosshead":
        body.pop()
    if not any(b.kind != "crosshead" for b in body):
        raise ExtractionError("empty body")

    byline = [clean(a.text_content()) or "" for a in index.select(AUTHORS, story)]
    if not any(byline):
        byline = [clean(el.text_content()) or "" for el in index.select(AUTHORS_TEXT, story)]
    authors = split_authors(byline) or split_authors(meta.ld_authors)

    published = meta.published
    if published is None or not published.has_time:
        for el in index.select(TIME, story):
            when = read_date(el.get("datetime"))
            if when is not None:
                published = when
                break

    breadcrumb = [t for t in (clean(a.text_content()) for a in index.select(BREADCRUMB, root)) if t] or meta.breadcrumb
    kicker_els = index.select(KICKER, story)
    paragraphs = [b.text for b in body if b.kind == "paragraph"]
    last_words = re.findall(r"\b(\w[\w-]*)\W*$", paragraphs[-1]) if paragraphs else []
    canonical = meta.canonical or url
    variants = {"h1": h1, "og_title": meta.og_title, "jsonld": meta.ld_headline, "title": meta.title_tag}
    if share:
        variants["share"] = share
    return ArticleItem(
        url=canonical,
        fetched_url=url,
        site=site,
        publisher_id=publisher_id(canonical) or publisher_id(url),
        language=meta.language,
        kicker=clean(kicker_els[0].text_content()) if kicker_els else None,
        headline=headline,
        headline_variants={k: v for k, v in variants.items() if v},
        lead=lead,
        body=body,
        authors=authors,
        agency=agency_of(authors) or agency_of(last_words),
        dateline=dateline_of(paragraphs[0] if paragraphs else None),
        published=published.utc if published else None,
        published_raw=published.raw if published else None,
        modified=meta.modified.utc if meta.modified else None,
        modified_raw=meta.modified.raw if meta.modified else None,
        breadcrumb=breadcrumb,
        section=breadcrumb[1] if len(breadcrumb) > 1 else meta.section,  # [0] is the homepage ("Startseite")
        tags=meta.tags,
        images=_images(index, story, url, meta.image),
        paywall=meta.paywall or bool(index.select(PAYWALL, story)),
        word_count=word_count(([lead] if lead else []) + [b.text for b in body]),
        html_hash=html_hash(html),
        extractor=NAME,
        fetched_at=fetched_at or datetime.now(UTC),
    )
