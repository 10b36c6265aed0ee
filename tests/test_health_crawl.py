"""Crawl health end to end: a kicker gone from every page and a site failing its requests each raise health
alerts that land in `crawl_runs.health`, the alert file and `newsmon summary`."""

from __future__ import annotations

import json
import re

from crawler.apps.summary import summarize
from tests.support.crawling import crawl
from tests.support.localsite import LocalSite


def test_a_field_gone_and_errors_up_raise_health_alerts(mongo_uri, db, tmp_path):
    site = LocalSite(n_articles=12, seed=4)
    alerts_file = tmp_path / "alerts.jsonl"
    args = ("-s", f"NEWSMON_ALERT_JSONL={alerts_file}", "-s", "RETRY_TIMES=0")
    with site.serve(port=0) as base_url:
        crawl(base_url, mongo_uri, db, tmp_path, *args)
        (first,) = list(db.crawl_runs.find())
        health = first["health"]
        assert health["status"] == "ok", health["alerts"]
        assert health["metrics"]["articles"] == 12 and health["metrics"]["coverage"]["headline"] == 1.0
        assert health["metrics"]["coverage"]["kicker"] > 0.5 and health["metrics"]["http"]["error_rate"] == 0
        assert {m["status"] for m in health["monitors"]} == {"OK"}
        assert health["metrics"]["extractors"] == [{"extractor": "ippen/2023", "count": 12, "share": 1.0}]

        for spec in site.articles:
            site.edit_article(spec.id, kicker=None)
        crawl(base_url, mongo_uri, db, tmp_path, *args)
        second = db.crawl_runs.find_one({"_id": {"$ne": first["_id"]}})["health"]
        assert second["status"] == "alert"
        (gone,) = [a for a in second["alerts"] if a["kind"] == "field_gone"]
        assert gone["field"] == "kicker" and gone["share"] == 0.0
        assert second["baseline"]["runs"] == 1

        site.set_fault(r"^/(?:[a-z]+/)?$", "503")  # homepage and sections: whether or not articles are due again
        crawl(base_url, mongo_uri, db, tmp_path, *args)
    third = db.crawl_runs.find_one(sort=[("started_at", -1)])["health"]
    assert {"errors_up", "rejects_up"} <= {a["kind"] for a in third["alerts"]}
    failed = [m["monitor"] for m in third["monitors"] if m["status"] != "OK"]
    assert any(m.startswith("Unwanted HTTP codes monitor") for m in failed)

    written = [json.loads(line) for line in alerts_file.read_text(encoding="utf-8").splitlines()]
    health_kinds = {a.get("kind") for a in written if a.get("type") == "health"}
    assert {"field_gone", "errors_up", "rejects_up", "monitor"} <= health_kinds
    text = summarize(db)
    assert "read by ippen/2023 100%" in text
    assert "Crawl health" in text
    assert re.search(r"! merkur\.de: the kicker was found on 0% of \d+ articles \(usually on 8\d%\)", text)
    # a condition alerts when it starts, not on every run that still has it
    assert [a.get("kind") for a in written].count("field_gone") == 1
