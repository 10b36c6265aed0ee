"""Generic article extractor for any news site: JSON-LD NewsArticle, OpenGraph/meta tags and main-text rules.

Field by field (see docs/extraction.md):
- headline: visible `<h1>` (kicker removed), else JSON-LD headline, else og:title; every variant is kept;
- authors: JSON-LD persons; a visible byline when JSON-LD names only an organization or nobody; meta author;
- published/modified: JSON-LD, then meta tags, then the first `<time datetime>`; wall-clock times in Europe/Berlin;
- body: `crawler.extract.maintext` rules; trafilatura only when those rules find no text at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from lxml.etree import XPath
from lxml.html import HtmlElement

from crawler.extract.article import build_article
from crawler.extract.dates import When, read_date, read_human_date
from crawler.extract.headlines import clean_headline, text_without
from crawler.extract.maintext import KICKER_CLASS, MainText, extract_main_text, find_kicker
from crawler.extract.metadata import PageMeta, read_metadata
from crawler.extract.parsing import PAGE_FAULTS, ExtractionError, parse_html, strip_furniture_tags, unreadable
from crawler.extract.urls import join_url, site_of
from crawler.model.bylines import agency_of, dateline_of, join_agencies, persons_and_organisations, split_authors
from crawler.model.items import ArticleItem, Block, Image
from crawler.model.text import clean

NAME = "generic/2"

MIN_FALLBACK_TEXT = 200
"""Characters trafilatura's fallback text needs before it counts as a body (less is a page without article)."""

BYLINE_CLASS = re.compile(r"author|autor|byline|creator|contributor|verfasser|person-?link", re.I)
"""Class/id words of a visible byline (substrings: `metaInfoAuthorList`, `article__byline`)."""
BYLINE_SKIP = re.compile(
    r"bio|description|image|img|avatar|photo|social|follow|more|box|brand|teaser|info-?text|date|time|kicker|"
    r"short|title|headline",
    re.I,
)
BYLINE_TEXT = re.compile(r"^(?:von|by|text|autor(?:in)?|autoren)\s*:?\s+(?P<names>\S.{1,140})$", re.I | re.S)
"""A byline written out: `Von: A, B und C`."""
AUTHOR_HREF = re.compile(
    r"/(?:autor|autoren|author|authors|person|personen|team|redaktion|profil|profile)(?:/|-|$)", re.I
)
HIDDEN = re.compile(r"visually-hidden|sr-only|screen-reader|u-hidden|hidden", re.I)
NOT_BYLINE_TAGS = frozenset({"html", "head", "body", "main", "article", "section", "meta", "link", "img", "figure"})
DATE_CLASS = re.compile(r"date|time|datum|zeit|lineinfo|technicalline|meta|publish", re.I)
CREDIT = re.compile(r"(?:©|\(c\)|Foto:|Fotos:|Bild:|Quelle:)\s*(.+)$", re.I)


HEADLINE_LABEL = re.compile(r"(?:^|[\s_-])(?:topic|rubri[ck]|ressort|category|label)(?:$|[\s_-])", re.I)
"""Class words of a topic label a page sets inside its headline element (`<span class=...title__topic>Kultur`)."""
BREADCRUMB = re.compile(r"breadcrumb|modal|dialog", re.I)
"""A heading's own or near wrapper's words for the breadcrumb trail and for dialogs (`h1.modal__title`)."""


def _in_breadcrumb(el: HtmlElement) -> bool:
    """A heading that is part of the breadcrumb trail (`h1.breadcrumb__headline`, `h1[data-breadcrumb-headline]`,
    a `nav` or breadcrumb-classed element up to three levels above) or of a dialog: the page repeats a short
    title there, the reader's headline is elsewhere. Wrappers further up say nothing (`body.has-breadcrumb`)."""
    if BREADCRUMB.search(" ".join([el.get("class") or "", el.get("id") or "", *el.attrib.keys()])):
        return True
    for depth, node in enumerate(el.iterancestors()):
        if depth >= 3:
            break
        if node.tag in ("nav", "dialog") or BREADCRUMB.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return True
    return False


def _kicker_inside(heading: HtmlElement) -> HtmlElement | None:
    for child in heading.iterdescendants():
        attrs = f"{child.get('class') or ''}"
        if isinstance(child.tag, str) and (KICKER_CLASS.search(attrs) or HEADLINE_LABEL.search(attrs)):
            return child
    return None


def _h1(root: HtmlElement) -> tuple[str | None, str | None, HtmlElement | None]:
    """(headline, kicker, element) from the first `<h1>` with text outside the breadcrumb trail, else the first
    `<h2>` holding a kicker (pages whose `h1` is a breadcrumb entry); a kicker or topic label inside is split off."""
    headings = [h for h in root.iter("h1") if not _in_breadcrumb(h)]
    if not any(clean(h.text_content()) for h in headings):
        headings = [h for h in root.iter("h2") if _kicker_inside(h) is not None and not _in_breadcrumb(h)]
    for h1 in headings:
        text = clean(h1.text_content())
        if not text:
            continue
        inside = _kicker_inside(h1)
        kicker = clean(inside.text_content()) if inside is not None else None
        if kicker and inside is not None and text.startswith(kicker):
            own = clean_headline(text_without(h1, [inside]))  # the markup parts them, not the kicker's text
            if own and len(own) > 3:
                return own, kicker.rstrip(" :"), h1
        return text, None, h1  # a "kicker" that does not open the headline is not one
    return None, None, None


def _visible_text(el: HtmlElement) -> str:
    """Text a reader sees: screen-reader-only and hidden descendants left out."""
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str) and not HIDDEN.search(f"{child.get('class') or ''}"):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return clean("".join(parts)) or ""


def _names_in(el: HtmlElement) -> list[str]:
    """Names in a byline element: its links when they carry the names, else its text."""
    text = _visible_text(el)
    links = [t for t in (_visible_text(a) for a in el.iter("a")) if t and len(t) < 60]
    if links and sum(map(len, links)) >= 0.4 * len(text):
        return split_authors(links)
    match = BYLINE_TEXT.match(text)
    names = split_authors([match.group("names") if match else text])
    # "Von Anna Sleegers, Frankfurt": a lone last word after full names is the place the author writes from
    lone_place = len(names) > 1 and len(names[-1].split()) == 1 and not agency_of(names[-1:])
    if lone_place and all(len(n.split()) >= 2 for n in names[:-1]):
        names = names[:-1]
    return names


NOT_BYLINE_AREA = re.compile(
    r"comment|kommentar|related|recommend|empfehlung|teaser|caption|credit|copyright|reply|discussion", re.I
)
"""Class/id words of page parts whose names are never the article's authors: user comments, other articles'
teasers, photo credits."""
NOT_BYLINE_AREA_TAGS = frozenset({"figure", "figcaption", "aside", "footer"})


def _in_other_content(el: HtmlElement, area: HtmlElement) -> bool:
    """Inside a link (another article's teaser), a comment, a related-articles box or a photo credit, below
    `area` (the words of the page's wrappers above it say nothing of the byline)."""
    for a in el.iterancestors():
        if a is area:
            return False
        if a.tag == "a" or a.tag in NOT_BYLINE_AREA_TAGS:
            return True
        if NOT_BYLINE_AREA.search(f"{a.get('class') or ''} {a.get('id') or ''}"):
            return True
    return False


def _byline(scope: HtmlElement | None, root: HtmlElement) -> list[str]:
    """A visible byline in the article's scope, else anywhere on the page (`_BylineSearch`)."""
    for area in (scope, root) if scope is not None else (root,):
        found = _BylineSearch(area).names()
        if found:
            return found
    return []


class _BylineSearch:
    """A visible byline in `area`: author-classed elements (all of them), else `Von ...` text, else author-page
    links. Elements inside links are teasers of other articles, never the byline."""

    def __init__(self, area: HtmlElement) -> None:
        self.area = area
        self.by_class: list[str] = []
        self.by_text: list[str] = []
        self.by_href: list[str] = []
        self.claimed: set[HtmlElement] = set()
        """Descendants of an author-classed element already read: its names are taken."""

    def names(self) -> list[str]:
        for el in self.area.iter():
            if isinstance(el.tag, str) and el.tag not in NOT_BYLINE_TAGS and el not in self.claimed:
                self._consider(el)
        return split_authors(self.by_class) or self.by_text or self.by_href

    def _consider(self, el: HtmlElement) -> None:
        attrs = f"{el.get('class') or ''} {el.get('id') or ''} {el.get('rel') or ''} {el.get('itemprop') or ''}"
        classed = len(attrs) > 8 and BYLINE_CLASS.search(attrs) and not BYLINE_SKIP.search(attrs)
        head = el.text
        opens = bool(head) and head.lstrip()[:6].lower().startswith(("von", "by", "text:", "autor"))
        linked = el.tag == "a" and AUTHOR_HREF.search(el.get("href") or "")
        if not (classed or opens or linked) or HIDDEN.search(attrs):
            return
        text = clean(el.text_content())
        if not text or len(text) > 150 or _in_other_content(el, self.area):
            return
        if classed:
            names = _names_in(el)
            if names:
                self.by_class.extend(names)
                self.claimed.update(el.iterdescendants())
        elif opens and not self.by_text and BYLINE_TEXT.match(text):
            self.by_text = _names_in(el)
        elif linked and not self.by_href:
            self.by_href = split_authors([text])


def _visible_date(scope: HtmlElement | None) -> When | None:
    """A date written for readers near the headline (`Do 25.04.24 | 14:07 Uhr`), when no machine date has a time."""
    if scope is None:
        return None
    for el in scope.iter("time", "span", "div", "p", "li"):
        attrs = f"{el.get('class') or ''} {el.get('id') or ''}"
        if el.tag != "time" and not DATE_CLASS.search(attrs):
            continue
        text = clean(el.text_content())
        if text and len(text) <= 200:
            when = read_human_date(text)
            if when is not None:
                return when
    return None


def choose_authors(meta: PageMeta, byline: Callable[[], list[str]]) -> list[str]:
    """JSON-LD persons first; a visible byline wins over an organization-only JSON-LD author; meta author last.

    `byline` is called only when JSON-LD names no person (reading the byline is the costly part).
    """
    ld = split_authors(meta.ld_authors)
    if any(k == "Person" for k in meta.ld_author_kinds):
        return ld
    return byline() or ld or split_authors(meta.meta_authors)


TIME_ATTRIBUTES = XPath(
    "//time/@datetime | //*[@itemprop='datePublished']/@content | //*[@itemprop='datePublished']/@datetime"
)


def _time_attributes(root: HtmlElement) -> list[str]:
    """Machine-readable dates in the markup (`<time datetime>`, microdata), in page order."""
    return [str(v) for v in TIME_ATTRIBUTES(root)]


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
        src = join_url(url, src)
        if src is None:
            continue
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


def extract_article(
    html: str, url: str, site: str | None = None, fetched_at: datetime | None = None, *, last_resort: bool = True
) -> ArticleItem:
    """Read any news article page. Raises ExtractionError with a reason when the page is not readable.

    `last_resort=False` leaves trafilatura's text out: a publisher profile's fallback reads a page whose markup
    it does not know, not a known page with an empty body (trafilatura would return its teasers as text)."""
    try:
        return _extract(html, url, site, fetched_at, last_resort)
    except ExtractionError:
        raise
    except PAGE_FAULTS as exc:
        raise unreadable(exc) from exc


def _extract(html: str, url: str, site: str | None, fetched_at: datetime | None, last_resort: bool) -> ArticleItem:
    root = parse_html(html)
    meta = read_metadata(root, url)
    time_attributes = _time_attributes(root) if meta.published is None or not meta.published.has_time else []
    strip_furniture_tags(root)
    return _Page(root, meta, url, time_attributes).article(html, site, fetched_at, last_resort)


class _Page:
    """A page as the generic rules read it: one method per field of the article."""

    def __init__(self, root: HtmlElement, meta: PageMeta, url: str, time_attributes: list[str]) -> None:
        self.root = root
        self.meta = meta
        self.url = url
        self.time_attributes = time_attributes
        """Machine dates in the markup, read before the tags were stripped (only when metadata has no time)."""

    def article(self, html: str, site: str | None, fetched_at: datetime | None, last_resort: bool) -> ArticleItem:
        """The article, or ExtractionError when the page has no headline or no body."""
        h1, kicker, h1_el = _h1(self.root)
        kicker = kicker or find_kicker(self.root, h1_el)
        headline = h1 or self.meta.fallback_headline(kicker)
        if not headline:
            raise ExtractionError("no headline")
        titles = [t for t in (self.meta.og_title, self.meta.ld_headline) if t]
        main = extract_main_text(self.root, self.meta.description, titles)
        body = self.body(main, html, headline, last_resort)
        published = self.published(main.scope)
        authors, agency = self.authors_and_agency(main.scope, body)
        paragraphs = [b.text for b in body if b.kind == "paragraph"]
        breadcrumb = self.meta.breadcrumb
        return build_article(
            self.meta,
            self.url,
            html,
            fetched_at,
            lead=main.lead,
            body=body,
            published=published,
            site=site or site_of(self.meta.canonical or self.url),
            kicker=kicker,
            headline=headline,
            headline_variants=self.meta.headline_variants(h1),
            authors=authors,
            agency=agency,
            dateline=dateline_of(paragraphs[0] if paragraphs else None),
            breadcrumb=breadcrumb,
            section=self.meta.section or (breadcrumb[1] if len(breadcrumb) > 1 else None),
            images=_images(self.root, main.container, self.url, self.meta.image),
            paywall=self.meta.paywall,
            extractor=NAME,
        )

    def body(self, main: MainText, html: str, headline: str, last_resort: bool) -> list[Block]:
        """The main text's blocks; trafilatura's text only when they hold none (and `last_resort`)."""
        blocks = main.blocks
        if last_resort and not any(b.kind != "crosshead" for b in blocks):
            fallback = [b for b in _trafilatura_fallback(html if isinstance(html, str) else "") if b.text != headline]
            blocks = fallback if sum(len(b.text) for b in fallback) >= MIN_FALLBACK_TEXT else []
        if not any(b.kind != "crosshead" for b in blocks):
            raise ExtractionError("empty body")
        return blocks

    def published(self, scope: HtmlElement | None) -> When | None:
        """The metadata's date; without a time of day, a `<time datetime>` with one, else a reader's date near
        the headline."""
        published = self.meta.published
        if published is None or not published.has_time:
            for raw in self.time_attributes:
                when = read_date(raw)
                if when is not None and (published is None or when.has_time):
                    published = when
                    break
        if published is None or not published.has_time:
            seen = _visible_date(scope)
            if seen is not None and (published is None or seen.has_time):
                published = seen
        return published

    def authors_and_agency(self, scope: HtmlElement | None, body: list[Block]) -> tuple[list[str], str | None]:
        """Persons (`choose_authors`); organisations credited go to the agency, else an agency in brackets
        closing the last paragraph (`(dpa)`)."""
        byline = choose_authors(self.meta, lambda: _byline(scope, self.root))
        authors, organisations = persons_and_organisations(byline, self.meta.organisation_names)
        paragraphs = [b.text for b in body if b.kind == "paragraph"]
        closing = re.findall(r"\((\w+)\)\s*$", paragraphs[-1]) if paragraphs else []
        return authors, join_agencies(organisations) or agency_of(closing)
