"""Main-text rules for any news page: find the article container, then read its blocks in order.

1. Good paragraphs: `<p>` with enough text and few links, outside furniture (see FURNITURE_CLASS).
2. Container: of the element holding the most good-paragraph text directly and its ancestors, the one with the
   best `good text - JUNK_WEIGHT * other text` (other text: teasers, navigation, captions, bylines).
3. Blocks: paragraphs, crossheads (h2-h4), lists and quotes inside the container, in page order, minus furniture
   (by class/id of the block or an ancestor up to the container, by link density, by furniture phrases).
4. Lead: an element with a lead-like class (`lead`, `intro`, `teaser`, `summary`, ...) near the headline, or the
   element whose text is the page's meta description.

Selectors and word lists are gathered at the top, as in trafilatura's `xpaths.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from lxml.html import HtmlElement

from crawler.model.items import Block
from crawler.model.text import clean

MIN_PARAGRAPH = 25
"""Characters a `<p>` needs to count when choosing the container."""
MIN_DIV_PARAGRAPH = 80
"""Characters a text-only `<div>` needs to count as a paragraph (stricter: menus and labels are divs too)."""
MAX_LINK_DENSITY = 0.5
JUNK_WEIGHT = 0.6
"""How much non-paragraph text costs when the container grows by one level."""

FURNITURE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:ad|ads|adv|advert\w*|anzeige\w*|werbung|banner|newsletter\w*|related|recommend\w*|empfehlung\w*|"
    r"outbrain|taboola|plista|social\w*|share\w*|sharing|shariff|comments?|kommentare?|disqus|promo\w*|"
    r"subscribe\w*|abo-\w+|cookie\w*|consent|breadcrumbs?|nav|navi|navigation|menu|footer|sidebar|toolbar|"
    r"tags|tag-?list|keywords|authors?|author-\w+|autor\w*|byline\w*|caption|figcaption|credits?|copyright|"
    r"more-articles|read-?more|weiterlesen|mehr-zum-thema|also-read|see-also|teaser-?list|recirculation|"
    r"widget|print|gallery|slider|carousel|video-?player|audio-?player|podcast-player|infobox|"
    r"hidden|visually-hidden|sr-only|screen-reader\w*|skip-?link|interactionbar|reactions|rating|"
    r"paywall-\w+|ressort-more|more-\w+|"
    r"media|mediainfo|infotext|image\w*|img|picture|photo\w*|foto\w*|bildunterschrift|video\w*|audio\w*|"
    r"date|dateline|timestamp|publish\w*|meta|metadata|article-meta|headline|title|kicker|dachzeile|"
    r"lead|intro|teaser|summary)(?:$|[\s_-])",
    re.I,
)
"""Class/id words of page furniture; a block under such an element (below the container) is not article text."""

BLOCK_ROLE = re.compile(r"(?:^|[\s_-])(?:text|paragraph|body|content|copy|richtext|rte)(?:$|[\s_-])", re.I)
"""Words that mark a block as article text even when a furniture word also appears (`article-teaser__text`)."""

LEAD_CLASS = re.compile(
    r"(?:^|[\s_-])(?:lead|leadin|lede|leadtext|lead-?text|intro|introduction|teaser|teaser-?text|summary|standfirst|excerpt|"
    r"abstract|deck|preface|subtitle|sub-?headline|description|vorspann|article-?lead|einleitung|shorttext)(?:$|[\s_-])",
    re.I,
)
KICKER_CLASS = re.compile(
    r"(?:^|[\s_-])(?:kicker|dachzeile|overline|topline|roofline|eyebrow|spitzmarke|pretitle|supertitle|"
    r"headline-?intro)(?:$|[\s_-])",
    re.I,
)
FURNITURE_TEXT = re.compile(
    r"^(?:das könnte sie auch interessieren|auch interessant|mehr zum thema|lesen sie auch|lesen sie mehr|"
    r"weitere artikel|weiterlesen|mehr lesen|empfehlungen|unsere news per mail|newsletter|anzeige|werbung|"
    r"zur startseite|zurück zur startseite|teilen|artikel teilen|jetzt teilen|kommentare|kommentieren|"
    r"read more|related|more on this|share this|sign up|subscribe|"
    r"(?:dieser|der) artikel (?:ist|wurde) .{0,40}(?:erschienen|veröffentlicht)|"
    r"mehr (?:zum thema|dazu|nachrichten|news)|mehr zu[rm]?\b.{0,80}\blesen sie|hier (?:geht's|gehts) zu|"
    r"folgen sie uns|abonnieren sie|melden sie sich|sie lesen|jetzt abonnieren|"
    r"die mit stern \(\*\) markierten felder|nach der registrierung erhalten sie|"
    r"ihre einwilligung zum erhalt|copyright|alle rechte vorbehalten|©|"
    r"(?:stand|aktualisiert|veröffentlicht|erstellt|zuletzt aktualisiert)\s*(?:am)?\s*:?\s*\d|\d{1,2}:\d{2} min|"
    r"empfohlener redaktioneller inhalt|externer inhalt|an dieser stelle finden sie|ich bin einverstanden|"
    r"dieses thema im programm|mehr informationen dazu erhalten sie|aktuelle meldungen .{0,60} finden sie)",
    re.I,
)
"""Phrases that open a furniture block (newsletter boxes, related-article headings, share bars)."""
CONSENT_TEXT = re.compile(
    r"mit meiner anmeldung zum newsletter|erst wenn sie hier klicken|nutzen wir die software von|"
    r"ihre einwilligung (?:können|kann)|externe inhalte angezeigt werden|personenbezogene daten an",
    re.I,
)
"""Consent notices for embeds and newsletters, wherever the phrase stands in a short paragraph."""
INLINE_FURNITURE = re.compile(
    r"\s?\*?\s?\b[\w-]{2,40}(?:\.[\w-]{2,20}){1,3} (?:ist|sind) (?:ein )?(?:Angebot|Teil) (?:von|des) "
    r"IPPEN\.MEDIA[^.]{0,80}\.?",
)
"""The IPPEN network note some pages append to a paragraph (`*Merkur.de ist ein Angebot von IPPEN.MEDIA.`)."""


def strip_inline_furniture(text: str) -> str:
    return INLINE_FURNITURE.sub("", text) if "IPPEN" in text else text


BYLINE_TEXT = re.compile(
    r"^(?:[Vv]on|[Bb]y|Text:|Autor(?:in)?:)\s+[A-ZÄÖÜ][\w.'-]+(?:\s+[A-ZÄÖÜ][\w.'-]+){0,3}"
    r"(?:\s*(?:,|und|and|&)\s*[A-ZÄÖÜ][\w.'-]+(?:\s+[A-ZÄÖÜ][\w.'-]+){0,3})*\s*$"
)
"""A paragraph that is only a byline (`von Oliver Kring`)."""
CREDIT_MARK = re.compile(r"©|\((?:Foto|Bild)\b|\b(?:Foto|Fotos|Bild|Quelle): ")
HEADING_TAGS = frozenset({"h2", "h3", "h4"})
LIST_TAGS = frozenset({"ul", "ol"})
SKIP_TAGS = frozenset({"figure", "figcaption", "aside", "nav", "footer", "header", "table", "dl", "address", "time"})
PAGE_TAGS = frozenset({"html", "body", "main"})
"""Never furniture, whatever their classes say (`<body class="with-navigation">`)."""
INLINE_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "span",
        "br",
        "sup",
        "sub",
        "small",
        "mark",
        "abbr",
        "cite",
        "q",
        "code",
        "s",
        "time",
        "wbr",
        "font",
        "bdi",
        "bdo",
        "dfn",
        "kbd",
        "var",
        "ins",
        "del",
    }
)
CROSSHEAD_CLASS = re.compile(
    r"interline|crosshead|zwischenzeile|zwischentitel|subheadline|(?:^|[\s_-])subhead(?:ing)?(?:$|[\s_-])", re.I
)
BLOCK_TAGS = ("p", "h2", "h3", "h4", "ul", "ol", "blockquote", "pre")


@dataclass
class MainText:
    lead: str | None
    blocks: list[Block]
    container: HtmlElement | None
    scope: HtmlElement | None = None
    """The article around the text: the lowest ancestor of the container that holds the headline."""
    headline: HtmlElement | None = None


def _attrs(el: HtmlElement) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}"


def _link_chars(el: HtmlElement) -> int:
    """Characters of link text in the element; all of them when the element sits inside a link (a teaser card)."""
    node = el.getparent()
    for _ in range(6):
        if node is None:
            break
        if node.tag == "a":
            return len(el.text_content())
        node = node.getparent()
    return sum(len(a.text_content()) for a in el.iter("a"))


def _is_furniture_el(el: HtmlElement) -> bool:
    if el.tag in SKIP_TAGS:
        return True
    if el.tag in PAGE_TAGS:
        return False
    attrs = _attrs(el)
    if len(attrs) < 2:
        return False
    if el.get("aria-hidden") == "true" or el.get("hidden") is not None:
        return True
    return _furniture_attrs(attrs)


@lru_cache(maxsize=4096)
def _furniture_attrs(attrs: str) -> bool:
    """Class/id words of furniture, without a word of article text (class strings repeat: cached)."""
    return bool(FURNITURE_CLASS.search(attrs)) and not BLOCK_ROLE.search(attrs)


@lru_cache(maxsize=4096)
def _furniture_not_lead(attrs: str) -> bool:
    return bool(FURNITURE_CLASS.search(attrs)) and not LEAD_CLASS.search(attrs) and not BLOCK_ROLE.search(attrs)


def _under_furniture(el: HtmlElement, stop: HtmlElement | None, cache: dict[HtmlElement, bool]) -> bool:
    """Is the element, or an ancestor below `stop`, page furniture?"""
    path = []
    node: HtmlElement | None = el
    result = False
    while node is not None and node is not stop:
        if node in cache:
            result = cache[node]
            break
        path.append(node)
        if _is_furniture_el(node):
            result = True
            break
        node = node.getparent()
    for seen in path:
        cache[seen] = result
    return result


def _good_paragraphs(root: HtmlElement) -> list[tuple[HtmlElement, int]]:
    out = []
    for p in root.iter("p", "div"):
        if p.tag == "div" and (len(p) > 12 or not (p.text and not p.text.isspace()) or not _is_leaf_div(p)):
            continue
        text = p.text_content()
        length = len(text.strip())
        if length < (MIN_PARAGRAPH if p.tag == "p" else MIN_DIV_PARAGRAPH):
            continue
        if _link_chars(p) > MAX_LINK_DENSITY * length:
            continue
        out.append((p, length))
    return out


def find_container(root: HtmlElement) -> HtmlElement | None:
    """The element that holds the article text (see the module docstring, step 2)."""
    paragraphs = _good_paragraphs(root)
    if not paragraphs:
        return None
    direct: dict[HtmlElement, int] = {}
    subtree: dict[HtmlElement, int] = {}
    cache: dict[HtmlElement, bool] = {}
    for p, length in paragraphs:
        if _under_furniture(p, None, cache):
            length //= 4  # furniture paragraphs still count a little: a mislabeled wrapper must not hide the text
        parent = p.getparent()
        if parent is None:
            continue
        direct[parent] = direct.get(parent, 0) + length
        node = parent
        while node is not None:
            subtree[node] = subtree.get(node, 0) + length
            node = node.getparent()
    if not direct:
        return None
    best = max(direct, key=lambda el: direct[el])
    chosen, chosen_score = best, float("-inf")
    node: HtmlElement | None = best
    while node is not None and node.tag not in PAGE_TAGS:
        good = subtree.get(node, 0)
        score = good - JUNK_WEIGHT * max(len(node.text_content()) - good, 0)
        if score > chosen_score:
            chosen, chosen_score = node, score
        node = node.getparent()
    return chosen


def _list_text(el: HtmlElement) -> str | None:
    items = [clean(li.text_content()) for li in el.iter("li")]
    items = [i for i in items if i]
    return "\n".join(items) if items else None


def _is_leaf_div(el: HtmlElement) -> bool:
    """A `<div>` used as a paragraph: text and inline markup only."""
    return not any(isinstance(child.tag, str) and child.tag not in INLINE_TAGS for child in el)


def _crosshead_like(el: HtmlElement, text: str) -> bool:
    """A paragraph that is really a crosshead: a crosshead class, or short, all bold and without final stop."""
    if CROSSHEAD_CLASS.search(_attrs(el)):
        return True
    if len(text) > 120 or text[-1] in '.!?:;"“”»«)':
        return False
    children = [c for c in el if isinstance(c.tag, str)]
    return len(children) == 1 and children[0].tag in ("strong", "b") and not (el.text or "").strip()


def _inside(el: HtmlElement, marked: set[HtmlElement], stop: HtmlElement) -> bool:
    node = el.getparent()
    while node is not None and node is not stop:
        if node in marked:
            return True
        node = node.getparent()
    return False


def read_blocks(container: HtmlElement) -> list[tuple[HtmlElement, Block]]:
    """The container's text blocks in page order with their elements, furniture left out (step 3)."""
    reader = _BlockReader(container)
    for el in container.iter(*BLOCK_TAGS, "div"):
        reader.read(el)
    return reader.finish()


class _BlockReader:
    """Reads a container's blocks one element at a time, remembering the elements it took (lists, quotes,
    paragraphs) and the boxes that proved to be furniture: nothing inside them is read again."""

    def __init__(self, container: HtmlElement) -> None:
        self.container = container
        self.blocks: list[tuple[HtmlElement, Block]] = []
        self.taken: set[HtmlElement] = set()
        self.cache: dict[HtmlElement, bool] = {}

    def read(self, el: HtmlElement) -> None:
        if self._skipped(el):
            return
        if el.tag in LIST_TAGS:
            self._list(el)
            return
        text = clean(el.text_content())
        if not text or self._furniture_label(el, text):
            return
        block = self._text_block(el, text)
        if block is not None:
            self.blocks.append((el, block))

    def finish(self) -> list[tuple[HtmlElement, Block]]:
        # crossheads with no text after them (a "Mehr zum Thema" heading closing the article) are furniture
        while self.blocks and self.blocks[-1][1].kind == "crosshead":
            self.blocks.pop()
        return self.blocks

    def _skipped(self, el: HtmlElement) -> bool:
        """Inside a list or quote already read or a box that proved to be furniture; a div that is no paragraph;
        under furniture."""
        if self.taken and _inside(el, self.taken, self.container):
            return True
        if el.tag == "div" and (not _is_leaf_div(el) or (len((el.text or "").strip()) < 2 and len(el) == 0)):
            return True
        return _under_furniture(el, self.container, self.cache)

    def _list(self, el: HtmlElement) -> None:
        text = _list_text(el)
        self.taken.add(el)
        if text and _link_chars(el) <= MAX_LINK_DENSITY * len(text):
            self.blocks.append((el, Block(kind="list", text=text)))

    def _furniture_label(self, el: HtmlElement, text: str) -> bool:
        """A block opening with a furniture phrase, or a consent notice: left out, and the box it opens (consent
        notice, newsletter, related articles) goes with it."""
        if not (FURNITURE_TEXT.match(text) or (len(text) < 500 and CONSENT_TEXT.search(text))):
            return False
        parent = el.getparent()
        if parent is not None and parent is not self.container and len(clean(parent.text_content()) or "") < 1500:
            self.taken.add(parent)
        return True

    def _text_block(self, el: HtmlElement, text: str) -> Block | None:
        """A crosshead, quote or paragraph; None for a short div or a byline-only paragraph."""
        tag = el.tag
        if tag == "div" and len(text) < 40:
            return None
        if len(text) < 100 and BYLINE_TEXT.match(text):
            return None
        if tag in HEADING_TAGS or (tag == "p" and _crosshead_like(el, text)):
            if len(text) > 300 or _link_chars(el) > 0.8 * len(text):
                return None
            return Block(kind="crosshead", text=text)
        if tag == "blockquote":
            self.taken.add(el)
            return None if _link_chars(el) > MAX_LINK_DENSITY * len(text) else Block(kind="quote", text=text)
        return self._paragraph(el, text)

    def _paragraph(self, el: HtmlElement, text: str) -> Block | None:
        if _link_chars(el) > MAX_LINK_DENSITY * len(text) and len(text) < 400:
            return None
        cleaned = clean(strip_inline_furniture(text))
        if not cleaned:
            return None
        if len(cleaned) > 1000 and any(b.text[:80] in cleaned for _, b in self.blocks if len(b.text) >= 80):
            return None  # a second copy of the article (hidden text for read-aloud or paywall scripts)
        self.taken.add(el)
        return Block(kind="paragraph", text=cleaned)


def _headline_el(root: HtmlElement, titles: list[str]) -> HtmlElement | None:
    """The visible headline: the first `<h1>` with text, else an h2/h3 that repeats the page's title."""
    h1 = next((h for h in root.iter("h1") if clean(h.text_content())), None)
    if h1 is not None or not titles:
        return h1
    wanted = [set(t.casefold().split()) for t in titles if t]
    for el in root.iter("h2", "h3"):
        words = set((clean(el.text_content()) or "").casefold().split())
        if len(words) >= 3 and any(len(words & w) >= 0.6 * len(words) for w in wanted):
            return el
    return None


def _headline_and_scope(container: HtmlElement, titles: list[str]) -> tuple[HtmlElement | None, HtmlElement]:
    """The headline nearest the article text outside it, and the lowest ancestor holding both (the scope).

    Pages can carry several h1 (a hidden print headline inside the text, a logo); the one that counts stands
    before the text, outside its container.
    """
    node: HtmlElement | None = container.getparent()
    for _ in range(10):
        if node is None or node.tag in ("body", "html"):
            break
        for el in node.iter():
            if el is container:
                break  # only a headline before the text counts
            if el.tag == "h1" and clean(el.text_content()):
                return el, node
        node = node.getparent()
    inner = next((h for h in container.iter("h1") if clean(h.text_content())), None)
    if inner is not None:
        return inner, container
    node = container.getparent()
    for _ in range(6):
        if node is None or node.tag in ("body", "html"):
            break
        headline = _headline_el(node, titles)
        if headline is not None and container not in headline.iterancestors():
            return headline, node
        node = node.getparent()
    parent = container.getparent()
    return None, parent if parent is not None and parent.tag not in PAGE_TAGS else container


def _prose(text: str) -> bool:
    """Sentences, not a label or a link: long enough, with words and no URL."""
    return len(text) >= 40 and text.count(" ") >= 5 and "://" not in text


def _furniture_above(el: HtmlElement, scope: HtmlElement) -> bool:
    for node in el.iterancestors():
        if node is scope:
            return False
        attrs = _attrs(node)
        if node.tag in SKIP_TAGS and node.tag != "header":
            return True
        if _furniture_not_lead(attrs):
            return True
    return False


def find_lead(
    scope: HtmlElement,
    headline: HtmlElement | None,
    first_block: HtmlElement | None,
    description: str | None,
) -> HtmlElement | None:
    """The lead element (step 4), between the headline and the first body block: a lead-like class, else the
    element that holds the meta description, else a lone paragraph right before the article text."""
    window = _LeadWindow(scope, headline, first_block, description)
    by_class = by_text = by_place = None
    for el, pos, text, inner in window.candidates():
        if by_class is None:
            by_class = window.by_class(el, text, inner)
        if by_text is None and window.holds_description(el, text):
            by_text = el
        if by_place is None and window.by_place(el, pos, text):
            by_place = el
    return next((found for found in (by_class, by_text, by_place) if found is not None), None)


class _LeadWindow:
    """Where a lead may stand: after the headline, up to the first body block, in `scope`'s page order."""

    def __init__(
        self, scope: HtmlElement, headline: HtmlElement | None, first_block: HtmlElement | None, description: str | None
    ) -> None:
        self.scope = scope
        self.headline = headline
        self.first_block = first_block
        self.description = description
        self.order = {el: i for i, el in enumerate(scope.iter())}
        self.start = self.order.get(headline, -1) if headline is not None else -1
        self.end = self.order.get(first_block, len(self.order)) if first_block is not None else len(self.order)
        self.want = description[:60] if description and len(description) >= 40 else None

    def candidates(self) -> Iterator[tuple[HtmlElement, int, str, list[HtmlElement]]]:
        """(element, position, text, prose paragraphs inside) of each element in the window that could be a lead:
        40 to 1500 characters, no headline or links mostly, at most one paragraph inside, no caption."""
        for el in self.scope.iter("p", "div", "span", "h2", "strong", "section"):
            pos = self.order.get(el, -1)
            if pos <= self.start:
                continue
            if pos > self.end:
                break
            text = clean(el.text_content())
            if not text or not 40 <= len(text) <= 1500:
                continue
            if el.find(".//h1") is not None or _link_chars(el) > 0.5 * len(text):
                continue
            inner = [p for p in el.iterdescendants("p") if _prose(clean(p.text_content()) or "")]
            if len(inner) > 1 or CREDIT_MARK.search(text):
                continue
            yield el, pos, text, inner

    def by_class(self, el: HtmlElement, text: str, inner: list[HtmlElement]) -> HtmlElement | None:
        """A lead-classed element of prose (its one paragraph, when it holds one)."""
        attrs = _attrs(el)
        lead_like = LEAD_CLASS.search(attrs) and not KICKER_CLASS.search(attrs)
        if lead_like and _prose(text) and not _furniture_above(el, self.scope):
            return inner[0] if inner else el
        return None

    def holds_description(self, el: HtmlElement, text: str) -> bool:
        """The element whose text is the page's meta description."""
        holds = self.want and text.startswith(self.want) and len(text) <= len(self.description or "") + 80
        return bool(holds) and not _furniture_above(el, self.scope)

    def by_place(self, el: HtmlElement, pos: int, text: str) -> bool:
        """A paragraph of prose standing before the article text."""
        prose = el.tag == "p" and len(text) >= 80 and text[-1] in '.!?"“”»«)'
        placed = prose and el is not self.first_block and self.headline is not None and pos < self.end
        return placed and not _is_furniture_el(el) and not _furniture_above(el, self.scope)


def find_kicker(root: HtmlElement, h1: HtmlElement | None = None) -> str | None:
    """A kicker (Dachzeile): a kicker-classed element opening the headline, or the element right before it.
    `h1`: the headline element when known (else the page's first `<h1>`)."""
    h1 = h1 if h1 is not None else next(root.iter("h1"), None)
    if h1 is None:
        return None
    h1_text = clean(h1.text_content()) or ""
    inside = [el for el in h1.iterdescendants() if isinstance(el.tag, str)]
    prev = h1.getprevious()
    for el in [*inside, *([prev] if prev is not None else [])]:
        if not isinstance(el.tag, str) or not KICKER_CLASS.search(_attrs(el)):
            continue
        text = clean(el.text_content())
        if not text or len(text) > 120 or (el in inside and not h1_text.startswith(text)):
            continue
        return text.rstrip(":")
    return None


def extract_main_text(root: HtmlElement, description: str | None = None, titles: list[str] | None = None) -> MainText:
    container = find_container(root)
    if container is None:
        return MainText(lead=None, blocks=[], container=None)
    found = read_blocks(container)
    headline, scope = _headline_and_scope(container, titles or [])
    lead_el = find_lead(scope, headline, found[0][0] if found else None, description)
    lead = None
    if lead_el is not None:
        lead = clean(strip_inline_furniture(lead_el.text_content()))
        inside = set(lead_el.iter())
        found = [(el, b) for el, b in found if el not in inside and lead_el not in set(el.iter())]
    return MainText(lead=lead, blocks=[b for _, b in found], container=container, scope=scope, headline=headline)
