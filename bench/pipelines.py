"""Teasers/s and articles/s through newsmon's item pipelines into the store, and database round trips.

No network: the items come from the local publisher site's pages (built from the real IPPEN markup), rendered
in process and extracted before the clock starts. Each "run" is a fresh crawler (its own pipelines, writer and
run id) that pushes every teaser of the homepage and section pages and every article through
Teaser -> Normalize -> Validate -> Store, and ends when the store has written everything.

Peers measured in the same run, on the same items and server:
- teasers: the folding pipeline (one write per teased article per run) vs one upsert per teaser observation
  (what a pipeline without dedupe writes);
- articles: batched writes (NEWSMON_STORE_BATCH_SIZE=200) vs one article per write (batch size 1).

    .venv/bin/python bench/pipelines.py [--articles 400] [--runs 5] [--json bench/results/pipelines.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:  # run as `python bench/pipelines.py`: the checkout's tests.support must import
    sys.path.insert(0, str(PROJECT))

from pymongo import MongoClient, UpdateOne, monitoring  # noqa: E402
from scrapy.exceptions import DropItem  # noqa: E402
from scrapy.utils.test import get_crawler  # noqa: E402

from crawler.config import load_settings  # noqa: E402
from crawler.extract.ippen import extract_article  # noqa: E402
from crawler.extract.ippen_listing import extract_teasers  # noqa: E402
from crawler.model.identity import article_id  # noqa: E402
from crawler.model.items import ArticleItem, TeaserItem  # noqa: E402
from crawler.pipelines.normalize import NormalizePipeline  # noqa: E402
from crawler.pipelines.store import StorePipeline  # noqa: E402
from crawler.pipelines.teasers import TeaserPipeline  # noqa: E402
from crawler.pipelines.validate import ValidatePipeline  # noqa: E402
from crawler.store.embedded.launcher import ensure_embedded_server, stop_embedded_server  # noqa: E402
from crawler.store.runtime import StoreRuntime  # noqa: E402
from tests.support.localsite import LocalSite  # noqa: E402
from tests.support.localsite.content import SECTIONS  # noqa: E402


class CommandCounter(monitoring.CommandListener):
    """Counts every command pymongo sends: one round trip each."""

    def __init__(self) -> None:
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in ("ping", "hello", "isMaster", "endSessions"):
            self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def build_items(n_articles: int) -> tuple[list[TeaserItem], list[ArticleItem]]:
    local = LocalSite(n_articles=n_articles, seed=11)
    base = "https://www.merkur.de"
    teasers = []
    for path in ["/", *(f"/{s}/" for s in SECTIONS)]:
        teasers += extract_teasers(local.respond(path).body.decode("utf-8"), base + path, "merkur.de")
    articles = [
        extract_article(local.respond(a.path).body.decode("utf-8"), base + a.path, "merkur.de") for a in local.articles
    ]
    return teasers, articles


def pipeline_run(uri: str, db_name: str, data: Path, items: list[Any], batch: int) -> dict[str, Any]:
    """One crawler's worth of pipelines over `items`; returns seconds until everything is written."""
    settings = load_settings(
        {
            "MONGO_URI": uri,
            "NEWSMON_MONGO_DB": db_name,
            "NEWSMON_DATA_DIR": str(data),
            "NEWSMON_STORE_BATCH_SIZE": batch,
            "NEWSMON_STORE_FLUSH_SECONDS": 0.5,
            "LOG_LEVEL": "WARNING",
        }
    )
    crawler = get_crawler(settings_dict={**settings.copy_to_dict(), "TWISTED_REACTOR_ENABLED": False})
    crawler.stats.open_spider()
    pipelines = [cls.from_crawler(crawler) for cls in (TeaserPipeline, NormalizePipeline, ValidatePipeline)]
    store = StorePipeline.from_crawler(crawler)
    runtime = StoreRuntime.of(crawler)
    runtime.db.command("ping")
    started = time.perf_counter()
    for original in items:
        item: Any = original
        try:
            for pipeline in pipelines:
                item = pipeline.process_item(item)
        except DropItem:
            continue
        store.process_item(item)
    pipelines[0].close_spider()
    stats = runtime.writer.close()
    seconds = time.perf_counter() - started
    runtime.client.close()
    return {"seconds": seconds, "written": dict(stats.written), "counts": dict(stats.counts)}


def naive_teasers(db: Any, teasers: list[TeaserItem]) -> float:
    """The peer: one upsert per teaser observation, sent one by one."""
    started = time.perf_counter()
    for t in teasers:
        aid = article_id(t.site, t.publisher_id, t.url)
        db.teasers_naive.bulk_write(
            [
                UpdateOne(
                    {"_id": aid},
                    {
                        "$set": {"headline": t.headline, "kicker": t.kicker, "text": t.text},
                        "$max": {"last_seen": datetime.now(UTC)},
                        "$inc": {"sightings": 1},
                        "$addToSet": {"placements": {"page": t.page_url, "block": t.block, "position": t.position}},
                    },
                    upsert=True,
                )
            ]
        )
    return time.perf_counter() - started


def rate(n: int, seconds: float, trips: int) -> dict[str, float]:
    return {"items": n, "per_s": round(n / seconds, 1), "round_trips_per_1000": round(trips * 1000 / n, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=400, help="articles of the local site")
    parser.add_argument("--runs", type=int, default=20, help="teaser runs (crawlers) over the same listing pages")
    parser.add_argument("--json", type=Path, default=Path("bench/results/pipelines.json"))
    args = parser.parse_args()

    teasers, articles = build_items(args.articles)
    print(f"{len(teasers)} teaser observations on {1 + len(SECTIONS)} listing pages, {len(articles)} articles")
    data = Path(tempfile.mkdtemp(prefix="newsmon-bench-pipelines-"))
    counter = CommandCounter()
    monitoring.register(counter)
    uri = os.environ.get("MONGO_URI") or ensure_embedded_server(data / "db").uri
    results: dict[str, Any] = {"teasers_per_run": len(teasers), "articles": len(articles)}
    peer_client: MongoClient = MongoClient(uri, tz_aware=True)
    try:
        seconds = {"teasers": 0.0, "peer": 0.0}
        trips = {"teasers": 0, "peer": 0}
        for run in range(args.runs):
            counter.count = 0
            seconds["teasers"] += pipeline_run(uri, "bench_pipelines", data / f"t{run}", list(teasers), 200)["seconds"]
            trips["teasers"], counter.count = trips["teasers"] + counter.count, 0
            seconds["peer"] += naive_teasers(peer_client["bench_pipelines_peer"], teasers)
            trips["peer"] += counter.count
        total = len(teasers) * args.runs
        results["teasers"] = rate(total, seconds["teasers"], trips["teasers"])
        results["teasers_one_upsert_each"] = rate(total, seconds["peer"], trips["peer"])
        for label, batch in (("articles", 200), ("articles_batch_1", 1)):
            for state in ("new", "unchanged"):
                counter.count = 0
                run = pipeline_run(uri, f"bench_{label}", data / f"{label}-{state}", list(articles), batch)
                results[f"{label}_{state}"] = {**rate(len(articles), run["seconds"], counter.count), **run["counts"]}
        for name, row in results.items():
            print(f"{name:<28} {json.dumps(row)}")
    finally:
        peer_client.close()
        if not os.environ.get("MONGO_URI"):
            stop_embedded_server(data / "db")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"when": datetime.now(UTC).isoformat(), "args": vars(args), **results}, default=str, indent=2)
    )
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
