"""The store's one front door (crawler/store/facade.py): crawl components hand it items and run facts; only
crawler/store builds documents and writes collections."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scrapy.utils.test import get_crawler

from crawler.config import load_settings
from crawler.model.items import ArticleItem, Block, RejectItem
from crawler.model.teasers import TeaserBook
from crawler.store.facade import NotModified, Store, enabled

ROOT = Path(__file__).resolve().parent.parent
CRAWL_COMPONENTS = ("crawler/pipelines", "crawler/discover", "crawler/extract", "crawler/model", "crawler/runtime")
"""What runs inside a crawl besides the store; `spiders/` too."""
STORE_INSIDES = {"writer", "savers", "runtime", "spool", "change_recorder", "documents", "runs", "sequence"}
"""Modules of crawler/store that write collections or build their documents."""
WRITES = {
    "put",
    "insert_one",
    "insert_many",
    "update_one",
    "update_many",
    "replace_one",
    "bulk_write",
    "delete_one",
    "delete_many",
    "find_one_and_update",
    "find_one_and_replace",
    "find_one_and_delete",
}
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
URL = "https://www.merkur.de/politik/artikel-91000001.html"


def side_doors(source: str) -> list[str]:
    """What in `source` bypasses the front door: an import of the store's insides, a write through a writer or a
    collection (`x.writer.put`, `db[...].update_one`, `db.articles.insert_one`)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        found += [name for name in _imports(node) if _inside(name)][:1]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
            receiver = node.func.value
            on_writer = isinstance(receiver, ast.Attribute) and receiver.attr == "writer"
            on_db = isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name)
            if on_writer or isinstance(receiver, ast.Subscript) or (on_db and receiver.value.id == "db"):
                found.append(f"{ast.unparse(node.func)}()")
    return found


def _imports(node: ast.AST) -> list[str]:
    """Modules an import names, the module first (`from crawler.store import spool` names `crawler.store.spool`)."""
    if isinstance(node, ast.ImportFrom) and node.module:
        return [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return [a.name for a in node.names] if isinstance(node, ast.Import) else []


def _inside(name: str) -> bool:
    parts = name.split(".")
    return parts[:2] == ["crawler", "store"] and len(parts) > 2 and parts[2] in STORE_INSIDES


def test_no_crawl_component_writes_a_collection_or_builds_its_documents():
    files = [p for d in (*CRAWL_COMPONENTS, "spiders") for p in sorted((ROOT / d).rglob("*.py"))]
    assert len(files) > 50
    found = {
        str(path.relative_to(ROOT)): doors for path in files if (doors := side_doors(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_check_finds_the_side_doors_there_were():
    """What the teaser pipeline, the revisit planner and the run recorder did before the front door."""
    before = """
from crawler.store.runtime import StoreRuntime
from crawler.store import schema, spool
runtime.writer.put("teaser", doc)
db[schema.CRAWL_RUNS].update_one({"_id": 1}, {"$set": {}}, upsert=True)
db.articles.insert_one({})
"""
    assert side_doors(before) == [
        "crawler.store.runtime",
        "crawler.store.spool",
        "runtime.writer.put()",
        "db[schema.CRAWL_RUNS].update_one()",
        "db.articles.insert_one()",
    ]
    assert side_doors("from crawler.store.facade import Store\nStore.of(crawler).save(item)\nqueue.put(1)") == []


def test_whether_a_crawl_stores_is_asked_of_the_store():
    from crawler import settings as project
    from crawler.pipelines.store import StorePipeline

    assert enabled(get_crawler(settings_dict={"ITEM_PIPELINES": project.ITEM_PIPELINES}))
    assert enabled(get_crawler(settings_dict={"ITEM_PIPELINES": {StorePipeline: 900}}).settings)  # a class, not a path
    assert not enabled(get_crawler(settings_dict={"ITEM_PIPELINES": {}}))
    switched_off = {**project.ITEM_PIPELINES, "crawler.pipelines.store.StorePipeline": None}
    assert not enabled(get_crawler(settings_dict={"ITEM_PIPELINES": switched_off}))


def test_whether_a_crawl_stores_is_answered_in_one_place():
    """Nothing else matches the store pipeline's path or reads the pipelines (the planner and the distributed
    worker each did)."""
    asking = sorted(
        str(path.relative_to(ROOT))
        for path in [*(ROOT / "crawler").rglob("*.py"), *(ROOT / "spiders").rglob("*.py")]
        if path.name != "settings.py"
        and any(s in path.read_text(encoding="utf-8") for s in ('"crawler.pipelines.store.', '"ITEM_PIPELINES"'))
    )
    assert asking == ["crawler/store/facade.py"]


def teaser_records(position: int, seen: datetime) -> list:
    book = TeaserBook()
    teaser = {"url": URL, "site": "merkur.de", "headline": "Teaser", "page_url": "https://www.merkur.de/"}
    book.observe("merkur.de:91000001", {**teaser, "position": position, "seen_at": seen})
    return book.take()


def test_items_and_run_facts_through_the_front_door_become_the_collections(mongo_uri, db, tmp_path):
    settings = load_settings(
        {
            "MONGO_URI": mongo_uri,
            "NEWSMON_MONGO_DB": db.name,
            "NEWSMON_DATA_DIR": str(tmp_path),
            "NEWSMON_STORE_FLUSH_SECONDS": 0.05,
        }
    )
    crawler = get_crawler(settings_dict={**settings.copy_to_dict(), "TWISTED_REACTOR_ENABLED": False})
    crawler.stats.open_spider()
    store = Store.of(crawler)
    assert Store.of(crawler) is store is Store.opened(crawler)
    store.run_started({"spider": "merkur", "site": "merkur.de", "status": "running", "started_at": T0})
    article = ArticleItem(
        url=URL,
        site="merkur.de",
        headline="Schlagzeile",
        publisher_id="91000001",
        body=[Block("paragraph", "Text.")],
        fetched_at=T0,
    )
    store.save(article)
    store.save(RejectItem(url=URL + "?x", site="merkur.de", reason="validate: no headline", item={}))
    # an early flush of the teaser pipeline and the one at the end: one article, counted in one run
    store.record_teasers(teaser_records(1, T0))
    store.record_teasers(teaser_records(2, T0 + timedelta(minutes=5)))
    checked = T0 + timedelta(hours=1)
    store.record_not_modified(
        NotModified("merkur.de:91000001", URL, "merkur.de", checked, checked + timedelta(hours=2), '"e1"', None, None)
    )
    store._runtime.writer.flush(timeout=60)
    store.run_ended({"status": "finished", "stop_reason": "finished", "counts": {"requests": 3}})
    store._runtime._close()

    stored = db.articles.find_one({"_id": "merkur.de:91000001"})
    assert stored["last_fetched"] == checked and stored["etag"] == '"e1"' and stored["version"] == 1
    assert db.article_versions.find_one()["run_id"] == store.run_id
    (teaser,) = list(db.teasers.find())
    assert teaser["runs"] == 1 and teaser["observations"] == 2 and len(teaser["flushes"]) == 2
    assert db.rejects.find_one()["run_id"] == store.run_id
    run = db.crawl_runs.find_one({"_id": store.run_id})
    assert run["spider"] == "merkur" and run["status"] == "finished"
    assert run["counts"]["requests"] == 3 and run["counts"]["new_articles"] == 1
    stats = crawler.stats.get_stats()
    assert (stats["newsmon/store/queued/article"], stats["newsmon/store/queued/teaser"]) == (1, 2)
