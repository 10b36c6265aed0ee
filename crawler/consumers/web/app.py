"""The WSGI application of `newsmon serve`: read-only pages, an Atom feed and a JSON API over the store.

Only GET and HEAD; every query parameter is validated into a typed filter (`crawler.consumers.query`) before
it goes near MongoDB; repeated or unknown-shaped parameters are a 400. When bound to loopback, requests must
name a loopback Host, so a web page elsewhere cannot read the data through DNS rebinding.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode
from wsgiref.util import application_uri

from pymongo.database import Database

from crawler.consumers.query import (
    KINDS,
    BadFilter,
    Filters,
    build_query,
    edit_class,
    field_name,
    parse_time,
    positive_int,
    text,
)
from crawler.consumers.web import api, atom, stats
from crawler.consumers.web.api import NotFound
from crawler.consumers.web.charts import charts_page
from crawler.consumers.web.html import CSP
from crawler.consumers.web.pages import article_page, changes_page, error_page
from crawler.store import schema
from crawler.store.sequence import committed_seq

logger = logging.getLogger(__name__)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
CHANGE_LIST_FIELDS = {"old": 0, "new": 0, "location": 0}
VERSION_FIELDS = {"version": 1, "fetched_at": 1, "kicker": 1, "headline": 1, "content_hash": 1}
MAX_PAGE = 200
SITES_TTL = 60.0
CHART_DAYS = 30
CHARTS_TTL = 60.0
CHARTS_CACHED = 32
CHART_RUNS = 20


HTML = "text/html; charset=utf-8"
FILTER_PARAMS = ("site", "field", "class", "since", "until")


class App:
    """`App(db)` is a WSGI callable; `allowed_hosts` (e.g. `{"127.0.0.1:8700", "localhost:8700"}`) or None."""

    def __init__(self, db: Database, *, page_size: int = 50, allowed_hosts: Iterable[str] | None = None) -> None:
        self.db = db
        self.page_size = page_size
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts) if allowed_hosts is not None else None
        self._sites: tuple[float, list[str]] = (0.0, [])
        self._charts: dict[tuple[str | None, int, int], tuple[float, stats.SiteStats]] = {}

    def __call__(self, environ: Mapping[str, Any], start_response: StartResponse) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return self._respond(start_response, "405 Method Not Allowed", error_page("405", "read-only"), method)
        host = str(environ.get("HTTP_HOST", "")).lower()
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            return self._respond(start_response, "400 Bad Request", error_page("400", "unexpected Host"), method)
        path = environ.get("PATH_INFO") or "/"
        if path == "/favicon.ico":  # browsers ask for it on every page; there is none
            start_response("204 No Content", [("Cache-Control", "max-age=86400")])
            return []
        is_api = path.startswith("/api/")
        try:
            params = _params(str(environ.get("QUERY_STRING", "")))
            content_type = HTML
            if path == "/":
                body: str | bytes = self.changes(params)
            elif path == "/article":
                body = self.article(params)
            elif path == "/charts":
                body = self.charts(params)
            elif path == "/feed.atom":
                body, content_type = self.feed(params, application_uri(dict(environ))), atom.CONTENT_TYPE
            elif path == "/api/changes":
                body, content_type = self.api_changes(params), api.CONTENT_TYPE
            elif path == "/api/article":
                body, content_type = api.dumps(api.article(self.db, api.article_param(params))), api.CONTENT_TYPE
            elif path == "/api/sites":
                body, content_type = api.dumps(api.sites(self.db)), api.CONTENT_TYPE
            else:
                raise NotFound("no such page")
        except BadFilter as exc:
            return self._error(start_response, "400 Bad Request", str(exc), method, is_api)
        except NotFound as exc:
            return self._error(start_response, "404 Not Found", str(exc), method, is_api)
        return self._respond(start_response, "200 OK", body, method, content_type)

    # -- pages ---------------------------------------------------------------------------------------------------
    def changes(self, params: Mapping[str, str]) -> str:
        limit = self._limit(params, self.page_size, MAX_PAGE)
        query = build_query(KINDS["changes"], change_filters(params))
        found = list(self.db[schema.CHANGES].find(query, CHANGE_LIST_FIELDS).sort("seq", -1).limit(limit + 1))
        shown = found[:limit]
        older = None
        if len(found) > limit:
            older = {k: v for k, v in params.items() if k not in ("before",)} | {"before": shown[-1]["seq"]}
        return changes_page(shown, params, self.sites(), older)

    def charts(self, params: Mapping[str, str]) -> str:
        """Charts of one site (`site`) or all, over the last `days` days and the last `runs` runs."""
        site = text(params["site"], "site") if params.get("site") else None
        days = positive_int(params["days"], "days", stats.MAX_DAYS) if params.get("days") else CHART_DAYS
        runs = positive_int(params["runs"], "runs", stats.MAX_RUNS) if params.get("runs") else CHART_RUNS
        form = {**params, "days": str(days), "runs": str(runs)}
        return charts_page(self._chart_stats(site, days, runs), self.sites(), form)

    def _chart_stats(self, site: str | None, days: int, runs: int) -> stats.SiteStats:
        """The figures, reused for `CHARTS_TTL`: they read every change of the window (seconds on a large store),
        and a chart a minute old says the same. At most `CHARTS_CACHED` views are kept."""
        key = (site, days, runs)
        now = time.monotonic()
        cached = self._charts.get(key)
        if cached is not None and now - cached[0] < CHARTS_TTL:
            return cached[1]
        figures = stats.collect(self.db, site, days, runs)
        self._charts = {k: v for k, v in self._charts.items() if now - v[0] < CHARTS_TTL}
        if len(self._charts) < CHARTS_CACHED:
            self._charts[key] = (now, figures)
        return figures

    def feed(self, params: Mapping[str, str], base_url: str) -> bytes:
        """The page's changes (same filters, newest first, at most `MAX_PAGE`) as Atom, up to the committed mark."""
        limit = self._limit(params, self.page_size, MAX_PAGE)
        query = build_query(KINDS["changes"], change_filters(params))
        query["seq"] = {**query.get("seq", {}), "$lte": committed_seq(self.db)}
        changes = list(self.db[schema.CHANGES].find(query, {"old": 0, "new": 0}).sort("seq", -1).limit(limit))
        shown = {k: params[k] for k in FILTER_PARAMS if params.get(k)}
        own = {k: v for k, v in params.items() if k in (*FILTER_PARAMS, "limit", "before")}
        return atom.render_feed(
            changes,
            base_url=base_url,
            self_url=base_url + "feed.atom" + ("?" + urlencode(own) if own else ""),
            html_url=base_url + ("?" + urlencode(shown) if shown else ""),
            filters=shown,
        )

    def api_changes(self, params: Mapping[str, str]) -> str:
        if params.get("before"):
            raise BadFilter("before: the API pages forward with after=<seq>")
        limit = self._limit(params, api.DEFAULT_CHANGES, api.MAX_CHANGES)
        return api.dumps(api.changes_after(self.db, change_filters(params), api.after_param(params), limit))

    def article(self, params: Mapping[str, str]) -> str:
        if not params.get("id"):
            raise BadFilter("id: the article id is required, e.g. /article?id=merkur.de:91245736")
        article_id = text(params["id"], "id")
        article = self.db[schema.ARTICLES].find_one({"_id": article_id})
        teaser = self.db[schema.TEASERS].find_one({"_id": article_id})
        if article is None and teaser is None:
            raise NotFound(f"no article {article_id}")
        versions = list(
            self.db[schema.ARTICLE_VERSIONS].find({"article_id": article_id}, VERSION_FIELDS).sort("version", 1)
        )
        changes = list(self.db[schema.CHANGES].find({"article_id": article_id}).sort("seq", 1))
        return article_page(article, versions, changes, teaser, article_id)

    def sites(self) -> list[str]:
        """Sites for the filter form, re-read at most every minute."""
        at, sites = self._sites
        if time.monotonic() - at > SITES_TTL:
            sites = sorted(s for s in self.db[schema.ARTICLES].distinct("site") if isinstance(s, str))
            self._sites = (time.monotonic(), sites)
        return sites

    # -- plumbing ------------------------------------------------------------------------------------------------
    @staticmethod
    def _limit(params: Mapping[str, str], default: int, maximum: int) -> int:
        return positive_int(params["limit"], "limit", maximum) if params.get("limit") else min(default, maximum)

    def _error(
        self, start_response: StartResponse, status: str, message: str, method: str, is_api: bool
    ) -> list[bytes]:
        if is_api:
            return self._respond(start_response, status, api.dumps({"error": message}), method, api.CONTENT_TYPE)
        return self._respond(start_response, status, error_page(status.split()[0], message), method)

    @staticmethod
    def _respond(
        start_response: StartResponse, status: str, body: str | bytes, method: str, content_type: str = HTML
    ) -> list[bytes]:
        data = body.encode("utf-8") if isinstance(body, str) else body
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(data))),
            ("Content-Security-Policy", CSP),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("Cache-Control", "no-store"),
        ]
        if status.startswith("405"):
            headers.append(("Allow", "GET, HEAD"))
        start_response(status, headers)
        return [] if method == "HEAD" else [data]


def change_filters(params: Mapping[str, str]) -> Filters:
    """The change filters of the page, the feed and the API, from validated query parameters."""
    return Filters(
        site=text(params["site"], "site") if params.get("site") else None,
        fields=(field_name(params["field"]),) if params.get("field") else (),
        edit_classes=(edit_class(params["class"]),) if params.get("class") else (),
        since=parse_time(params["since"], "since") if params.get("since") else None,
        until=parse_time(params["until"], "until") if params.get("until") else None,
        before_seq=positive_int(params["before"], "before") if params.get("before") else None,
    )


def _params(query: str) -> dict[str, str]:
    """Query parameters, one value each; blank ones (an empty form field) are dropped."""
    try:
        parsed = parse_qs(query, keep_blank_values=False, strict_parsing=False, max_num_fields=20)
    except ValueError as exc:
        raise BadFilter(f"query string: {exc}") from None
    out: dict[str, str] = {}
    for name, values in parsed.items():
        if len(values) != 1:
            raise BadFilter(f"{name}: give it once")
        out[name] = values[0]
    return out
