"""Publisher: the local site's state (articles, removals, moves, faults), its URL layout, and its controls.

Pages are rendered on demand from the real fixtures and cached until the next change; every change moves the
site's clock one minute on, so the same seed and the same sequence of changes give the same bytes. Nothing here
opens a socket: `LocalSite` (site.py) serves a Publisher over HTTP, and the server and control API depend on
this module only, never the other way round.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from os import PathLike
from typing import Any

from tests.support.localsite import feeds, scripted
from tests.support.localsite.article_page import ArticleTemplate
from tests.support.localsite.content import (
    DEFAULT_NOW,
    SECTIONS,
    SEED_ARTICLE_ID,
    ArticleFactory,
    ArticleSpec,
    load_sources,
    slugify,
    with_changes,
)
from tests.support.localsite.faults import Fault
from tests.support.localsite.fixtures import ARTICLE_TEMPLATE, LISTING_TEMPLATE, RDF_TEMPLATE, read_text
from tests.support.localsite.fixtures import fixtures_dir as locate_fixtures
from tests.support.localsite.listing_page import LOAD_MORE_CONTAINER, ListingTemplate, rebrand
from tests.support.localsite.markup import parse
from tests.support.localsite.teasers import TeaserKit

HTML = "text/html; charset=UTF-8"
XML = "application/xml; charset=UTF-8"
RSS = "application/rss+xml; charset=UTF-8"
TEXT = "text/plain; charset=UTF-8"
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
"""Every image is this 1x1 GIF: pages stay loadable offline (browsers sniff the type)."""
HEADERS_OF_INTEREST = ("User-Agent", "Referer", "If-None-Match", "If-Modified-Since", "Accept-Encoding", "Cookie")
ARTICLE_PATH = re.compile(r"^/(?:[a-z0-9-]+/)+(?:[a-z0-9-]*-)?(\d{8})\.html$")
SECTION_PAGE = re.compile(rf"^/([a-z]+)/(?:index-vc-{LOAD_MORE_CONTAINER}-(\d+)\.html)?$")
MONTH_SITEMAP = re.compile(r"^/sitemap-(\d{4}-\d{2})\.xml$")
INTERN_PREFIX = "/intern/vorschau/"
CACHE_BYTES = 96 * 2**20
LAZY_SECTION = "politik"
"""The section whose page 1 has a teaser container a script fills after load (localsite.scripted.lazy_block)."""
ERRORS = {
    404: ("Seite nicht gefunden", "Die angeforderte Seite existiert nicht."),
    410: ("Artikel nicht mehr verfügbar", "Dieser Artikel wurde entfernt."),
    500: ("Interner Serverfehler", "Bitte versuchen Sie es später noch einmal."),
}


@dataclass(frozen=True)
class Response:
    """A finished answer: the server only adds transport faults (charset, truncation) on top."""

    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()
    last_modified: datetime | None = None
    etag: str | None = None
    cacheable: bool = True


@dataclass(frozen=True)
class RequestRecord:
    """One request the site answered, for assertions (`site.requests`)."""

    method: str
    path: str
    """The request target as sent, query string included."""
    status: int
    bytes_sent: int
    """Body bytes actually written (fewer than Content-Length under a `truncate` fault)."""
    headers: dict[str, str] = field(default_factory=dict)
    """Request headers of interest: User-Agent, Referer, If-None-Match, If-Modified-Since, ..."""
    fault: str | None = None
    at: float = 0.0
    """time.monotonic() when the answer was finished."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "bytes_sent": self.bytes_sent,
            "headers": self.headers,
            "fault": self.fault,
        }


class Publisher:
    """A merkur.de-like publisher, built from the real IPPEN pages in the shared fixtures.

    `n_articles` articles (the seed article first, then fundus texts, recycled for big sites), deterministic
    for `seed`. `now` is the site's clock (default: a fixed date, so output is reproducible). `lazy_teasers`
    more articles (`lazy_articles`) are teased only in the script-filled container of the `LAZY_SECTION` page:
    not in `articles`, feeds, sitemaps or other listings; a crawl finds them only by rendering that page.
    """

    def __init__(
        self,
        n_articles: int = 40,
        seed: int = 1,
        fixtures_dir: str | PathLike[str] | None = None,
        now: datetime | None = None,
        lazy_teasers: int = 2,
        absent: Iterable[str] = (),
    ) -> None:
        if n_articles < 1:
            raise ValueError("a site needs at least one article (the seed article)")
        root = locate_fixtures(fixtures_dir)
        self.fixtures_dir = root
        self.seed = seed
        now = now or DEFAULT_NOW
        self.now = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)
        """The site's clock (UTC): fixed unless given; every change moves it one minute on."""
        self.conditional = False
        self.absent: frozenset[str] = frozenset()
        """Section pages and feeds the site does not have (404), as in a site config naming more than exists."""
        """When True: ETag and Last-Modified on every page, and If-None-Match / If-Modified-Since answered 304."""
        self._lock = threading.RLock()
        sources = load_sources(root)
        self._factory = ArticleFactory(sources, seed, self.now)
        self._articles: dict[int, ArticleSpec] = {a.id: a for a in self._factory.build(n_articles)}
        self._preview = self._factory.next(self.now + timedelta(days=1))
        lazy = ArticleFactory(sources, seed + 1, self.now)  # apart, so add_article's sequence stays the same
        lazy.reserve([*self._articles.values(), self._preview])
        skip = 1 + 2  # the seed text and the two real IPPEN pages' texts open every sequence
        self._lazy: dict[int, ArticleSpec] = {
            a.id: replace(a, section=LAZY_SECTION) for a in lazy.build(lazy_teasers + skip)[skip:]
        }
        self._removed: dict[int, int] = {}
        self._faults: list[Fault] = []
        self._robots_txt: str | None = None
        self._log: list[RequestRecord] = []
        self._cache: OrderedDict[str, Response] = OrderedDict()
        self._cache_size = 0
        self._changed_at: datetime | None = None
        self._ordered: list[ArticleSpec] | None = None
        kit = TeaserKit(parse(rebrand(read_text(root, LISTING_TEMPLATE))))
        self._article_page = ArticleTemplate(read_text(root, ARTICLE_TEMPLATE), kit)
        self._listing_page = ListingTemplate(read_text(root, LISTING_TEMPLATE), kit)
        self._rdf = feeds.RdfTemplate((root / RDF_TEMPLATE).read_bytes())
        self.base_url: str | None = None
        """`http://127.0.0.1:<port>` while served (`LocalSite.start`)."""
        self.set_absent(absent)

    # -- reading the state ---------------------------------------------------------------------------------------
    @property
    def articles(self) -> list[ArticleSpec]:
        """The published articles, newest first (removed ones are not listed)."""
        with self._lock:
            if self._ordered is None:
                live = [a for a in self._articles.values() if a.id not in self._removed]
                self._ordered = sorted(live, key=lambda a: (a.published, a.id), reverse=True)
            return list(self._ordered)

    def article(self, article_id: int) -> ArticleSpec:
        """Any article the site has had, removed and lazily teased ones included (KeyError for unknown ids)."""
        with self._lock:
            found = self._articles.get(int(article_id)) or self._lazy.get(int(article_id))
            if found is None:
                raise KeyError(article_id)
            return found

    @property
    def lazy_articles(self) -> list[ArticleSpec]:
        """The articles teased only in the script-filled container of the `LAZY_SECTION` page, newest first."""
        return sorted(self._lazy.values(), key=lambda a: (a.published, a.id), reverse=True)

    @property
    def seed_article_id(self) -> int:
        return SEED_ARTICLE_ID

    @property
    def intern_path(self) -> str:
        """An unpublished preview under /intern/ (disallowed in robots.txt, linked from every listing)."""
        return f"{INTERN_PREFIX}{self._preview.slug}-{self._preview.id}.html"

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    @property
    def faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    # -- controls ------------------------------------------------------------------------------------------------
    def _tick(self) -> datetime:
        """Advance the site's clock by a minute: changes get distinct, increasing times."""
        self.now += timedelta(minutes=1)
        self._changed_at = self.now
        self._cache.clear()
        self._cache_size = 0
        self._ordered = None
        return self.now

    def edit_article(self, article_id: int, **changes: Any) -> ArticleSpec:
        """Change fields (kicker, headline, lead, body, teaser_headline, seo_title, authors, ...).

        The modified date moves to the site's clock and `version` goes up, so the page and its ETag change.
        Headline variants that equalled the headline follow it unless given.
        """
        if {"slug", "section"} & set(changes):
            raise ValueError("a new slug or section is a new URL: use move_article")
        with self._lock:
            spec = self._articles[int(article_id)]
            new = with_changes(spec, **changes)
            if new == spec:
                return spec
            stamp = self._tick()
            if "modified" not in changes:
                new = replace(new, modified=stamp)
            new = replace(new, version=spec.version + 1)
            self._articles[new.id] = new
            return new

    def add_article(self, **fields: Any) -> int:
        """Publish a new article now; fields not given come from the next recycled fixture article."""
        with self._lock:
            stamp = self._tick()  # under the lock nothing renders before the article is in place
            published = fields.pop("published", None) or stamp
            fields.pop("version", None)
            if not fields.get("id"):
                fields.pop("id", None)
            if "headline" in fields:  # a new story: the recycled text's headline furniture does not fit it
                for name, value in (("seo_title", fields["headline"]), ("teaser_headline", fields["headline"])):
                    fields.setdefault(name, value)
                for name, value in (("slug", slugify(fields["headline"])), ("kicker", None), ("topics", ())):
                    fields.setdefault(name, value)
                fields.setdefault("image", None)
            spec = self._factory.next(published, **fields)
            if spec.id in self._articles:
                raise ValueError(f"article id {spec.id} exists")
            self._articles[spec.id] = spec
            return spec.id

    def remove_article(self, article_id: int, gone: bool = True) -> None:
        """Unpublish: its URLs answer 410 (gone=True) or 404, and it leaves listings, feeds and sitemaps."""
        with self._lock:
            self._articles[int(article_id)]  # KeyError for unknown ids
            self._removed[int(article_id)] = 410 if gone else 404
            self._tick()

    def move_article(self, article_id: int, new_slug: str, section: str | None = None) -> ArticleSpec:
        """Give the article a new URL; the old one (and any other slug with its id) answers 301 to it."""
        if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", new_slug):
            raise ValueError(f"not a URL slug: {new_slug!r}")
        if section is not None and section not in SECTIONS:
            raise ValueError(f"unknown section {section!r}")
        with self._lock:
            spec = self._articles[int(article_id)]
            moved = replace(
                spec, slug=new_slug, section=section or spec.section, old_paths=(*spec.old_paths, spec.path)
            )
            self._articles[spec.id] = moved
            self._tick()
            return moved

    def set_absent(self, paths: Iterable[str]) -> None:
        """Section pages (`/bayern/`, or just `bayern`: the page and its feed) and feeds (`/sport/rssfeed.rdf`)
        that answer 404 from now on, for good: a site without them, unlike a fault, which is a failure."""
        absent = set()
        for path in paths:
            path = path if path.startswith("/") else f"/{path.strip('/')}/"
            absent.add(path)
            if path.endswith("/") and path.strip("/") in SECTIONS:
                absent.add(f"{path}rssfeed.rdf")
        with self._lock:
            self.absent = frozenset(absent)
            self._cache.clear()
            self._cache_size = 0

    @property
    def robots_txt(self) -> str | None:
        """A robots.txt served instead of the site's own (None: the own one, which disallows /intern/ only)."""
        return self._robots_txt

    @robots_txt.setter
    def robots_txt(self, text: str | None) -> None:
        with self._lock:
            self._robots_txt = text
            cached = self._cache.pop("/robots.txt", None)
            self._cache_size -= len(cached.body) if cached is not None else 0

    def set_fault(self, path_regex: str, kind: str, count: int | None = None, **params: Any) -> Fault:
        """Misbehave on requests whose path (without query) matches `path_regex` (re.search).

        kinds: "404", "410", "500" (or any 4xx/5xx), "slow" (delay=seconds), "truncate" (fraction= or bytes=),
        "wrong_charset" (declared=, actual=), "unknown_charset" (declared=); `count`: first N requests only.
        """
        fault = Fault(path_regex, str(kind), params, count)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def take_fault(self, path: str) -> Fault | None:
        """The first active fault for `path`, counted as used."""
        with self._lock:
            return next((f for f in self._faults if f.take(path)), None)

    def record(self, record: RequestRecord) -> None:
        with self._lock:
            self._log.append(record)

    def _moved_to(self, base_url: str) -> None:
        """The site now answers at `base_url`: pages name it, so none cached stays valid."""
        with self._lock:
            self.base_url = base_url
            self._cache.clear()
            self._cache_size = 0

    def warm(self) -> int:
        """Render every article page ahead of a benchmark; returns the number of pages rendered."""
        paths = ["/", *(f"/{s}/" for s in SECTIONS), *(a.path for a in self.articles)]
        for path in paths:
            self.respond(path)
        return len(paths)

    # -- answering -----------------------------------------------------------------------------------------------
    def respond(self, path: str, headers: dict[str, str] | None = None) -> Response:
        """The answer to GET `path` (no query), honouring conditional headers when `conditional` is on."""
        with self._lock:
            response = self._cache.get(path)
            if response is None:
                response = self._resolve(path)
                if response.cacheable:
                    self._remember(path, response)
            else:
                self._cache.move_to_end(path)
            if not self.conditional or response.status != 200:
                return response
            validators = (("ETag", response.etag or ""),)
            if response.last_modified:
                validators += (("Last-Modified", format_datetime(response.last_modified, usegmt=True)),)
            response = replace(response, headers=response.headers + validators)
            if _not_modified(response, headers or {}):
                return replace(response, status=304, body=b"")
            return response

    def _remember(self, path: str, response: Response) -> None:
        self._cache[path] = response
        self._cache_size += len(response.body)
        while self._cache_size > CACHE_BYTES and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cache_size -= len(old.body)

    def _page(self, body: str | bytes, content_type: str, last_modified: datetime | None) -> Response:
        """A 200 with validators. Listings and feeds count as modified by any change of the site (a removal
        changes them without changing any listed article); an article page's Last-Modified is its own."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        etag = '"' + hashlib.sha1(data).hexdigest()[:20] + '"'
        if last_modified is not None and self._changed_at:
            last_modified = max(last_modified, self._changed_at)
        return Response(200, data, content_type, last_modified=last_modified, etag=etag)

    def error(self, status: int, headers: tuple[tuple[str, str], ...] = ()) -> Response:
        title, text = ERRORS.get(status, ("Fehler", f"HTTP {status}"))
        body = (
            f"<!DOCTYPE html><html lang=de><head><title>{title} - Merkur.de</title></head>"
            f"<body class=id-Page><h1>{title}</h1><p>{text}</p><p><a href=/>Zur Startseite</a></p></body></html>"
        )
        return Response(status, body.encode(), HTML, headers)

    def _redirect(self, location: str) -> Response:
        base = self.base_url or ""
        return Response(301, b"", HTML, (("Location", base + location),))

    def _newest(self, articles: list[ArticleSpec]) -> datetime:
        return max((a.modified for a in articles), default=self.now)

    def _resolve(self, path: str) -> Response:
        base = self.base_url or "http://127.0.0.1"
        if path in self.absent:
            return self.error(404)
        articles = self.articles
        if path == "/":
            most_read = [a for a in articles if a.id == SEED_ARTICLE_ID] + articles[3:9:3]
            listing = self._listing_page.home(articles, most_read)
            html = self._listing_page.render(listing, base, self.intern_path)
            return self._page(html, HTML, self._newest(articles[:40]))
        if path in (scripted.LISTING_PATH, scripted.MIXED_PATH):
            listing = self._listing_page.scripted(articles, mixed=path == scripted.MIXED_PATH)
            html = self._listing_page.render(listing, base, None, scripted=True)
            return self._page(html, HTML, self._newest(articles[:40]))
        if path.startswith(scripted.PREFIX + "/") and (match := ARTICLE_PATH.match(path.removeprefix(scripted.PREFIX))):
            return self._article(path, int(match.group(1)), articles, base, scripted.PREFIX)
        if path == "/robots.txt":
            own = self._robots_txt
            return self._page(feeds.robots_txt(base) if own is None else own.encode(), TEXT, None)
        if path == "/news.xml":
            return self._page(feeds.news_sitemap(base, articles, self.now), XML, self._newest(articles[:50]))
        if path == "/sitemap-index.xml":
            return self._page(feeds.sitemap_index(base, articles), XML, self._newest(articles))
        if match := MONTH_SITEMAP.match(path):
            month = feeds.months(articles).get(match.group(1))
            if month:
                return self._page(feeds.month_sitemap(base, month), XML, self._newest(month))
        if path == "/rssfeed.rdf" or (path.endswith("/rssfeed.rdf") and path.split("/")[1] in SECTIONS):
            section = path.split("/")[1] if path != "/rssfeed.rdf" else None
            items = [a for a in articles if section in (None, a.section)][: feeds.FEED_ITEMS]
            body = self._rdf.render(base, path, feeds.feed_title(section), items, self.now)
            return self._page(body, RSS, self._newest(items))
        if (match := SECTION_PAGE.match(path)) and match.group(1) in SECTIONS:
            lazy = self.lazy_articles if match.group(1) == LAZY_SECTION else None
            listing = self._listing_page.section(match.group(1), articles, int(match.group(2) or 1), lazy)
            if listing is not None:
                html = self._listing_page.render(listing, base, self.intern_path)
                mine = [a for a in articles if a.section == match.group(1)]
                return self._page(html, HTML, self._newest(mine[:40]))
        if path.rstrip("/") in {f"/{s}" for s in SECTIONS}:
            return self._redirect(path.rstrip("/") + "/")
        if path.startswith(INTERN_PREFIX) and path == self.intern_path:
            html = self._article_page.render(self._preview, base, articles[:4], path, "noindex, nofollow")
            return self._page(html, HTML, self._preview.modified)
        if match := ARTICLE_PATH.match(path):
            return self._article(path, int(match.group(1)), articles, base)
        if path.startswith("/bilder/"):
            return Response(200, PIXEL, "image/gif", cacheable=False, etag='"pixel"', last_modified=self.now)
        return self.error(404)

    def _article(
        self, path: str, article_id: int, articles: list[ArticleSpec], base: str, prefix: str = ""
    ) -> Response:
        """An article page; under the scripted `prefix` (`/js`) its body is inserted by a script."""
        spec = self._articles.get(article_id) or self._lazy.get(article_id)
        if spec is None:
            return self.error(404)
        if article_id in self._removed:
            return self.error(self._removed[article_id])
        if path != prefix + spec.path:
            return self._redirect(prefix + spec.path)
        same = [a for a in articles[:40] if a.section == spec.section and a.id != spec.id][:4]
        taken = {spec.id, *(a.id for a in same)}
        related = (same + [a for a in articles[:8] if a.id not in taken])[:4]
        html = self._article_page.render(spec, base, related, path if prefix else None, scripted=bool(prefix))
        page = self._page(html, HTML, None)
        return replace(page, last_modified=spec.modified)


def _not_modified(response: Response, headers: dict[str, str]) -> bool:
    """RFC 9110: If-None-Match decides when present; else If-Modified-Since against Last-Modified."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if "if-none-match" in lowered:
        tags = {t.strip().removeprefix("W/") for t in lowered["if-none-match"].split(",")}
        return "*" in tags or (response.etag or "") in tags
    since = lowered.get("if-modified-since")
    if since and response.last_modified:
        try:
            return response.last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def interesting(headers: Any) -> dict[str, str]:
    """The request headers worth keeping in the log."""
    return {name: headers[name] for name in HEADERS_OF_INTEREST if headers.get(name) is not None}
