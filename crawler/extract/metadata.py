"""Page metadata every profile reads the same way: JSON-LD article, OpenGraph/meta tags, `<html lang>`.

`read_metadata` runs before any tag is stripped (it needs the JSON-LD scripts) and is shared by the IPPEN and
the generic profile, so both agree on dates, canonical URL, tags, section and paywall.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from crawler.extract.dates import DEFAULT_TZ, When, best_date
from crawler.extract.jsonld import jsonld_blocks, ld_breadcrumb, ld_names, ld_text, news_article, walk_jsonld
from crawler.extract.text import clean
from crawler.extract.urls import join_url

PAYWALL_TIERS = frozenset({"locked", "metered", "premium", "paid", "subscriber", "plus"})


def meta_tags(root: HtmlElement) -> dict[str, list[str]]:
    """`<meta>` contents by lower-case `property`, `name` or `itemprop`, in page order."""
    found: dict[str, list[str]] = {}
    for el in root.iter("meta"):
        content = el.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop"):
            key = el.get(attr)
            if key:
                found.setdefault(key.strip().lower(), []).append(content)
    return found


def first_meta(meta: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        for value in meta.get(name, ()):
            value = clean(value)
            if value:
                return value
    return None


@dataclass
class PageMeta:
    """What the page says about itself, outside the visible article."""

    canonical: str | None = None
    language: str | None = None
    og_title: str | None = None
    ld_headline: str | None = None
    title_tag: str | None = None
    description: str | None = None
    """og:description, else meta description, else JSON-LD description."""
    ld_authors: list[str] = field(default_factory=list)
    ld_author_kinds: list[str] = field(default_factory=list)
    """`Person` / `Organization` per JSON-LD author, parallel to `ld_authors`."""
    meta_authors: list[str] = field(default_factory=list)
    published: When | None = None
    modified: When | None = None
    section: str | None = None
    breadcrumb: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    paywall: bool = False
    article: dict[str, Any] = field(default_factory=dict)
    """The JSON-LD article object, as found."""
    site_names: list[str] = field(default_factory=list)
    """The site's own names: og:site_name, application-name, the JSON-LD publisher, the host (`www.` dropped)."""

    @property
    def organisation_names(self) -> list[str]:
        """Names on the page that are organisations, never authors: the site's names and JSON-LD organisations."""
        orgs = [n for n, k in zip(self.ld_authors, self.ld_author_kinds, strict=False) if k == "Organization"]
        return [*self.site_names, *orgs]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _keywords(value: Any) -> list[str]:
    out: list[str] = []
    for item in _as_list(value):
        if isinstance(item, str):
            out.extend(p for p in (clean(x) for x in item.split(",")) if p)
    return out


def _free(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no")
    return None


def read_metadata(root: HtmlElement, url: str, default_tz: tzinfo = DEFAULT_TZ) -> PageMeta:
    blocks = jsonld_blocks(root)
    ld = news_article(root, blocks)
    meta = meta_tags(root)
    out = PageMeta(article=ld)

    canonical = None
    for link in root.iter("link"):
        if (link.get("rel") or "").strip().lower() == "canonical" and link.get("href"):
            canonical = link.get("href", "").strip()
            break
    canonical = canonical or first_meta(meta, "og:url")
    out.canonical = join_url(url, canonical)

    lang = (
        root.get("lang")
        or first_meta(meta, "og:locale", "language", "content-language")
        or ld_text(ld.get("inLanguage"))
    )
    out.language = clean(lang.replace("_", "-").split("-")[0].lower()) if lang else None

    out.og_title = first_meta(meta, "og:title", "twitter:title")
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    publisher = ld.get("publisher")
    names = [
        first_meta(meta, "og:site_name"),
        first_meta(meta, "application-name"),
        ld_text(publisher.get("name")) if isinstance(publisher, dict) else ld_text(publisher),
        host,
    ]
    out.site_names = list(dict.fromkeys(n for n in names if n))
    out.ld_headline = ld_text(ld.get("headline")) or ld_text(ld.get("name"))
    title = root.find(".//title")
    out.title_tag = clean(title.text_content()) if title is not None else None
    out.description = first_meta(meta, "og:description", "description", "twitter:description") or ld_text(
        ld.get("description")
    )

    for person in _as_list(ld.get("author")) or _as_list(ld.get("creator")):
        names = ld_names(person)
        if names:
            kinds = {t for t in _as_list(person.get("@type"))} if isinstance(person, dict) else set()
            out.ld_authors.append(names[0])
            out.ld_author_kinds.append("Organization" if kinds and "Person" not in kinds else "Person")
    out.meta_authors = [
        a
        for a in (
            clean(v)
            for n in ("article:author", "author", "dc.creator", "sailthru.author", "twitter:misc:written by")
            for v in meta.get(n, ())
        )
        if a
    ]

    out.published = best_date(
        [
            ld.get("datePublished"),
            ld.get("dateCreated"),
            *meta.get("article:published_time", ()),
            *meta.get("article:published:time", ()),
            *meta.get("article_published_time", ()),
            *meta.get("og:article:published_time", ()),
            *meta.get("datepublished", ()),
            *meta.get("date", ()),
            *meta.get("pubdate", ()),
            *meta.get("publishdate", ()),
            *meta.get("dc.date.issued", ()),
            *meta.get("dc.date", ()),
            *meta.get("dcterms.date", ()),
            *meta.get("last-modified", ()),
        ],
        default_tz,
    )
    out.modified = best_date(
        [
            ld.get("dateModified"),
            *meta.get("article:modified_time", ()),
            *meta.get("article:modified:time", ()),
            *meta.get("og:updated_time", ()),
        ],
        default_tz,
    )

    objects = list(walk_jsonld(blocks))
    out.breadcrumb = ld_breadcrumb(objects)
    out.section = ld_text(ld.get("articleSection")) or first_meta(meta, "article:section")
    tags = _keywords(ld.get("keywords")) or [
        t for n in ("article:tag", "news_keywords", "keywords") for v in meta.get(n, ()) for t in _keywords(v)
    ]
    out.tags = list(dict.fromkeys(tags))
    image = ld.get("image")
    if isinstance(image, list):
        image = image[0] if image else None
    if isinstance(image, dict):
        image = image.get("url") or image.get("contentUrl")
    image = image if isinstance(image, str) else first_meta(meta, "og:image", "twitter:image")
    out.image = join_url(url, image)

    free = _free(ld.get("isAccessibleForFree"))
    if free is None:
        for part in _as_list(ld.get("hasPart")):
            if isinstance(part, dict) and _free(part.get("isAccessibleForFree")) is False:
                free = False
    tier = (first_meta(meta, "article:content_tier") or "").lower()
    out.paywall = free is False or tier in PAYWALL_TIERS
    return out
