"""Machine-readable discovery: RSS 1.0 (RDF) feeds, Google News sitemap, sitemap index, robots.txt.

The RDF feed is the real `feeds/tagesschau_rdf_rss1.xml` (merkur.de also serves RSS 1.0 `rssfeed.rdf`) with
its channel and items rewritten. Sitemaps follow sitemaps.org and Google News' schema (no fixture exists).
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from lxml import etree

from tests.support.localsite.content import BERLIN, SECTIONS, ArticleSpec

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rss": "http://purl.org/rss/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "sy": "http://purl.org/rss/1.0/modules/syndication/",
}
FEED_ITEMS = 30
NEWS_WINDOW = timedelta(days=2)
"""Google News sitemaps list articles of the last two days."""
PUBLICATION = "Merkur.de"
DISALLOWED = ("/intern/", "/_newsmon/")


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


class RdfTemplate:
    """The real RDF feed, emptied of its items; one item is kept as the prototype."""

    def __init__(self, xml: bytes) -> None:
        self.tree = etree.fromstring(xml, etree.XMLParser(remove_blank_text=False))
        items = self.tree.findall(_q("rss", "item"))
        self.item = copy.deepcopy(items[0])
        for item in items:
            self.tree.remove(item)

    def render(self, base_url: str, path: str, title: str, articles: list[ArticleSpec], now: datetime) -> bytes:
        root = copy.deepcopy(self.tree)
        channel = root.find(_q("rss", "channel"))
        page = base_url + path.removesuffix("rssfeed.rdf")
        newest = max((a.modified for a in articles), default=now)
        values = {
            ("rss", "title"): title,
            ("rss", "link"): page,
            ("rss", "description"): f"Die aktuellen Beiträge der Seite {page}",
            ("rss", "copyright"): "Münchner Merkur / Merkur.de",
            ("rss", "lastBuildDate"): format_datetime(newest.astimezone(BERLIN)),
            ("rss", "pubDate"): format_datetime(newest.astimezone(BERLIN)),
            ("dc", "publisher"): PUBLICATION,
            ("dc", "rights"): "Münchner Merkur / Merkur.de",
            ("dc", "date"): newest.isoformat(),
            ("dc", "source"): PUBLICATION,
            ("sy", "updateBase"): newest.isoformat(),
        }
        for (prefix, name), value in values.items():
            el = channel.find(_q(prefix, name))
            if el is not None:
                el.text = value
        channel.set(_q("rdf", "about"), page)
        channel.remove(channel.find(_q("rss", "image")))
        root.remove(root.find(_q("rss", "image")))
        seq = channel.find(f"{_q('rss', 'items')}/{_q('rdf', 'Seq')}")
        for li in list(seq):
            seq.remove(li)
        proto_li = etree.SubElement(seq, _q("rdf", "li"))
        seq.remove(proto_li)
        for article in articles[:FEED_ITEMS]:
            url = base_url + article.path
            li = copy.deepcopy(proto_li)
            li.set(_q("rdf", "resource"), url)
            seq.append(li)
            root.append(self._item(article, url))
        etree.indent(root, space="   ")
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def _item(self, article: ArticleSpec, url: str) -> etree._Element:
        item = copy.deepcopy(self.item)
        item.set(_q("rdf", "about"), url)
        fields = {
            ("rss", "title"): article.teaser_headline,
            ("rss", "link"): url,
            ("rss", "description"): article.lead,
            ("rss", "pubDate"): format_datetime(article.published.astimezone(BERLIN)),
            ("rss", "guid"): str(article.id),
            ("dc", "date"): article.published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            ("dc", "rights"): "Münchner Merkur / Merkur.de",
            ("dc", "publisher"): PUBLICATION,
            ("dc", "identifier"): str(article.id),
            ("dc", "creator"): ", ".join(article.authors) or article.agency or PUBLICATION,
        }
        for (prefix, name), value in fields.items():
            el = item.find(_q(prefix, name))
            if el is None:
                el = etree.SubElement(item, _q(prefix, name))
            el.text = value
        encoded = item.find(_q("content", "encoded"))
        if encoded is not None:
            encoded.text = etree.CDATA(f'<p><a href="{escape(url)}">{escape(article.teaser_headline)}</a></p>')
        return item


def _urlset(entries: list[str], news: bool = False) -> bytes:
    namespaces = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    if news:
        namespaces += ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
    body = "".join(entries)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {namespaces}>\n{body}</urlset>\n'.encode()


def news_sitemap(base_url: str, articles: list[ArticleSpec], now: datetime) -> bytes:
    """Articles published in the last two days (by the site's clock), newest first."""
    entries = []
    for article in articles:
        if article.published < now - NEWS_WINDOW:
            continue
        entries.append(
            f"<url><loc>{escape(base_url + article.path)}</loc><news:news><news:publication>"
            f"<news:name>{PUBLICATION}</news:name><news:language>de</news:language></news:publication>"
            f"<news:publication_date>{offset_iso_colon(article.published)}</news:publication_date>"
            f"<news:title>{escape(article.seo_title)}</news:title></news:news></url>\n"
        )
    return _urlset(entries, news=True)


def offset_iso_colon(when: datetime) -> str:
    """W3C datetime with a `+02:00` offset, as sitemaps want it."""
    return when.astimezone(BERLIN).isoformat(timespec="seconds")


def months(articles: list[ArticleSpec]) -> dict[str, list[ArticleSpec]]:
    """Articles grouped by publication month (`YYYY-MM`, Berlin time), newest month first."""
    grouped: dict[str, list[ArticleSpec]] = {}
    for article in articles:
        grouped.setdefault(f"{article.published.astimezone(BERLIN):%Y-%m}", []).append(article)
    return dict(sorted(grouped.items(), reverse=True))


def sitemap_index(base_url: str, articles: list[ArticleSpec]) -> bytes:
    entries = "".join(
        f"<sitemap><loc>{base_url}/sitemap-{month}.xml</loc>"
        f"<lastmod>{offset_iso_colon(max(a.modified for a in items))}</lastmod></sitemap>\n"
        for month, items in months(articles).items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}</sitemapindex>\n'
    ).encode()


def month_sitemap(base_url: str, articles: list[ArticleSpec]) -> bytes:
    entries = [
        f"<url><loc>{escape(base_url + a.path)}</loc><lastmod>{offset_iso_colon(a.modified)}</lastmod></url>\n"
        for a in articles
    ]
    return _urlset(entries)


def robots_txt(base_url: str) -> bytes:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), ""]
    lines += [f"Sitemap: {base_url}/sitemap-index.xml", f"Sitemap: {base_url}/news.xml", ""]
    return "\n".join(lines).encode()


def feed_title(section: str | None) -> str:
    return f"{SECTIONS[section]} - Merkur.de" if section else "Merkur.de - Nachrichten"
