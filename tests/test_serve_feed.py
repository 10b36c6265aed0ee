"""`newsmon serve`'s Atom feed and JSON API: RFC 4287's required elements, read by feedparser entry for entry
with stable ids, the committed-mark rule when paging by seq, bounded pages, escaping and 400s that say why.

The app is called as WSGI (as tests/test_serve_app.py does); the last tests read a crawled database.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import feedparser
import pytest

from crawler.consumers.web import App
from crawler.consumers.web.api import MAX_CHANGES
from crawler.consumers.web.app import MAX_PAGE
from tests.test_consumers_data import HOSTILE_HEADLINE, crawled_database
from tests.test_serve_app import EVIL, HOST, call, change

A = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
T0 = datetime(2025, 5, 3, 10, 15, tzinfo=UTC)


def rfc4287_problems(data: bytes) -> list[str]:
    """What an Atom document lacks or repeats against RFC 4287 (sections 4.1.1-4.2.15); [] when valid."""
    problems: list[str] = []
    root = ET.fromstring(data)  # raises on XML that is not well formed
    if root.tag != f"{A}feed":
        return [f"root is {root.tag}, not atom:feed"]

    def once(parent: ET.Element, name: str, where: str, required: bool = True) -> None:
        count = len(parent.findall(f"{A}{name}"))
        if count > 1 or (required and count == 0):
            problems.append(f"{where}: {count} atom:{name}, RFC 4287 wants {'exactly' if required else 'at most'} one")

    def check_common(element: ET.Element, where: str) -> None:
        for name in ("id", "title", "updated"):
            once(element, name, where)
        for name in ("rights", "subtitle", "summary", "published", "content", "source", "generator", "icon", "logo"):
            once(element, name, where, required=False)
        for date in [*element.findall(f"{A}updated"), *element.findall(f"{A}published")]:
            if not RFC3339.match(date.text or ""):
                problems.append(f"{where}: date {date.text!r} is not RFC 3339")
        for ident in element.findall(f"{A}id"):
            if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", ident.text or ""):
                problems.append(f"{where}: id {ident.text!r} is not an absolute IRI")
        for link in element.findall(f"{A}link"):
            if not link.get("href"):
                problems.append(f"{where}: atom:link without href")
        alternates = [
            (x.get("type"), x.get("hreflang"))
            for x in element.findall(f"{A}link")
            if x.get("rel") in (None, "alternate")
        ]
        if len(alternates) != len(set(alternates)):
            problems.append(f"{where}: two alternate links of one type and language")
        for category in element.findall(f"{A}category"):
            if not category.get("term"):
                problems.append(f"{where}: atom:category without term")
        for text in [element.find(f"{A}{n}") for n in ("title", "subtitle", "summary", "rights", "content")]:
            if (
                text is not None
                and text.get("type", "text") not in ("text", "html", "xhtml")
                and text.get("src") is None
            ):
                problems.append(f"{where}: {text.tag} of type {text.get('type')}")
        for person in element.findall(f"{A}author"):
            if person.find(f"{A}name") is None:
                problems.append(f"{where}: atom:author without atom:name")

    check_common(root, "feed")
    feed_has_author = root.find(f"{A}author") is not None
    for index, entry in enumerate(root.findall(f"{A}entry")):
        where = f"entry {index}"
        check_common(entry, where)
        if not feed_has_author and entry.find(f"{A}author") is None:
            problems.append(f"{where}: no atom:author and none in the feed")
        has_content = entry.find(f"{A}content") is not None
        has_alternate = any(x.get("rel") in (None, "alternate") for x in entry.findall(f"{A}link"))
        if not has_content and not has_alternate:
            problems.append(f"{where}: neither atom:content nor an alternate link")
    return problems


@pytest.fixture
def app(db) -> App:
    db.articles.insert_one(
        {"_id": "merkur.de:1", "site": "merkur.de", "headline": EVIL, "version": 2, "first_seen": T0}
    )
    db.article_versions.insert_many(
        [
            {
                "_id": f"merkur.de:1:v00000{v}",
                "article_id": "merkur.de:1",
                "version": v,
                "headline": EVIL,
                "fetched_at": T0,
            }
            for v in (1, 2)
        ]
    )
    db.changes.insert_many(
        [
            change(1),
            change(2, field="kicker", edit_class="typo_fix", site="tz.de", _id="tz.de:2:v000001>000002:kicker:0"),
            change(3, version_to=None, _id="merkur.de:1:teaser:1:teaser.headline:0", field="teaser.headline"),
            change(4, _id="merkur.de:1:v000002>000003:headline:0", headline="Bell\x07 character"),
            change(5, _id="merkur.de:1:v000003>000004:headline:0"),  # above the committed mark: on its way
        ]
    )
    db.counters.insert_one({"_id": "changes", "seq": 5, "committed": 4})
    db.crawl_runs.insert_many(
        [
            {"_id": "r1", "site": "merkur.de", "spider": "merkur", "status": "finished", "started_at": T0,
             "counts": {"articles": 3}, "health": {"status": "ok", "metrics": {"articles": 3}}},
            {"_id": "r2", "site": "merkur.de", "spider": "merkur", "status": "finished",
             "started_at": T0 + timedelta(hours=1), "counts": {"articles": 4},
             "health": {"status": "alert", "metrics": {"articles": 4}, "alerts": [{"kind": "errors_up"}]}},
        ]
    )  # fmt: skip
    return App(db, allowed_hosts={"127.0.0.1:8700"})


def get(app: App, path: str, **params: str) -> tuple[str, dict, str]:
    return call(app, path, params, **HOST)


def api(app: App, path: str, **params: str) -> tuple[str, Any]:
    status, headers, body = get(app, path, **params)
    assert (
        headers["Content-Type"] == "application/json; charset=utf-8" and headers["X-Content-Type-Options"] == "nosniff"
    )
    return status, json.loads(body)


def test_the_feed_is_valid_atom_read_entry_for_entry_by_feedparser(app):
    status, headers, body = get(app, "/feed.atom")
    assert status == "200 OK" and headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert rfc4287_problems(body.encode()) == []
    parsed = feedparser.parse(body.encode())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    ids = [e.id for e in parsed.entries]
    assert len(ids) == len(set(ids)) == 4, "changes 1-4 once each; 5 is above the committed mark"
    assert ids[0] == "urn:newsmon:change:merkur.de:1:v000002%3E000003:headline:0"  # newest first
    first = parsed.entries[-1]
    assert first.title == f"headline [headline_change]: {EVIL}"  # text, as it was scraped
    assert first.link == "https://www.merkur.de/politik/x-1.html"
    assert {t.term for t in first.tags} == {"headline_change", "headline", "merkur.de"}
    content = first.content[0].value
    assert "Before: Treffen <del>mit Barbock</del>" in content.replace("<b>", "").replace("</b>", "")
    assert "<script" not in content  # the diff, escaped text inside
    assert "Bell character" in parsed.entries[0].title, "a control character is dropped, not fatal to the XML"
    again = feedparser.parse(get(app, "/feed.atom")[2].encode())
    assert [e.id for e in again.entries] == ids and [e.updated for e in again.entries] == [
        e.updated for e in parsed.entries
    ]


def test_the_feed_takes_the_filters_of_the_page(app):
    def ids(**params: str) -> list[str]:
        status, _, body = get(app, "/feed.atom", **params)
        assert status == "200 OK" and rfc4287_problems(body.encode()) == []
        return [e.id.rsplit(":", 1)[0].split(":change:")[1] for e in feedparser.parse(body.encode()).entries]

    assert ids(site="tz.de") == ["tz.de:2:v000001%3E000002:kicker"]
    assert ids(field="teaser") == ["merkur.de:1:teaser:1:teaser.headline"]
    assert ids(**{"class": "typo_fix"}) == ["tz.de:2:v000001%3E000002:kicker"]
    assert len(ids(since="2025-05-03T10:17:30Z")) == 2 and ids(until="2025-05-03T10:16:30Z") == [
        "merkur.de:1:v000001%3E000002:headline"
    ]
    assert len(ids(limit="2")) == 2
    assert 'href="/feed.atom?site=tz.de&amp;class=typo_fix"' in get(app, "/", site="tz.de", **{"class": "typo_fix"})[2]
    feed = feedparser.parse(get(app, "/feed.atom", site="tz.de")[2].encode()).feed
    assert feed.id != feedparser.parse(get(app, "/feed.atom")[2].encode()).feed.id  # a filtered feed is another feed
    assert feed.links[0].href == "http://127.0.0.1:8700/feed.atom?site=tz.de"
    for bad in ({"limit": str(MAX_PAGE + 1)}, {"class": "$gt"}, {"field": "$where"}, {"since": "soon"}):
        status, _, body = get(app, "/feed.atom", **bad)
        assert status == "400 Bad Request" and "<script" not in body, bad


def test_api_changes_page_forward_by_seq_up_to_the_committed_mark(app):
    status, page = api(app, "/api/changes", limit="2")
    assert status == "200 OK"
    assert (
        [c["seq"] for c in page["changes"]] == [1, 2] and page["more"] and page["last"] == 2 and page["committed"] == 4
    )
    assert page["changes"][0]["detected_at"] == "2025-05-03T10:16:00Z" and page["changes"][0]["new"] == EVIL
    _, page = api(app, "/api/changes", after="2", limit="2")
    assert [c["seq"] for c in page["changes"]] == [3, 4] and not page["more"] and page["last"] == 4
    _, page = api(app, "/api/changes", after="4")
    assert page["changes"] == [] and page["last"] == 4, "5 is reserved above the mark: not yet"
    _, page = api(app, "/api/changes", site="tz.de")
    assert [c["seq"] for c in page["changes"]] == [2]
    for bad in ({"after": "-1"}, {"limit": str(MAX_CHANGES + 1)}, {"before": "3"}, {"site": "x" * 400}):
        status, answer = api(app, "/api/changes", **bad)
        assert status == "400 Bad Request" and answer["error"], bad
    status, answer = call(app, "/api/changes", QUERY_STRING="after=1&after=2", **HOST)[:2]
    assert status == "400 Bad Request"


def test_api_article_and_sites(app):
    status, answer = api(app, "/api/article", id="merkur.de:1")
    assert status == "200 OK"
    assert answer["article"]["headline"] == EVIL and [v["version"] for v in answer["versions"]] == [1, 2]
    assert [c["seq"] for c in answer["changes"]] == [1, 2, 3, 4, 5] and not answer["versions_truncated"]
    assert api(app, "/api/article", id='{"$gt": ""}') == ("404 Not Found", {"error": 'no article {"$gt": ""}'})
    assert api(app, "/api/article")[0] == "400 Bad Request"
    status, answer = api(app, "/api/sites")
    merkur = {s["site"]: s for s in answer["sites"]}["merkur.de"]
    assert merkur["articles"] == 1 and merkur["edited_articles"] == 1
    assert merkur["latest_run"]["_id"] == "r2" and "health" not in merkur["latest_run"]
    assert merkur["health"]["status"] == "alert" and merkur["latest_run"]["started_at"] == "2025-05-03T11:15:00Z"
    assert api(app, "/api/nope")[0] == "404 Not Found"


# --- on a crawled database -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crawled(mongo_uri, tmp_path_factory) -> Iterator[Any]:
    with crawled_database(mongo_uri, tmp_path_factory.mktemp("feed")) as data:
        yield data


def test_every_crawled_change_is_in_the_feed_once_and_in_the_api_once(crawled):
    app = App(crawled.db, allowed_hosts={"127.0.0.1:8700"})
    stored = {c["_id"]: c["seq"] for c in crawled.db.changes.find({}, {"seq": 1})}
    assert stored
    body = get(app, "/feed.atom", limit=str(MAX_PAGE))[2].encode()
    assert rfc4287_problems(body) == []
    parsed = feedparser.parse(body)
    assert not parsed.bozo
    ids = [e.id for e in parsed.entries]
    assert len(ids) == len(set(ids)) == len(stored)
    assert any(HOSTILE_HEADLINE in e.title for e in parsed.entries)

    seen: list[int] = []
    after = 0
    while True:
        _, page = api(app, "/api/changes", after=str(after), limit="3")
        seen += [c["seq"] for c in page["changes"]]
        after = page["last"]
        if not page["more"]:
            break
    assert seen == sorted(stored.values())

    for query in ({"site": "merkur.de"}, {"field": "headline"}):
        path = "/feed.atom?" + urlencode(query)
        subset = {e.id for e in feedparser.parse(get(app, path.split("?")[0], **query)[2].encode()).entries}
        assert subset and subset <= set(ids), f"{path}: the same change, the same id"
    _, sites = api(app, "/api/sites")
    (merkur,) = sites["sites"]
    assert (
        merkur["site"] == "merkur.de" and merkur["latest_run"]["status"] == "finished" and merkur["health"]["metrics"]
    )
    _, article = api(app, "/api/article", id=crawled.seed_id)
    assert len(article["versions"]) == 2 and {c["field"] for c in article["changes"]} >= {"headline", "kicker"}


def test_the_rfc_4287_check_finds_what_is_missing():
    good = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x:1</id><title>t</title>'
        b"<updated>2025-05-03T10:15:00Z</updated><author><name>n</name></author>"
        b"<entry><id>urn:x:2</id><title>e</title><updated>2025-05-03T10:15:00Z</updated>"
        b'<content type="html">c</content></entry></feed>'
    )
    assert rfc4287_problems(good) == []
    assert rfc4287_problems(good.replace(b"<author><name>n</name></author>", b"")) == [
        "entry 0: no atom:author and none in the feed"
    ]
    assert rfc4287_problems(good.replace(b"<id>urn:x:2</id>", b"")) == [
        "entry 0: 0 atom:id, RFC 4287 wants exactly one"
    ]
    assert rfc4287_problems(good.replace(b'<content type="html">c</content>', b"")) == [
        "entry 0: neither atom:content nor an alternate link"
    ]
    assert rfc4287_problems(good.replace(b"2025-05-03T10:15:00Z</updated><author>", b"2025-05-03</updated><author>"))
