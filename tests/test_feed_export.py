"""`scrapy crawl -O items.jsonl`: every exported item says what it is (article, teaser or reject)."""

from __future__ import annotations

import json

from tests.support.crawling import crawl
from tests.support.localsite import LocalSite


def test_each_exported_item_names_its_type(mongo_uri, db, tmp_path):
    local = LocalSite(n_articles=3, seed=9)
    broken = local.articles[0]
    local.set_fault(rf"{broken.id}\.html$", "500")
    with local.serve(port=0) as base_url:
        crawl(base_url, mongo_uri, db, tmp_path, "-O", str(tmp_path / "items.jsonl"), "-s", "RETRY_TIMES=0")
    items = [json.loads(line) for line in (tmp_path / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    by_type: dict[str, list[dict]] = {}
    for item in items:
        by_type.setdefault(item["item_type"], []).append(item)
    assert set(by_type) == {"article", "teaser", "reject"}
    assert all("headline" in a and "body" in a for a in by_type["article"])
    assert all("page_url" in t for t in by_type["teaser"])
    assert [r["reason"] for r in by_type["reject"]] == ["http 500"]
    assert len(by_type["article"]) == db.articles.count_documents({})
