"""Article pages: the real Merkur page (`Merkur_2023_04_28.html`) with another article's fields put into it.

The template keeps all of the real page: head with JSON-LD (NewsArticle in WebPage.mainEntity, `+0200`
offsets), og/meta tags, the navigation, ad slots, share bar, video embed, recommendation and comment widgets,
tracking scripts, footer. Its story is emptied once; each render clones the prepared tree, puts the article's
fields into the same elements (and the copies hidden in scripts and attributes), and writes it back minified.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tests.support.localsite.content import BERLIN, FOOTNOTE, SECTIONS, ArticleSpec, Block
from tests.support.localsite.markup import (
    STATIC_ATTR,
    Element,
    by_class,
    clone,
    drop,
    fragment,
    minified,
    one,
    parse,
    set_text,
    text_of,
)
from tests.support.localsite.scripted import script_story
from tests.support.localsite.teasers import TeaserKit, srcset

PUBLIC_SITE = "https://www.merkur.de"
"""Links to pages the local site does not serve (author pages, topics, imprint) stay on the real domain."""
SHARE_PARAMS = "?itm_source=story_detail&itm_medium=interaction_bar&itm_campaign=share"
RELATED_PARAMS = "?itm_source=story_detail&itm_medium=related&itm_campaign=pos{n}"
AD_EVERY = 3
SECTION_IDS = {name: 1137600 + 29 * i for i, name in enumerate(SECTIONS)} | {"welt": 1137687}
"""CMS category ids per section (the real page's `welt` is 1137687); they appear in ad and tracking config."""
_B64_ATTRS = ("data-id-lazyload-code", "data-id-lazyload100-code")


def js(text: str) -> str:
    """Text for the inside of a JS/JSON string literal inside a <script>."""
    return json.dumps(text, ensure_ascii=False)[1:-1].replace("</", "<\\/")


def author_id(name: str) -> int:
    """A stable author-page number for a name (the real page links /autoren/6601/)."""
    return 1000 + int(hashlib.sha1(name.encode()).hexdigest()[:6], 16) % 9000


def published_label(when: datetime) -> tuple[str, str]:
    """(datetime attribute, visible text) of an article timestamp: Berlin wall-clock, no offset."""
    local = when.astimezone(BERLIN)
    return f"{local:%Y-%m-%d %H:%M}", f"{local:%d.%m.%Y, %H:%M} Uhr"


def offset_iso(when: datetime) -> str:
    """JSON-LD date as IPPEN writes it: local time with a `+0200` style offset."""
    return when.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M:%S%z")


@dataclass(frozen=True)
class _Old:
    """Values of the real article in the template, found again (and replaced) in scripts and attributes."""

    id: str
    canonical: str
    headline: str
    seo_title: str
    lead: str
    published_iso: str
    published_ms: str
    author_id: str
    category_id: str


class ArticleTemplate:
    """The prepared real article page plus prototypes of its story elements."""

    def __init__(self, page_html: str, kit: TeaserKit) -> None:
        self.kit = kit
        self._teasers: dict[tuple[ArticleSpec, str], Element] = {}
        doc = parse(page_html)
        ld = json.loads(doc.xpath("//script[@type='application/ld+json']")[0].text)
        entity = ld["mainEntity"]
        canonical = doc.xpath("//link[@rel='canonical']/@href")[0]
        author = one(doc, "id-StoryElement-authors-link", "a")
        idat = next(s.text for s in doc.iter("script") if s.text and "seoHeadline:" in s.text)
        self.old = _Old(
            id=re.search(r"-(\d+)\.html$", canonical).group(1),  # type: ignore[union-attr]
            canonical=canonical,
            headline=text_of(one(doc, "id-StoryElement-headline", "h1")),
            seo_title=entity["headline"],
            lead=text_of(one(doc, "id-StoryElement-leadText", "p")),
            published_iso=entity["datePublished"],
            published_ms=re.search(r"publishingDate:(\d+)", idat).group(1),  # type: ignore[union-attr]
            author_id=re.search(r"/autoren/(\d+)/", author.get("href", "")).group(1),  # type: ignore[union-attr]
            category_id=re.search(r'"categoryId","value":"(\d+)"', page_html).group(1),  # type: ignore[union-attr]
        )
        self.publisher = entity["publisher"]
        story = one(doc, "id-Page-mainContent", "article")
        lead = one(story, "id-StoryElement-leadText", "p")
        self.paragraph = set_text(clone(one(story, "id-StoryElement-paragraph", "p")), None)
        self.crosshead = set_text(clone(one(story, "id-StoryElement-crosshead", "h2")), None)
        self.figure = clone(one(story, "id-StoryElement-image", "figure"))
        self.ad = clone(next(d for d in by_class(story, "id-TBeepSlot", "div") if d.getparent() is story))
        crumbs = one(story, "id-DonaldBreadcrumb", "ol")
        self.crumb = clone(crumbs[-1])
        stamp = one(story, "id-StoryElement-timestamp-published", "span")
        self.stamp = clone(stamp)
        self.author_link = clone(author)
        # empty the story: everything between the lead and the recommendation widget is the old article
        node = lead.getnext()
        while node is not None and "id-Recommendation" not in node.get("class", ""):
            following = node.getnext()
            story.remove(node)
            node = following
        lead.tail = None
        self.doc = doc
        self._prepared: dict[str, tuple[Element, dict[str, str], list[tuple[int, str | None]]]] = {}

    # -- per base URL --------------------------------------------------------------------------------------------
    def _prepare(self, base_url: str) -> tuple[Element, dict[str, str], list[tuple[int, str | None]]]:
        """The template with navigation pointing at the local site; its static parts serialized once."""
        if base_url in self._prepared:
            return self._prepared[base_url]
        doc = copy.deepcopy(self.doc)
        local = {f"{PUBLIC_SITE}/{s}/" for s in SECTIONS} | {PUBLIC_SITE, PUBLIC_SITE + "/"}
        for a in doc.iter("a"):
            href = (a.get("href") or "").strip()
            if href in local:
                a.set("href", base_url + (href.removeprefix(PUBLIC_SITE) or "/"))
        header = doc.xpath("//header")[0]
        inside_header = set(header.iter())
        hot: list[tuple[int, str | None]] = []
        hot_elements = set()
        probes = (self.old.id, self.old.canonical, self.old.headline, self.old.category_id, "me_welt")
        for index, el in enumerate(doc.iter()):
            if not isinstance(el.tag, str) or el in inside_header:
                continue  # the navigation names "Welt" too, and never changes
            if el.tag == "script" and el.text and any(p in el.text for p in probes):
                hot.append((index, None))
                hot_elements.add(el)
            for name, value in el.attrib.items():
                if name in _B64_ATTRS or any(p in value for p in probes):
                    hot.append((index, name))
                    hot_elements.add(el)
        head, body = doc.find("head"), doc.find("body")
        edited = {*head.xpath("title | meta[@name or @property] | link[@rel='canonical']")}
        edited |= {*doc.xpath("//script[@type='application/ld+json']")}
        edited |= {*one(doc, "id-Page-mainContent", "article").iterancestors(), *hot_elements}
        statics: dict[str, str] = {}
        for child in [*head, *body]:
            if isinstance(child.tag, str) and not edited.intersection(child.iter()):
                statics[str(len(statics))] = fragment(child)
                child.set(STATIC_ATTR, str(len(statics) - 1))
        self._prepared[base_url] = (doc, statics, hot)
        return self._prepared[base_url]

    # -- rendering -----------------------------------------------------------------------------------------------
    def render(
        self,
        spec: ArticleSpec,
        base_url: str,
        related: Sequence[ArticleSpec] = (),
        path: str | None = None,
        robots: str | None = None,
        scripted: bool = False,
    ) -> str:
        """The article page for `spec` at `path` (default: its own path), with related-article teasers.

        `scripted`: the body is inserted by a script from inline JSON (tests.support.localsite.scripted)."""
        template, statics, hot = self._prepare(base_url)
        doc = copy.deepcopy(template)
        canonical = base_url + (path or spec.path)
        self._retarget(doc, hot, spec, canonical)
        self._head(doc, spec, canonical, base_url, robots)
        story = one(doc, "id-Page-mainContent", "article")
        self._header(story, spec, base_url)
        self._body(story, spec, base_url)
        self._furniture(story, spec, base_url, related)
        self._jsonld(doc, spec, canonical, base_url)
        if scripted:
            script_story(story)
        return minified(doc, statics)

    def _retarget(self, doc: Element, hot: list[tuple[int, str | None]], spec: ArticleSpec, canonical: str) -> None:
        """Replace the real article's id, URL, headlines, date and section wherever scripts/attributes hide them."""
        old = self.old
        ms = str(int(spec.published.timestamp() * 1000))
        authors = ",".join(str(author_id(a)) for a in spec.authors)
        pairs = [
            (old.canonical, canonical),
            (old.id, str(spec.id)),
            (old.headline, js(spec.headline)),
            (old.seo_title, js(spec.seo_title)),
            (old.lead, js(spec.lead)),
            (old.published_iso, offset_iso(spec.published)),
            (old.published_ms, ms),
            (f"authors:[{old.author_id}]", f"authors:[{authors}]"),
            (old.category_id, str(SECTION_IDS.get(spec.section, old.category_id))),
            ('"Welt"', f'"{js(spec.section_title)}"'),
            ('"welt"', f'"{spec.section}"'),
            ("me_welt", f"me_{spec.section}"),
        ]
        elements = list(doc.iter())
        for index, attr in hot:
            el = elements[index]
            if attr is None:
                el.text = _replace_all(el.text, pairs)
            elif attr in _B64_ATTRS:
                raw = base64.b64decode(el.get(attr).strip()).decode("utf-8")
                encoded = base64.b64encode(_replace_all(raw, pairs).encode()).decode()
                el.set(attr, " " + encoded)
            else:
                el.set(attr, _replace_all(el.get(attr), pairs[:2] + pairs[8:9]))
        for script in doc.iter("script"):
            if script.text and script.text.startswith("var k5aMeta"):
                meta = {
                    "section": spec.section_title,
                    "publishtime": offset_iso(spec.published),
                    "author": list(spec.authors),
                    "tag": list(spec.topics),
                    "paid": 0,
                }
                script.text = f"var k5aMeta = {json.dumps(meta, ensure_ascii=False)};"

    def _head(self, doc: Element, spec: ArticleSpec, canonical: str, base_url: str, robots: str | None) -> None:
        head = doc.find("head")
        set_text(head.find("title"), spec.seo_title)
        metas = {m.get("name") or m.get("property"): m for m in head.iter("meta")}
        metas["description"].set("content", spec.lead)
        metas["og:title"].set("content", spec.headline)
        metas["og:url"].set("content", canonical)
        if robots:
            metas["robots"].set("content", robots)
        if spec.image:
            metas["og:image"].set("content", base_url + spec.image.path)
        else:
            drop(metas["og:image"])
        head.xpath("link[@rel='canonical']")[0].set("href", canonical)

    def _header(self, story: Element, spec: ArticleSpec, base_url: str) -> None:
        """Breadcrumb, kicker, h1, timestamps and byline."""
        crumbs = one(story, "id-DonaldBreadcrumb", "ol")
        crumbs.remove(crumbs[-1])
        crumb = clone(self.crumb)
        link = crumb.find("a")
        link.set("href", f"{base_url}/{spec.section}/")
        link.set("data-k5a-pos", f"2_{spec.section}")
        set_text(link, spec.section_title)
        crumbs.append(crumb)
        h1 = one(story, "id-StoryElement-headline", "h1")
        set_text(h1, spec.headline)
        if spec.kicker:
            kicker = h1.makeelement("p", {"class": "id-StoryElement-kicker"})
            kicker.text = spec.kicker
            h1.addprevious(kicker)
        stamp_p = one(story, "id-StoryElement-timestamp", "p")
        for child in list(stamp_p):
            stamp_p.remove(child)
        stamps = [("Erstellt: ", spec.published, "published")]
        if published_label(spec.modified) != published_label(spec.published):
            stamps.append(("Aktualisiert: ", spec.modified, "updated"))
        for prefix, when, kind in stamps:
            span = clone(self.stamp)
            span.set("class", f"id-StoryElement-timestamp-{kind}")
            set_text(one(span, "id-StoryElement-timestamp-prefix", "span"), prefix)
            time = span.find("time")
            time.set("datetime", published_label(when)[0])
            set_text(time, published_label(when)[1])
            stamp_p.append(span)
        byline = one(story, "id-StoryElement-authors", "p")
        if not spec.authors:
            drop(byline)
            return
        for a in byline.findall("a"):
            byline.remove(a)
        for i, name in enumerate(spec.authors):
            a = clone(self.author_link)
            a.set("href", f"{PUBLIC_SITE}/autoren/{author_id(name)}/")
            a.set("title", f"Zur Autorenseite von {name}")
            set_text(a, name)
            if i < len(spec.authors) - 1:
                a.tail = ", "
            byline.append(a)

    def _block(self, block: Block) -> Element:
        if block.kind == "crosshead":
            return set_text(clone(self.crosshead), block.text)
        if block.kind == "list":
            ul = self.paragraph.makeelement("ul", {"class": "id-StoryElement-list"})
            for item in block.items or tuple(block.text.splitlines()):
                li = ul.makeelement("li", {"class": "id-StoryElement-list-item"})
                li.text = item
                ul.append(li)
            return ul
        return set_text(clone(self.paragraph), block.text)

    def _body(self, story: Element, spec: ArticleSpec, base_url: str) -> None:
        """Lead, blocks with ad slots every few blocks, the image after the first crosshead's paragraph."""
        lead = one(story, "id-StoryElement-leadText", "p")
        set_text(lead, spec.lead)
        elements: list[Element] = []
        figure_at = next((i + 1 for i, b in enumerate(spec.body) if b.kind == "crosshead" and i > 0), 1)
        ads = 0
        for i, block in enumerate(spec.body):
            if i == figure_at and spec.image:
                elements.append(self._figure(spec, base_url))
            elements.append(self._block(block))
            if i % AD_EVERY == 0 and i < len(spec.body) - 1:
                ads += 1
                ad = clone(self.ad)
                slot = ad[0]
                slot.set("id", f"trf_ad_desktop_news_fixed_after_count_3_{spec.id}_content_{ads}_idx_{len(elements)}")
                slot.set("class", f"Content_{ads}")
                elements.append(ad)
        if spec.image and figure_at >= len(spec.body):
            elements.append(self._figure(spec, base_url))
        footnote = clone(self.paragraph)
        footnote.text = f"{spec.agency} " if spec.agency else None
        em = footnote.makeelement("em", {})
        em.text = FOOTNOTE
        footnote.append(em)
        elements.append(footnote)
        anchor = lead
        for el in elements:
            anchor.addnext(el)
            anchor = el

    def _figure(self, spec: ArticleSpec, base_url: str) -> Element:
        image = spec.image
        assert image is not None
        figure = clone(self.figure)
        img = figure.xpath(".//img")[0]
        url = base_url + image.path
        img.set("src", url)
        img.set("srcset", srcset(url, (448, 768, 1100, 1408, 1600)))
        img.set("alt", image.alt)
        caption = figure.find("figcaption")
        text = image.caption or image.alt
        set_text(caption, f"{text} ©\xa0{image.credit}" if image.credit else text)
        return figure

    def _furniture(self, story: Element, spec: ArticleSpec, base_url: str, related: Sequence[ArticleSpec]) -> None:
        """Related teasers ("Das könnte Sie auch interessieren") and the newsletter box before the widgets."""
        widget = one(story, "id-Recommendation", "div")
        if related:
            teasers = [
                self._teaser(other, base_url + other.path + RELATED_PARAMS.format(n=n), n, base_url)
                for n, other in enumerate(related, 1)
            ]
            widget.addprevious(self.kit.container(teasers, "Das könnte Sie auch interessieren", "426001"))
        widget.addprevious(self.kit.newsletter(f"{PUBLIC_SITE}/ueber-uns/newsletter-anmeldung/"))

    def _teaser(self, spec: ArticleSpec, href: str, n: int, base_url: str) -> Element:
        """Related teasers repeat on many pages: built once per article state and link, then copied."""
        key = (spec, href)
        if key not in self._teasers:
            if len(self._teasers) > 4000:
                self._teasers.clear()
            parity = "even" if n % 2 else "odd"
            self._teasers[key] = self.kit.teaser(spec, href, prio=5, parity=parity, image_base=base_url)
        return clone(self._teasers[key])

    def _jsonld(self, doc: Element, spec: ArticleSpec, canonical: str, base_url: str) -> None:
        """The WebPage with its NewsArticle mainEntity and breadcrumb, built like the real one."""
        script = doc.xpath("//script[@type='application/ld+json']")[0]
        people = [{"@type": "Person", "name": a, "url": f"{PUBLIC_SITE}/autoren/{author_id(a)}/"} for a in spec.authors]
        article: dict[str, object] = {
            "@type": "NewsArticle",
            "mainEntityOfPage": canonical,
            "headline": spec.seo_title,
            "datePublished": offset_iso(spec.published),
        }
        if spec.modified != spec.published:
            article["dateModified"] = offset_iso(spec.modified)
        article["description"] = spec.lead
        article["publisher"] = self.publisher
        if people:
            article["author"] = people[0] if len(people) == 1 else people
        elif spec.agency:
            article["author"] = {"@type": "Organization", "name": spec.agency}
        if spec.image:
            article["image"] = [base_url + spec.image.path]
        crumbs = [("Startseite", f"{base_url}/"), (spec.section_title, f"{base_url}/{spec.section}/")]
        page = {
            "@context": "http://schema.org",
            "@type": "WebPage",
            "mainEntity": article,
            "breadcrumb": {
                "@type": "BreadcrumbList",
                "name": "BreadCrumb",
                "itemListElement": [
                    {"@type": "ListItem", "position": i, "name": name, "item": {"@type": "WebPage", "@id": url}}
                    for i, (name, url) in enumerate(crumbs, 1)
                ],
            },
        }
        script.text = json.dumps(page, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def _replace_all(text: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        if old in text:
            text = text.replace(old, new)
    return text
