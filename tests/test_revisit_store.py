"""The store side of revisiting (validators, next visits, 304 checks, the known list) and the listing cache."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from scrapy import Request
from scrapy.http import HtmlResponse, Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler.discover.revisit.http_cache import AtomicFilesystemCacheStorage, RevalidatePolicy
from crawler.store.revisit import load_known
from tests.test_store_writer import T0, article, run_writer, teaser


def test_an_article_stores_its_validators_and_next_visit_and_a_304_only_moves_them(db, tmp_path):
    first = article(1, etag='"v1"', last_modified="Sun, 01 Nov 2026 08:00:00 GMT", next_visit=T0 + timedelta(days=3))
    first["next_visit_changed"] = T0 + timedelta(hours=1, minutes=15)
    run_writer(db, tmp_path, [("article", first)])
    doc = db.articles.find_one({"_id": "merkur.de:91000001"})
    assert (doc["etag"], doc["last_modified"]) == ('"v1"', "Sun, 01 Nov 2026 08:00:00 GMT")
    assert doc["next_visit"] == T0 + timedelta(days=3), "a first version is due by its age"

    edited = article(1, "Neue Schlagzeile", etag='"v2"', next_visit=T0 + timedelta(days=3))
    edited["next_visit_changed"] = T0 + timedelta(hours=1, minutes=15)
    run_writer(db, tmp_path, [("article", edited)])
    doc = db.articles.find_one({"_id": "merkur.de:91000001"})
    assert (doc["version"], doc["etag"]) == (2, '"v2"')
    assert doc["next_visit"] == T0 + timedelta(hours=1, minutes=15), "an edit makes it due again soon"

    check = {
        "article_id": "merkur.de:91000001",
        "url": first["url"],
        "last_fetched": T0 + timedelta(hours=5),
        "next_visit": T0 + timedelta(hours=8),
        "etag": None,
        "hinted_modified": T0 + timedelta(hours=4),
    }
    missing = {**check, "article_id": "merkur.de:99999999"}
    writer = run_writer(db, tmp_path, [("revisit", check), ("revisit", missing)])
    assert writer.stats.counts["not_modified"] == 2
    doc = db.articles.find_one({"_id": "merkur.de:91000001"})
    assert doc["last_fetched"] == T0 + timedelta(hours=5) and doc["next_visit"] == T0 + timedelta(hours=8)
    assert doc["etag"] == '"v2"' and doc["hinted_modified"] == T0 + timedelta(hours=4)
    assert doc["version"] == 2 and db.article_versions.count_documents({}) == 2
    assert db.articles.count_documents({}) == 1, "a 304 never creates an article"


def test_the_known_list_has_what_revisiting_needs(db, tmp_path):
    docs = [("article", article(n, etag=f'"e{n}"', next_visit=T0 + timedelta(hours=n))) for n in range(3)]
    docs.append(("teaser", teaser(1, 1)))
    docs.append(("article", {**article(9), "site": "tz.de"}))
    run_writer(db, tmp_path, docs)
    known, by_url = load_known(db, "merkur.de")
    assert set(known) == {f"merkur.de:{91000000 + n}" for n in range(3)}
    one = known["merkur.de:91000001"]
    assert (one.etag, one.version, one.teaser_headline) == ('"e1"', 1, "Teaser 1")
    assert one.next_visit == T0 + timedelta(hours=1) and one.published == T0 + timedelta(minutes=1)
    assert by_url["https://www.merkur.de/welt/artikel-91000002.html"] == "merkur.de:91000002"


def test_listings_are_always_revalidated_and_articles_and_rendered_pages_never_cached():
    policy = RevalidatePolicy(Settings())
    url = "http://127.0.0.1:8800/politik/"
    cached = HtmlResponse(url, body=b"<html></html>", headers={"ETag": '"l1"', "Last-Modified": "Sun, 01 Nov 2026"})
    request = Request(url)
    assert policy.should_cache_request(request)
    assert not policy.is_cached_response_fresh(cached, request), "a Last-Modified heuristic would keep it stale"
    assert request.headers["If-None-Match"] == b'"l1"'
    assert not policy.should_cache_request(Request(url, meta={"newsmon_revisit": {"reason": "due"}}))
    assert not policy.should_cache_request(Request(url, meta={"playwright": True}))


def test_a_cache_entry_cut_by_a_kill_is_a_miss_not_a_half_page(tmp_path: Path):
    crawler = get_crawler(settings_dict={"HTTPCACHE_DIR": str(tmp_path), "HTTPCACHE_GZIP": True})
    storage = AtomicFilesystemCacheStorage(crawler.settings)
    spider = crawler._create_spider("merkur")
    storage.open_spider(spider)
    request = Request("http://127.0.0.1:8800/")
    storage.store_response(spider, request, HtmlResponse(request.url, body=b"<html>eins</html>", headers={"ETag": "1"}))
    assert storage.retrieve_response(spider, request).body == b"<html>eins</html>"

    entry = Path(storage._get_request_path(spider, request))
    (entry / "pickled_meta").unlink()  # what a kill between its first and last file leaves
    (entry / "response_body").write_bytes(b"<ht")
    assert storage.retrieve_response(spider, request) is None
    storage.store_response(spider, request, Response(request.url, body=b"<html>zwei</html>"))
    assert storage.retrieve_response(spider, request).body == b"<html>zwei</html>"
    assert not [p for p in entry.iterdir() if p.name.startswith(".")], "no temporary files left"
