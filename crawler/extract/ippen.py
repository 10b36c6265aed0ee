"""Article profile for the IPPEN.MEDIA CMS (merkur.de, fr.de, tz.de, fnp.de, hna.de, deichstube.de, ...).

Declarative and versioned by markup generation, the way fundus keeps a parser class per publisher with dated
versions: each `Generation` names the class tokens that mark it and its selectors, one per field, answered from
one walk over the page (`crawler.extract.class_index`: lxml's CSSSelector cost more than the parse). A page is read
by the first generation it carries the markers of; the article records which one (`extractor`, e.g.
`ippen/2023`). A page no generation reads raises `ExtractionError`, and `crawler.extract.profiles` hands it to
the generic extractor. Metadata (dates with offset, canonical URL, tags, paywall) comes from
`crawler.extract.metadata`, shared with the generic profile.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from lxml.html import HtmlElement

from crawler.extract.article import build_article
from crawler.extract.class_index import ClassIndex, ClassSelector
from crawler.extract.dates import When, read_date
from crawler.extract.headlines import clean_headline, text_without
from crawler.extract.maintext import FURNITURE_TEXT, strip_inline_furniture
from crawler.extract.metadata import PageMeta, read_metadata
from crawler.extract.parsing import PAGE_FAULTS, ExtractionError, parse_html, strip_furniture_tags, unreadable
from crawler.extract.urls import join_url
from crawler.model.bylines import agency_of, dateline_of, join_agencies, persons_and_organisations, split_authors
from crawler.model.items import ArticleItem, Block, Image
from crawler.model.text import clean

__all__ = ["GENERATIONS", "NAME", "ExtractionError", "Generation", "extract_article", "is_ippen_page"]


TIME = ClassSelector(".id-StoryElement-timestamp time, .id-Story-timestamp time, time")
BREADCRUMB = ClassSelector("ol.id-DonaldBreadcrumb li a, .id-Breadcrumb-item a")
FIGURE = ClassSelector(
    "figure.id-StoryElement-image, figure.id-Article-content-item-image, figure.id-StoryElement-intestitialLink-image"
)
CAPTION = ClassSelector("figcaption, .id-StoryElement-image-caption")
PAYWALL = ClassSelector(".id-StoryElement-paywall, .id-Paywall, .idjs-paywall, .id-StoryElement-paywallHint")
"""Selectors every generation shares unless it declares its own."""


@dataclass(frozen=True)
class Generation:
    """One markup generation of the IPPEN CMS, declared like a fundus parser version: the class tokens that mark
    it and, per field, the selectors. A tuple of selectors is tried in order of preference (the first that
    matches wins, whatever the document order); a single selector returns its matches in document order."""

    name: str
    """Recorded as the article's `extractor`: profile and the year the markup was first read off a real page."""
    markers: tuple[str, ...]
    story: tuple[ClassSelector, ...]
    headline: tuple[ClassSelector, ...]
    headline_text: tuple[ClassSelector, ...]
    """Inside the headline element: the headline's own text, when the element also holds the kicker."""
    kicker: tuple[ClassSelector, ...]
    lead: tuple[ClassSelector, ...]
    body: ClassSelector
    authors: ClassSelector
    authors_text: ClassSelector
    time: ClassSelector = TIME
    breadcrumb: ClassSelector = BREADCRUMB
    figure: ClassSelector = FIGURE
    caption: ClassSelector = CAPTION
    paywall: ClassSelector = PAYWALL


def _prefer(*css: str) -> tuple[ClassSelector, ...]:
    return tuple(ClassSelector(c) for c in css)


STORY_ELEMENT = Generation(
    name="ippen/2023",
    markers=("id-StoryElement-headline",),
    story=_prefer("article.idjs-Story", ".id-Story"),
    headline=_prefer("h1.id-StoryElement-headline", "h1"),
    headline_text=_prefer(".id-StoryElement-headline-text"),
    kicker=_prefer(
        ".id-StoryElement-kicker-text",
        ".id-StoryElement-headline-kicker",
        ".id-StoryElement-kicker",
        ".id-Story-kicker",
    ),
    lead=_prefer("p.id-StoryElement-leadText", "p.id-StoryElement-summary"),
    body=ClassSelector(
        "p.id-StoryElement-paragraph, h2.id-StoryElement-crosshead, h3.id-StoryElement-crosshead, "
        "ul.id-StoryElement-list, ol.id-StoryElement-list, blockquote.id-StoryElement-quote, .id-StoryElement-quote"
    ),
    authors=ClassSelector(".id-StoryElement-authors a, .id-Story-authors a, .id-StoryElement-authors-name"),
    authors_text=ClassSelector(".id-StoryElement-authors, .id-Story-authors"),
)
"""`id-StoryElement-*`: merkur.de 2023, fr.de 2024 (../shared/fixtures)."""

ARTICLE_CONTENT = Generation(
    name="ippen/2020",
    markers=("id-Article-content-item", "id-Article-headline"),
    story=_prefer("article.id-Article", ".id-Article-content", ".id-Article"),
    headline=_prefer("h1.id-Article-headline", "h2.id-Article-headline", "h1.id-Article-content-item-headline", "h1"),
    headline_text=_prefer(".id-Article-headline-text"),
    kicker=_prefer(".id-Article-kicker-text", ".id-Article-content-item-headline-kicker", ".id-Article-kicker"),
    lead=_prefer(".id-Article-content-item-summary"),
    body=ClassSelector(
        "p.id-Article-content-item-paragraph, p.id-Article-content-item, .id-Article-content-item-headline-text, "
        "h2.id-Article-content-item-headline, h3.id-Article-content-item-headline, "
        "ul.id-Article-content-item-list, ol.id-Article-content-item-list, "
        "blockquote.id-Article-content-item-quote"
    ),
    authors=ClassSelector(".id-Article-content-item-author a, .id-Article-author a, .id-Article-authors a"),
    authors_text=ClassSelector(".id-Article-content-item-author, .id-Article-author, .id-Article-authors"),
)
"""`id-Article-*`: fr.de in 2020 (kicker `p.id-Article-kicker > span.id-Article-kicker-text`, headline
`h2.id-Article-headline`, paragraphs `p.id-Article-content-item`, lead `...-item-summary`) and the older pages
with `id-Article-content-item-paragraph` / `-headline-text`."""

GENERATIONS = (STORY_ELEMENT, ARTICLE_CONTENT)
"""Newest first: a page is read by the first generation whose markers it carries and that finds a headline and
a body; a page none of them reads is left to the generic extractor (`crawler.extract.profiles`)."""
NAME = STORY_ELEMENT.name

FURNITURE = re.compile(
    r"id-Recommendation|id-Comments|id-Newsletter|id-StoryElement-factBox|id-StoryElement-embed|id-Teaser|"
    r"id-StoryElement-intestitialLink|id-StoryElement-interactionBar|id-Story-interactionBar|newsletter",
    re.I,
)
"""Class words of IPPEN furniture that can hold paragraph markup."""
SHARE_OBJECT = re.compile(r"""=(\{"title":"(?:[^"\\]|\\.)*"(?:,"(?:text|url)":"(?:[^"\\]|\\.)*")*\})""")
CREDIT = re.compile(r"\s*©\s*(.+)$")


def is_ippen_page(html: str) -> bool:
    """Does the page use the IPPEN.MEDIA article markup (of any generation)?"""
    head = html[:400_000] if isinstance(html, str) else ""
    return any(marker in head for generation in GENERATIONS for marker in generation.markers)


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


def _first(
    index: ClassIndex,
    preferred: tuple[ClassSelector, ...],
    within: HtmlElement,
    keep: Callable[[HtmlElement], bool] = lambda el: True,
) -> HtmlElement | None:
    """The first match of the most preferred selector that matches (not the first in document order)."""
    for selector in preferred:
        for el in index.select(selector, within):
            if keep(el):
                return el
    return None


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


def extract_article(html: str, url: str, site: str, fetched_at: datetime | None = None) -> ArticleItem:
    """Read an IPPEN article page with the first generation that reads it. Raises ExtractionError with a reason
    (the newest generation's) when none does."""
    try:
        return _extract(html, url, site, fetched_at)
    except ExtractionError:
        raise
    except PAGE_FAULTS as exc:
        raise unreadable(exc) from exc


def _extract(html: str, url: str, site: str, fetched_at: datetime | None) -> ArticleItem:
    root = parse_html(html)
    meta = read_metadata(root, url)
    share = _share_title(root)
    strip_furniture_tags(root)
    index = ClassIndex(root)
    marked = [g for g in GENERATIONS if any(m in index.by_class for m in g.markers)]
    first_error: ExtractionError | None = None
    for generation in marked or GENERATIONS[:1]:
        try:
            return _Story(generation, index, root, meta, url).article(html, site, fetched_at, share)
        except ExtractionError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


class _Story:
    """A page as one generation reads it: one method per field of the article."""

    def __init__(self, generation: Generation, index: ClassIndex, root: HtmlElement, meta: PageMeta, url: str) -> None:
        self.generation = generation
        self.index = index
        self.root = root
        self.meta = meta
        self.url = url
        story = _first(index, generation.story, root)
        self.story = story if story is not None else root

    def article(self, html: str, site: str, fetched_at: datetime | None, share: str | None) -> ArticleItem:
        """The article, or ExtractionError when this generation finds no headline or no body."""
        headline_el = self.headline_element()
        h1, kicker = self.headline_and_kicker(headline_el)
        headline = h1 or self.meta.fallback_headline(kicker)
        if not headline:
            raise ExtractionError("no headline")
        lead_el = _first(self.index, self.generation.lead, self.story)
        lead = clean(lead_el.text_content()) if lead_el is not None else None
        body = self.body({el for el in (lead_el, headline_el) if el is not None})
        authors, agency = self.authors_and_agency(body)
        published = self.published()
        breadcrumb = self.breadcrumb()
        paragraphs = [b.text for b in body if b.kind == "paragraph"]
        return build_article(
            self.meta,
            self.url,
            html,
            fetched_at,
            lead=lead,
            body=body,
            published=published,
            site=site,
            kicker=kicker,
            headline=headline,
            headline_variants=self.meta.headline_variants(h1, share=share),
            authors=authors,
            agency=agency,
            dateline=dateline_of(paragraphs[0] if paragraphs else None),
            breadcrumb=breadcrumb,
            section=breadcrumb[1] if len(breadcrumb) > 1 else self.meta.section,  # [0] is the homepage
            images=self.images(),
            paywall=self.meta.paywall or bool(self.index.select(self.generation.paywall, self.story)),
            extractor=self.generation.name,
        )

    def headline_element(self) -> HtmlElement | None:
        """The generation's headline element in the story, else anywhere on the page."""
        found = _first(self.index, self.generation.headline, self.story)
        return found if found is not None else _first(self.index, self.generation.headline, self.root)

    def headline_and_kicker(self, headline_el: HtmlElement | None) -> tuple[str | None, str | None]:
        """The headline's own text and the kicker apart, also where the headline element holds the kicker."""
        kicker_el = self._kicker_element(headline_el)
        kicker = clean(kicker_el.text_content()) if kicker_el is not None else None
        if headline_el is None:
            return None, kicker
        if kicker_el is not None and any(a is headline_el for a in kicker_el.iterancestors()):
            text_el = _first(self.index, self.generation.headline_text, headline_el)
            own = clean(text_el.text_content()) if text_el is not None else None
            headline = clean_headline(own or text_without(headline_el, [kicker_el]))
        else:  # no kicker element inside: the headline element's text is the headline, whatever words it opens with
            headline = clean(headline_el.text_content())
        return headline, (kicker.rstrip(" :") if kicker else None)

    def _kicker_element(self, headline_el: HtmlElement | None) -> HtmlElement | None:
        """The most preferred kicker with text before or inside the headline, never a teaser's kicker."""
        index = self.index
        end = None
        if headline_el is not None:
            end = index.position[headline_el] + sum(1 for e in headline_el.iterdescendants() if isinstance(e.tag, str))

        def opens_headline(el: HtmlElement) -> bool:
            return (
                not _in_furniture(el) and bool(clean(el.text_content())) and (end is None or index.position[el] <= end)
            )

        return _first(index, self.generation.kicker, self.story, opens_headline)

    def body(self, skip: set[HtmlElement]) -> list[Block]:
        """The story's blocks in page order; an element inside one already taken (a crosshead's inner span), the
        lead and furniture are left out; crossheads closing the article are dropped. ExtractionError without
        text."""
        taken: set[HtmlElement] = set()
        body: list[Block] = []
        for el in self.index.select(self.generation.body, self.story):
            if el in skip or _in_furniture(el) or any(a in taken or a in skip for a in el.iterancestors()):
                continue
            taken.add(el)
            block = _block(el)
            if block is not None:
                body.append(block)
        while body and body[-1].kind == "crosshead":
            body.pop()
        if not any(b.kind != "crosshead" for b in body):
            raise ExtractionError("empty body")
        return body

    def authors_and_agency(self, body: list[Block]) -> tuple[list[str], str | None]:
        """Persons from the byline links (else the byline's text, else JSON-LD); organisations credited there go
        to the agency, else an agency named by the last paragraph's last word (`... ab. dpa`)."""
        select = self.index.select
        byline = [clean(a.text_content()) or "" for a in select(self.generation.authors, self.story)]
        if not any(byline):
            byline = [clean(el.text_content()) or "" for el in select(self.generation.authors_text, self.story)]
        people = split_authors(byline) or split_authors(self.meta.ld_authors)
        authors, organisations = persons_and_organisations(people, self.meta.organisation_names)
        paragraphs = [b.text for b in body if b.kind == "paragraph"]
        last_words = re.findall(r"\b(\w[\w-]*)\W*$", paragraphs[-1]) if paragraphs else []
        return authors, join_agencies(organisations) or agency_of(last_words)

    def published(self) -> When | None:
        """The page's machine date; the story's `<time datetime>` when that has no time of day."""
        published = self.meta.published
        if published is None or not published.has_time:
            for el in self.index.select(self.generation.time, self.story):
                when = read_date(el.get("datetime"))
                if when is not None:
                    return when
        return published

    def breadcrumb(self) -> list[str]:
        found = (clean(a.text_content()) for a in self.index.select(self.generation.breadcrumb, self.root))
        return [t for t in found if t] or self.meta.breadcrumb

    def images(self) -> list[Image]:
        """Story images (figures and photo-gallery links) with caption, credit (after `©`) and alt text; the
        page's og:image only when the story has no figure."""
        images: list[Image] = []
        for fig in self.index.select(self.generation.figure, self.story):
            img = next(fig.iter("img"), None)
            src = (img.get("src") or img.get("data-src")) if img is not None else None
            if not src:
                continue
            cap = self.index.select(self.generation.caption, fig)
            caption = clean(cap[0].text_content()) if cap else None
            credit = None
            if caption:
                match = CREDIT.search(caption)
                if match:
                    credit, caption = clean(match.group(1)), clean(caption[: match.start()])
            alt = clean(img.get("alt")) if img is not None else None
            joined = join_url(self.url, src)
            if joined:
                images.append(Image(url=joined, caption=caption, credit=credit, alt=alt))
        if self.meta.image and not images:
            images.append(Image(url=self.meta.image))
        return images
