"""Homepage and section pages: the real IPPEN listing page (`deichstube_news_2017_12_18.html`) with the
local site's teasers in its containers.

The page keeps its head (with the RSS `alternate` link and tracking config), header, navigation, breadcrumb
with the page's h1, the container/teaser markup and its footer. The publisher's name is changed to Merkur.de,
the navigation lists the local site's sections, and teaser links are relative, as on the real page.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from lxml import etree

from tests.support.localsite.content import SECTIONS, ArticleSpec
from tests.support.localsite.markup import Element, by_class, clone, one, parse, set_text
from tests.support.localsite.scripted import LISTING_PATH, MIXED_PATH, PREFIX, lazy_block, script_listing
from tests.support.localsite.teasers import LOAD_MORE_CONTAINER, TeaserKit

OLD_TITLE = "Werder Bremen: Alle aktuellen News, Storys und Interviews - Merkur.de"
HOME_TITLE = "Merkur.de: Aktuelle Nachrichten aus München, Bayern, Deutschland und der Welt"
HOME_DESCRIPTION = "Aktuelle Nachrichten aus Politik, Wirtschaft, Sport, Bayern und der Welt bei Merkur.de."
MOST_READ_PARAMS = "?itm_source=homepage&itm_medium=meistgelesen&itm_campaign=pos{n}"
TOP_TEASERS = 2
PAGE_SIZE = 20
SECTION_BLOCK = 4


def rebrand(page_html: str) -> str:
    """The real listing is deichstube.de's; on the local site it is a Merkur.de page."""
    return page_html.replace("//www.deichstube.de", "//www.merkur.de").replace("DeichStube", "Merkur.de")


@dataclass(frozen=True)
class Listing:
    """What one listing page shows."""

    path: str
    title: str
    heading: str
    description: str
    section: str | None
    feed_path: str
    containers: list[Element]
    lazy: tuple[Element, ...] = ()
    """Containers a script puts into the page after load (localsite.scripted.lazy_block)."""


class ListingTemplate:
    """The prepared real listing page: main column emptied, navigation rebuilt for the local sections."""

    def __init__(self, page_html: str, kit: TeaserKit) -> None:
        self.kit = kit
        doc = parse(rebrand(page_html))
        column = one(one(doc, "id-SiteMain"), "id-g4-c1")
        for child in list(column):
            column.remove(child)
        column.text = None
        nav = one(doc, "id-MainNav", "ul")
        proto = clone(nav[0])
        for item in list(nav):
            nav.remove(item)
        for slug, name in SECTIONS.items():
            item = clone(proto)
            link = item.find("a")
            link.set("href", f"/{slug}/")
            link.set("title", name)
            link.text = f"\n            {name}\n        "
            nav.append(item)
        for logo in by_class(doc, "id-Logo", "a"):
            logo.set("href", "/")
        home = one(doc, "id-Breadcrumb-element--home")
        for link in home.iter("a"):
            link.set("href", "/")
        footer_links = by_class(one(doc, "id-SiteFooter"), "id-Teaser-el--listLeftStyle--LB")[0]
        self.footer_cell = clone(footer_links[0])
        self.doc = doc

    def render(self, listing: Listing, base_url: str, intern_path: str | None, scripted: bool = False) -> str:
        """The page; `scripted`: its teasers are inserted by a script from inline JSON (localsite.scripted)."""
        doc = copy.deepcopy(self.doc)
        head = doc.find("head")
        set_text(head.find("title"), listing.title)
        for meta in head.iter("meta"):
            key = meta.get("name") or meta.get("property")
            value = {
                "description": listing.description,
                "og:description": listing.description,
                "og:title": listing.title,
                "og:section": listing.heading,
                "og:url": base_url + listing.path,
            }.get(key or "")
            if value is not None:
                meta.set("content", value)
        head.xpath("link[@rel='canonical']")[0].set("href", base_url + listing.path)
        feed = head.xpath("link[@rel='alternate']")[0]
        feed.set("href", listing.feed_path)
        feed.set("title", listing.heading)
        name = listing.heading if listing.section else "Startseite"
        pairs = [
            (OLD_TITLE, listing.title),
            ("'/news'", f"'{listing.path}'"),
            ("//www.merkur.de/news", f"//www.merkur.de{listing.path.rstrip('/')}"),
            ('"category" : "News"', f'"category" : "{name}"'),
            ("'werder|News'", f"'merkur|{name}'"),
            ('"section":      "News"', f'"section":      "{name}"'),
            ("w40_news", f"w40_{listing.section or 'home'}"),
        ]
        for script in doc.iter("script"):
            if script.text:
                for old, new in pairs:
                    script.text = script.text.replace(old, new)
        active = one(doc, "id-Breadcrumb-element--active")
        set_text(active.xpath(".//span[@itemprop='name']")[0], listing.heading)
        column = one(one(doc, "id-SiteMain"), "id-g4-c1")
        for container in listing.containers:
            column.append(container)
        if listing.lazy:
            lazy_block(column, list(listing.lazy))
        if scripted:
            script_listing(column)
        if intern_path:
            cell = clone(self.footer_cell)
            link = cell.xpath(".//a")[0]
            link.set("href", intern_path)
            link.text = "Vorschau (Redaktion intern)"
            footer = by_class(one(doc, "id-SiteFooter"), "id-Teaser-el--listLeftStyle--LB")[0]
            footer.append(cell)
        return etree.tostring(doc.getroottree(), method="html", encoding="unicode", doctype="<!doctype html>")

    # -- what goes on the pages ----------------------------------------------------------------------------------
    def _teasers(self, specs: list[ArticleSpec], first: int = 0, params: str = "", prefix: str = "") -> list[Element]:
        """Teasers alternating the real page's prio sizes; every third shows its comment count."""
        sizes = (3, 5, 5, 4, 2, 4)
        out = []
        for n, spec in enumerate(specs, first):
            href = prefix + spec.path + (params.format(n=n + 1) if params else "")
            comments = spec.id % 97 if spec.id % 3 == 0 else None
            prio = sizes[n % len(sizes)]
            out.append(self.kit.teaser(spec, href, prio=prio, parity="odd" if n % 2 else "even", comments=comments))
        return out

    def home(self, articles: list[ArticleSpec], most_read: list[ArticleSpec]) -> Listing:
        """Newest first, then the section blocks (the newest articles appear again there) and "Meistgelesen"."""
        top = articles[:TOP_TEASERS]
        more = articles[TOP_TEASERS : TOP_TEASERS + 4]
        containers = [
            self.kit.container(self._teasers(top), container_id="416906"),
            self.kit.container(self._teasers(more, TOP_TEASERS), container_id="418172"),
            self.kit.link_container([(name, f"/{slug}/") for slug, name in SECTIONS.items()]),
        ]
        for slug, name in SECTIONS.items():
            block = [a for a in articles if a.section == slug][:SECTION_BLOCK]
            if block:
                containers.append(self.kit.container(self._teasers(block), name, str(416910 + len(containers))))
        if most_read:
            teasers = self._teasers(most_read, params=MOST_READ_PARAMS)
            containers.append(self.kit.container(teasers, "Meistgelesen", "408380"))
        return Listing("/", HOME_TITLE, "Aktuelle Nachrichten", HOME_DESCRIPTION, None, "/rssfeed.rdf", containers)

    def section(
        self, slug: str, articles: list[ArticleSpec], page: int, lazy: list[ArticleSpec] | None = None
    ) -> Listing | None:
        """Page 1 has two big teasers then a paged container; page n continues behind "Mehr laden". `lazy`:
        articles teased (on page 1) only in a container a script fills after load."""
        name = SECTIONS[slug]
        mine = [a for a in articles if a.section == slug]
        start = 0 if page == 1 else TOP_TEASERS + PAGE_SIZE * (page - 1)
        end = TOP_TEASERS + PAGE_SIZE * page
        if page > 1 and start >= len(mine):
            return None
        containers = []
        if page == 1:
            containers.append(self.kit.container(self._teasers(mine[:TOP_TEASERS]), container_id="416906"))
            start = TOP_TEASERS
        more = f"/{slug}/index-vc-{LOAD_MORE_CONTAINER}-{page + 1}.html" if end < len(mine) else None
        containers.append(self.kit.paged_container(self._teasers(mine[start:end], start), more))
        path = f"/{slug}/" if page == 1 else f"/{slug}/index-vc-{LOAD_MORE_CONTAINER}-{page}.html"
        title = f"{name}: Alle aktuellen News, Storys und Interviews - Merkur.de"
        description = f"Aktuelle Nachrichten aus dem Ressort {name} bei Merkur.de."
        filled = (
            (self.kit.container(self._teasers(lazy), "Mehr aus dem Ressort", "416990"),) if lazy and page == 1 else ()
        )
        return Listing(path, title, name, description, slug, f"/{slug}/rssfeed.rdf", containers, filled)

    def scripted(self, articles: list[ArticleSpec], mixed: bool = False) -> Listing:
        """`/js/`: every article, newest first, in containers of PAGE_SIZE, linking the scripted article pages;
        `mixed` (`/js/mixed/`): every other teaser links the plain article page instead."""
        teasers = [
            self._teasers([spec], n, prefix="" if mixed and n % 2 else PREFIX)[0] for n, spec in enumerate(articles)
        ]
        containers = [
            self.kit.container(teasers[i : i + PAGE_SIZE], container_id=str(417000 + i))
            for i in range(0, len(teasers), PAGE_SIZE)
        ]
        path = MIXED_PATH if mixed else LISTING_PATH
        title = "Alle Artikel (Skript) - Merkur.de"
        description = "Alle Artikel, von einem Skript in die Seite gesetzt."
        return Listing(path, title, "Alle Artikel", description, None, "/rssfeed.rdf", containers)
