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
from datetime import UTC, datetime

from lxml.html import HtmlElement

from crawler.extract.bylines import agency_of, dateline_of, join_agencies, persons_and_organisations, split_authors
from crawler.extract.class_index import ClassIndex, ClassSelector
from crawler.extract.dates import read_date
from crawler.extract.headlines import clean_headline, headline_apart, strip_site_suffix, text_without
from crawler.extract.maintext import FURNITURE_TEXT, strip_inline_furniture
from crawler.extract.metadata import PageMeta, read_metadata
from crawler.extract.parsing import ExtractionError, parse_html, strip_furniture_tags
from crawler.extract.text import clean, html_hash, word_count
from crawler.extract.urls import join_url, publisher_id
from crawler.model.items import ArticleItem, Block, Image

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


def _headline_and_kicker(
    index: ClassIndex, generation: Generation, story: HtmlElement, headline_el: HtmlElement | None
) -> tuple[str | None, str | None]:
    """The headline's own text and the kicker apart, also where the headline element holds the kicker."""
    end = None
    if headline_el is not None:
        end = index.position[headline_el] + sum(1 for e in headline_el.iterdescendants() if isinstance(e.tag, str))

    def opens_headline(el: HtmlElement) -> bool:  # before or inside the headline, never a teaser's kicker
        return not _in_furniture(el) and bool(clean(el.text_content())) and (end is None or index.position[el] <= end)

    kicker_el = _first(index, generation.kicker, story, opens_headline)
    kicker = clean(kicker_el.text_content()) if kicker_el is not None else None
    if headline_el is None:
        return None, kicker
    if kicker_el is not None and any(a is headline_el for a in kicker_el.iterancestors()):
        text_el = _first(index, generation.headline_text, headline_el)
        own = clean(text_el.text_content()) if text_el is not None else None
        headline = clean_headline(own or text_without(headline_el, [kicker_el]))
    else:  # no kicker element inside: the headline element's text is the headline, whatever words it opens with
        headline = clean(headline_el.text_content())
    return headline, (kicker.rstrip(" :") if kicker else None)


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


def _images(
    index: ClassIndex, generation: Generation, story: HtmlElement, url: str, lead_image: str | None
) -> list[Image]:
    """Story images (figures and photo-gallery links) with caption, credit (after `©`) and alt text; the page's
    og:image only when the story has no figure."""
    images: list[Image] = []
    for fig in index.select(generation.figure, story):
        img = next(fig.iter("img"), None)
        src = (img.get("src") or img.get("data-src")) if img is not None else None
        if not src:
            continue
        cap = index.select(generation.caption, fig)
        caption = clean(cap[0].text_content()) if cap else None
        credit = None
        if caption:
            match = CREDIT.search(caption)
            if match:
                credit, caption = clean(match.group(1)), clean(caption[: match.start()])
        alt = clean(img.get("alt")) if img is not None else None
        joined = join_url(url, src)
        if joined:
            images.append(Image(url=joined, caption=caption, credit=credit, alt=alt))
    if lead_image and not images:
        images.append(Image(url=lead_image))
    return images


def extract_article(html: str, url: str, site: str, fetched_at: datetime | None = None) -> ArticleItem:
    """Read an IPPEN article page with the first generation that reads it. Raises ExtractionError with a reason
    (the newest generation's) when none does."""
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
    marked = [g for g in GENERATIONS if any(m in index.by_class for m in g.markers)]
    first_error: ExtractionError | None = None
    for generation in marked or GENERATIONS[:1]:
        try:
            return _read(generation, index, root, meta, share, html, url, site, fetched_at)
        except ExtractionError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


def _body(index: ClassIndex, generation: Generation, story: HtmlElement, skip: set[HtmlElement]) -> list[Block]:
    """The story's blocks in page order; an element inside one already taken (a crosshead's inner span), the
    lead and furniture are left out; crossheads closing the article are dropped."""
    taken: set[HtmlElement] = set()
    body: list[Block] = []
    for el in index.select(generation.body, story):
        if el in skip or _in_furniture(el) or any(a in taken or a in skip for a in el.iterancestors()):
            continue
        taken.add(el)
        block = _block(el)
        if block is not None:
            body.append(block)
    while body and body[-1].kind == "crosshead":
        body.pop()
    return body


def _read(
    generation: Generation,
    index: ClassIndex,
    root: HtmlElement,
    meta: PageMeta,
    share: str | None,
    html: str,
    url: str,
    site: str,
    fetched_at: datetime | None,
) -> ArticleItem:
    story = _first(index, generation.story, root)
    story = story if story is not None else root
    headline_el = _first(index, generation.headline, story)
    if headline_el is None:
        headline_el = _first(index, generation.headline, root)
    h1, kicker = _headline_and_kicker(index, generation, story, headline_el)
    headline = h1 or headline_apart(meta.ld_headline or strip_site_suffix(meta.og_title, meta.site_names), kicker)
    if not headline:
        raise ExtractionError("no headline")
    lead_el = _first(index, generation.lead, story)
    lead = clean(lead_el.text_content()) if lead_el is not None else None
    skip = {lead_el} if lead_el is not None else set()
    if headline_el is not None:
        skip.add(headline_el)
    body = _body(index, generation, story, skip)
    if not any(b.kind != "crosshead" for b in body):
        raise ExtractionError("empty body")

    byline = [clean(a.text_content()) or "" for a in index.select(generation.authors, story)]
    if not any(byline):
        byline = [clean(el.text_content()) or "" for el in index.select(generation.authors_text, story)]
    people = split_authors(byline) or split_authors(meta.ld_authors)
    authors, organisations = persons_and_organisations(people, meta.organisation_names)

    published = meta.published
    if published is None or not published.has_time:
        for el in index.select(generation.time, story):
            when = read_date(el.get("datetime"))
            if when is not None:
                published = when
                break

    breadcrumb = [
        t for t in (clean(a.text_content()) for a in index.select(generation.breadcrumb, root)) if t
    ] or meta.breadcrumb
    paragraphs = [b.text for b in body if b.kind == "paragraph"]
    last_words = re.findall(r"\b(\w[\w-]*)\W*$", paragraphs[-1]) if paragraphs else []
    canonical = meta.canonical or url
    variants = {
        "h1": h1,
        "og_title": meta.og_title,
        "jsonld": meta.ld_headline,
        "title": strip_site_suffix(meta.title_tag, meta.site_names),
    }
    if share:
        variants["share"] = share
    return ArticleItem(
        url=canonical,
        fetched_url=url,
        site=site,
        publisher_id=publisher_id(canonical) or publisher_id(url),
        language=meta.language,
        kicker=kicker,
        headline=headline,
        headline_variants={k: v for k, v in variants.items() if v},
        lead=lead,
        body=body,
        authors=authors,
        agency=join_agencies(organisations) or agency_of(last_words),
        dateline=dateline_of(paragraphs[0] if paragraphs else None),
        published=published.utc if published else None,
        published_raw=published.raw if published else None,
        modified=meta.modified.utc if meta.modified else None,
        modified_raw=meta.modified.raw if meta.modified else None,
        breadcrumb=breadcrumb,
        section=breadcrumb[1] if len(breadcrumb) > 1 else meta.section,  # [0] is the homepage ("Startseite")
        tags=meta.tags,
        images=_images(index, generation, story, url, meta.image),
        paywall=meta.paywall or bool(index.select(generation.paywall, story)),
        word_count=word_count(([lead] if lead else []) + [b.text for b in body]),
        html_hash=html_hash(html),
        extractor=generation.name,
        fetched_at=fetched_at or datetime.now(UTC),
    )
