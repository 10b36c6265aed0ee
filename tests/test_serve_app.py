"""The `newsmon serve` application without a browser: escaping, parameter validation, read-only, Host check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest

from crawler.consumers.web import App
from crawler.consumers.web.diff import side_by_side
from crawler.consumers.web.html import external

T0 = datetime(2025, 5, 3, 10, 15, tzinfo=UTC)
EVIL = "<script>alert(\"x\")</script> & 'quotes' <img src=x onerror=alert(1)>"
EVIL_ESCAPED = (
    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27; &lt;img src=x onerror=alert(1)&gt;"
)


def call(app: App, path: str = "/", params: dict[str, str] | None = None, **environ: Any) -> tuple[str, dict, str]:
    env: dict[str, Any] = {"PATH_INFO": path, "QUERY_STRING": urlencode(params or {})}
    env.update(environ)
    setup_testing_defaults(env)
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(env, start_response)).decode("utf-8")
    return seen["status"], seen["headers"], body


def change(seq: int, **fields: Any) -> dict[str, Any]:
    return {
        "_id": f"merkur.de:1:v000001>000002:headline:{seq}",
        "seq": seq,
        "article_id": "merkur.de:1",
        "site": "merkur.de",
        "url": "https://www.merkur.de/politik/x-1.html",
        "headline": EVIL,
        "field": "headline",
        "old": "Treffen mit Barbock",
        "new": EVIL,
        "diff": [
            {"op": "equal", "old": "Treffen", "new": "Treffen"},
            {"op": "replace", "old": "mit Barbock", "new": EVIL},
        ],
        "edit_class": "headline_change",
        "significance": 2,
        "version_from": 1,
        "version_to": 2,
        "detected_at": T0 + timedelta(minutes=seq),
        **fields,
    }


@pytest.fixture
def app(db) -> App:
    db.articles.insert_one(
        {
            "_id": "merkur.de:1",
            "site": "merkur.de",
            "url": "javascript:alert(1)",
            "headline": EVIL,
            "first_seen": T0,
            "version": 2,
        }
    )
    db.article_versions.insert_many(
        [
            {"_id": "merkur.de:1:v000001", "article_id": "merkur.de:1", "version": 1, "headline": "Alt",
             "kicker": "Ukraine", "fetched_at": T0, "content_hash": "a" * 64},
            {"_id": "merkur.de:1:v000002", "article_id": "merkur.de:1", "version": 2, "headline": EVIL,
             "kicker": EVIL, "fetched_at": T0, "content_hash": "b" * 64},
        ]
    )  # fmt: skip
    db.teasers.insert_one(
        {
            "_id": "merkur.de:1",
            "site": "merkur.de",
            "variants": {"k1": {"field": "headline", "value": EVIL, "first_seen": T0, "last_seen": T0, "count": 3}},
            "placements": {"p1": {"page": "https://www.merkur.de/", "block": "prio", "position": 1,
                                  "first_seen": T0, "last_seen": T0, "count": 2}},
            "headline_vs_article": {"teaser": EVIL, "article": "Alt", "since": T0},
            "ab_tests": {"headline": {"wordings": [{"value": EVIL, "count": 3, "first_seen": T0, "last_seen": T0},
                                                   {"value": "Neu", "count": 1, "first_seen": T0, "last_seen": T0}],
                                      "first_detected": T0, "last_detected": T0}},
        }
    )  # fmt: skip
    db.changes.insert_many(
        [change(1), change(2, field="kicker", edit_class="typo_fix", site="tz.de"), change(3, version_to=None)]
    )
    return App(db, page_size=2, allowed_hosts={"127.0.0.1:8700", "localhost:8700"})


HOST = {"HTTP_HOST": "127.0.0.1:8700"}


def test_scraped_text_is_escaped_everywhere(app):
    for path, params in (("/", {}), ("/article", {"id": "merkur.de:1"})):
        status, headers, body = call(app, path, params, **HOST)
        assert status == "200 OK"
        assert "<script" not in body and "onerror=alert(1)>" not in body
        assert EVIL_ESCAPED in body
        assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'none': no script runs
        assert headers["X-Content-Type-Options"] == "nosniff"
    assert 'href="javascript:' not in body, "a non-http URL is never a link"


def test_the_list_pages_backwards_by_seq_with_the_filters_kept(app):
    _, _, body = call(app, "/", {"limit": "1", "field": "headline"}, **HOST)
    assert "#3 ·" in body and "#1 ·" not in body and "before=3" in body and "field=headline" in body
    _, _, body = call(app, "/", {"limit": "1", "field": "headline", "before": "3"}, **HOST)
    assert "#1 ·" in body and "older changes" not in body
    _, _, body = call(app, "/", {"class": "typo_fix"}, **HOST)
    assert "#2 ·" in body and "#1 ·" not in body
    _, _, body = call(app, "/", {"site": "tz.de", "since": "2025-05-03T10:16:30Z"}, **HOST)
    assert "#2 ·" in body and body.count('<article class="change') == 1
    _, _, body = call(app, "/", {"site": "tz.de", "since": "2025-05-03T10:17:30Z"}, **HOST)
    assert "No changes match." in body
    _, _, body = call(app, "/", {"site": "", "field": "", "class": ""}, **HOST)  # an empty form: no filter
    assert body.count('<article class="change') == 2


def test_operator_shaped_parameters_are_strings_or_refused(app):
    status, _, body = call(app, "/", {"site": '{"$ne": null}'}, **HOST)
    assert status == "200 OK" and "No changes match." in body
    status, _, body = call(app, "/article", {"id": '{"$gt": ""}'}, **HOST)
    assert status == "404 Not Found"
    for params in ({"field": "$where"}, {"class": "$gt"}, {"since": "[$gt]"}, {"before": "-1"}, {"limit": "10000"}):
        status, _, body = call(app, "/", params, **HOST)
        assert status == "400 Bad Request", params
        assert "<script" not in body
    status, _, _ = call(app, "/", QUERY_STRING="site=a&site=b", **HOST)
    assert status == "400 Bad Request"


def test_the_article_page_shows_versions_changes_and_teaser_variants(app):
    status, _, body = call(app, "/article", {"id": "merkur.de:1"}, **HOST)
    assert status == "200 OK"
    assert "Version history" in body and "v1" in body and "v2" in body and "Ukraine" in body
    assert "Teaser variants" in body and "Teaser placements" in body and "https://www.merkur.de/" in body
    assert "<del>mit Barbock</del>" in body and f"<ins>{EVIL_ESCAPED}</ins>" in body
    # teaser facts, not changes: the headline unlike the article's (since when) and the A/B test's wordings
    assert "headline differs from the article" in body and f"teaser „{EVIL_ESCAPED}“, article „Alt“" in body
    assert "A/B test of the headline" in body and "„Neu“: seen 1 times" in body


def test_it_is_read_only_and_answers_only_loopback_hosts(app, db):
    before = {name: db[name].count_documents({}) for name in db.list_collection_names()}
    status, headers, _ = call(app, "/", REQUEST_METHOD="POST", **HOST)
    assert status.startswith("405") and headers["Allow"] == "GET, HEAD"
    status, _, _ = call(app, "/", HTTP_HOST="evil.example:8700")
    assert status == "400 Bad Request"
    status, _, body = call(app, "/", REQUEST_METHOD="HEAD", **HOST)
    assert status == "200 OK" and body == ""
    assert call(app, "/nope", **HOST)[0] == "404 Not Found"
    assert call(app, "/article", **HOST)[0] == "400 Bad Request"
    assert {name: db[name].count_documents({}) for name in db.list_collection_names()} == before


def test_side_by_side_marks_removed_words_left_and_added_words_right():
    old, new = side_by_side(
        [
            {"op": "equal", "old": "„Treffen“", "new": '"Treffen"'},
            {"op": "delete", "old": "heute", "new": ""},
            {"op": "insert", "old": "", "new": "<b>morgen</b>"},
        ]
    )
    assert old == "„Treffen“ <del>heute</del>"
    assert new == "&quot;Treffen&quot; <ins>&lt;b&gt;morgen&lt;/b&gt;</ins>"
    assert external('https://x.de/?a=1&b="2"', "x") == (
        '<a href="https://x.de/?a=1&amp;b=&quot;2&quot;" rel="noopener noreferrer nofollow">x</a>'
    )
    assert external("data:text/html,<b>", "x") == "x"
