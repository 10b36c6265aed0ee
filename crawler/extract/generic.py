"""Generic article extractor for any news site: JSON-LD NewsArticle, OpenGraph/meta tags and main-text rules.

Field by field (see docs/extraction.md):
- headline: visible `<h1>` (kicker removed), else JSON-LD headline, else og:title; every variant is kept;
- authors: JSON-LD persons; a visible byline when JSON-LD names only an organization or nobody; meta author;
- published/modified: JSON-LD, then meta tags, then the first `<time datetime>`; wall-clock times in Europe/Berlin;
- body: `crawler.extract.maintext` rules; trafilatura only when those rules find no text at all.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

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
from crawler.extract.maintext import KICKER_CLASS, extract_main_text, find_kicker
from crawler.extract.metadata import PageMeta, read_metadata
from crawler.items import ArticleItem, Block, Image

NAME = "generic/1"

BYLINE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:author|authors|autor|autoren|byline|article-?author|author-?name|creator|"
    r"authorname|author-?link|contributor)(?:$|[\s_-])",
    re.I,
)
"""Class/id words of a visible byline."""
BYLINE_SKIP = re.compile(
    r"(?:^|[\s_-])(?:bio|description|image|img|avatar|photo|social|follow|more|box)(?:$|[\s_-])", re.I
)
CREDIT = re.compile(r"(?:©|\(c\)|Foto:|Fotos:|Bild:|Quelle:)\s*(.+)$", re.I)


def _site_of(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else host


def _h1(root: HtmlElement) -> tuple[str | None, str | None]:
    """(headline, kicker) from the first `<h1>` with text; a kicker span inside the h1 is split off."""
    for h1 in root.iter("h1"):
        kicker = None
        parts = []
        for child in h1.iter():
            if child is not h1 and KICKER_CLASS.search(f"{child.get('class') or ''}"):
                kicker = clean(child.text_content())
        text = clean(h1.text_content())
        if not text:
            continue
        if kicker and text.startswith(kicker) and len(text) > len(kicker) + 3:
            parts.append(clean(text[len(kicker) :].lstrip(" :")))
            return parts[0], kicker.rstrip(":")
        return text, kicker
    return None, None


def _byline(root: HtmlElement, container: HtmlElement | None) -> list[str]:
    """Names in a visible byline: links inside an author element, else its text."""
    scopes = []
    if container is not None:
        scopes.append(container.getparent() if container.getparent() is not None else container)
    scopes.append(root)
    for scope in scopes:
        for el in scope.iter():
            if not isinstance(el.tag, str) or el.tag in ("meta", "link", "img", "body", "html"):
                continue
            attrs = f"{el.get('class') or ''} {el.get('id') or ''} {el.get('rel') or ''} {el.get('itemprop') or ''}"
            if not BYLINE_CLASS.search(attrs) or BYLINE_SKIP.search(attrs):
                continue
            text = clean(el.text_content())
            if not text or len(text) > 200:
                continue
            links = [clean(a.text_content()) for a in el.iter("a")]
            links = [a for a in links if a and len(a) < 60]
            names = split_authors(links if links and sum(map(len, links)) >= 0.5 * len(text) else [text])
            if names:
                return names
    return []


def choose_authors(meta: PageMeta, byline: list[str]) -> list[str]:
    """JSON-LD persons first; a visible byline wins over an organization-only JSON-LD author."""
    ld = split_authors(meta.ld_authors)
    persons = [a for a, k in zip(meta.ld_authors, meta.ld_author_kinds, strict=False) if k == "Person"]
    if ld and (persons or not byline):
        return ld
    if byline:
        return byline
    if ld:
        return ld
    return split_authors(a for a in meta.meta_authors if a.lower() not in ("lto", "ndr", "wdr"))


def _visible_date(root: HtmlElement) -> list[str]:
    out = []
    for el in root.iter("time"):
        value = el.get("datetime") or el.get("content")
        if value:
            out.append(value)
    for el in root.iterfind(".//*[@itemprop='datePublished']"):
        out.append(el.get("content") or el.get("datetime") or el.text_content())
    return out


def _images(root: HtmlElement, container: HtmlElement | None, url: str, lead_image: str | None) -> list[Image]:
    images: list[Image] = []
    seen: set[str] = set()
    scope = container.getparent() if container is not None and container.getparent() is not None else container
    for fig in scope.iter("figure") if scope is not None else ():
        img = next(fig.iter("img"), None)
        if img is None:
            continue
        src = img.get("src") or img.get("data-src") or ""
        if not src or src.startswith("data:"):
            continue
        src = urljoin(url, src.strip())
        cap_el = next(fig.iter("figcaption"), None)
        caption = clean(cap_el.text_content()) if cap_el is not None else clean(img.get("alt"))
        credit = None
        if caption:
            match = CREDIT.search(caption)
            if match:
                credit = clean(match.group(1))
                caption = clean(caption[: match.start()])
        if src not in seen:
            seen.add(src)
            images.append(Image(url=src, caption=caption, credit=credit))
    if lead_image and lead_image not in seen:
        images.insert(0, Image(url=lead_image))
    return images


def _trafilatura_fallback(html: str) -> list[Block]:
    """Only when the rules found no text at all: trafilatura's paragraphs."""
    try:
        import trafilatura
    except ImportError:  # optional
        return []
    try:
        text = trafilatura.extract(html, include_comments=False, include_tables=False) or ""
    except Exception:  # a fallback must never fail the page
        return []
    return [Block(kind="paragraph", text=t) for t in (clean(x) for x in text.split("\n")) if t]


def extract_article(html: str, url: str, site: str | None = None, fetched_at: datetime | None = None) -> ArticleItem:
    """Read any news article page. Raises ExtractionError with a reason when the page is not readable."""
    try:
        return _extract(html, url, site, fetched_at)
    except ExtractionError:
        raise
    except (RecursionError, MemoryError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise ExtractionError(f"unreadable page ({type(exc).__name__}: {exc})") from exc


def _extract(html: str, url: str, site: str | None, fetched_at: datetime | None) -> ArticleItem:
    root = parse_html(html)
    meta = read_metadata(root, url)
    visible_dates = _visible_date(root)
    strip_furniture_tags(root)
    h1, kicker = _h1(root)
    headline = h1 or meta.ld_headline or meta.og_title
    if not headline:
        raise ExtractionError("no headline")
    main = extract_main_text(root, meta.description, [t for t in (meta.og_title, meta.ld_headline) if t])
    blocks = main.blocks
    if not any(b.kind != "crosshead" for b in blocks):
        blocks = _trafilatura_fallback(html if isinstance(html, str) else "")
    if not any(b.kind != "crosshead" for b in blocks):
        raise ExtractionError("empty body")
    published = meta.published
    if published is None or not published.has_time:
        for raw in visible_dates:
            when = read_date(raw)
            if when is not None and (published is None or when.has_time):
                published = when
                break
    authors = choose_authors(meta, _byline(root, main.container))
    paragraphs = [b.text for b in blocks if b.kind == "paragraph"]
    canonical = meta.canonical or url
    breadcrumb = meta.breadcrumb
    texts = ([main.lead] if main.lead else []) + [b.text for b in blocks]
    return ArticleItem(
        url=canonical,
        fetched_url=url,
        site=site or _site_of(canonical),
        publisher_id=publisher_id(canonical) or publisher_id(url),
        language=meta.language,
        kicker=kicker or find_kicker(root),
        headline=headline,
        headline_variants={
            k: v
            for k, v in {
                "h1": h1,
                "og_title": meta.og_title,
                "jsonld": meta.ld_headline,
                "title": meta.title_tag,
            }.items()
            if v
        },
        lead=main.lead,
        body=blocks,
        authors=authors,
        agency=agency_of(authors) or agency_of(re.findall(r"\((\w+)\)\s*$", paragraphs[-1]) if paragraphs else []),
        dateline=dateline_of(paragraphs[0] if paragraphs else None),
        published=published.utc if published else None,
        published_raw=published.raw if published else None,
        modified=meta.modified.utc if meta.modified else None,
        modified_raw=meta.modified.raw if meta.modified else None,
        breadcrumb=breadcrumb,
        section=meta.section or (breadcrumb[1] if len(breadcrumb) > 1 else None),
        tags=meta.tags,
        images=_images(root, main.container, url, meta.image),
        paywall=meta.paywall,
        word_count=word_count(texts),
        html_hash=html_hash(html),
        extractor=NAME,
        fetched_at=fetched_at or datetime.now(UTC),
    )
