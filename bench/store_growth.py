"""Write throughput and query latency of the embedded server as newsmon's collections grow to a year of data.

Grows collections shaped like newsmon's (the real indexes from ``crawler.store.schema``; string ``_id``s from
natural keys) against a fresh embedded server, in batches of 500 new articles. Every batch writes what a crawl
writes for them: a ``find`` of the current articles by ``_id``, upserts of 500 new and 250 revisited articles (the
revisits guarded by their version), 750 article version inserts (as the savers write them), 750 teaser upserts
(500 new, 250 re-sightings), a ``$inc`` on the change counter and 250 changes with their ``seq``. At 100,000
articles the database holds 150,000 versions, 100,000 teasers and 50,000 changes: a year of one large publisher.

Per step of 1,000 articles it records write operations (= documents written) per second of wall time and per
CPU second of the server process (the second does not depend on other work on the machine); at checkpoints it
times the consumers' three common queries (median of several runs, and the first run right after a write).
Then it runs the same workload on a server with mongoeco's stock write path (``--stock``) until that becomes
too slow, so both are measured in the same run. Usage::

    .venv/bin/python bench/store_growth.py [--max-docs 100000] [--stock-max-docs 5000] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import InsertOne, MongoClient, ReturnDocument, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import AutoReconnect, BulkWriteError

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from bench.procstat import cpu_seconds, rss_kib  # noqa: E402
from crawler.store import schema  # noqa: E402
from crawler.store.embedded.launcher import ensure_embedded_server, stop_embedded_server  # noqa: E402

SITES = ("merkur.de", "fr.de", "tz.de", "hna.de")
T0 = datetime(2025, 1, 1, tzinfo=UTC)
PARAGRAPH = (
    "Wegen eines massiven russischen Truppenaufmarschs an der Grenze zur Ukraine befürchtet der Westen, "
    "dass Russland einen Einmarsch in das Nachbarland vorbereitet. Der Kreml bestreitet das. "
)
IN_CHUNK = 250  # mongoeco 4.11 refuses an $in of ~500 values ("Expression tree is too large")
CHECKPOINTS = (1_000, 5_000, 10_000, 25_000, 50_000, 100_000)


def bulk_write_retrying(collection: Collection, ops: list[Any], attempts: int = 3) -> int:
    """Write ``ops`` unordered as the store's writer does: a dropped connection (a loaded machine can make pymongo's
    monitor give up on a busy server) is retried, and on a retry a version already written is not an error.
    Returns the number of retries."""
    for attempt in range(attempts):
        try:
            collection.bulk_write(ops, ordered=False)
            return attempt
        except AutoReconnect:
            if attempt == attempts - 1:
                raise
        except BulkWriteError as error:
            if attempt and all(e.get("code") == 11000 for e in error.details.get("writeErrors", [])):
                return attempt
            raise
    return attempts


def aid(n: int) -> str:
    return f"{SITES[n % len(SITES)]}:{91_000_000 + n}"


def article_fields(n: int, version: int) -> dict[str, Any]:
    site = SITES[n % len(SITES)]
    return {
        "site": site,
        "publisher_id": str(91_000_000 + n),
        "url": f"https://www.{site}/welt/artikel-{91_000_000 + n}.html",
        "kicker": "Ukraine-Krise",
        "headline": f"Schlagzeile {n} (Fassung {version})",
        "lead": PARAGRAPH,
        "body": [{"kind": "paragraph", "text": f"{PARAGRAPH} ({n}/{version}/{k})"} for k in range(12)],
        "authors": ["Nadja Zinsmeister"],
        "published": T0 + timedelta(minutes=n),
        "section": "Welt",
        "tags": ["Ukraine", "Russland"],
        "version": version,
        "content_hash": f"{n:08x}{version:04x}",
        "word_count": 420,
    }


@dataclass
class Workload:
    db: Database
    articles: int = 0
    changes: int = 0
    versions: dict[int, int] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    retries: int = 0

    def batch(self, size: int) -> int:
        """Write what a crawl writes for ``size`` new articles; returns the number of write operations."""
        db, start = self.db, self.articles
        new = list(range(start, start + size))
        revisits = self.rng.sample(range(start), min(size // 2, start)) if start else []
        fetched = T0 + timedelta(days=1, seconds=start)
        ids = [aid(n) for n in new + revisits]
        for k in range(0, len(ids), IN_CHUNK):
            list(db[schema.ARTICLES].find({"_id": {"$in": ids[k : k + IN_CHUNK]}}, {"version": 1, "content_hash": 1}))

        version_ops, article_ops, teaser_ops = [], [], []
        for n in new + revisits:
            old = self.versions.get(n, 0)
            number = old + 1
            fields = article_fields(n, number)
            version_doc = {**fields, "article_id": aid(n), "fetched_at": fetched, "run_id": f"run-{start}"}
            version_ops.append(InsertOne({"_id": f"{aid(n)}:v{number:06d}", **version_doc}))
            guard: dict[str, Any] = {"_id": aid(n), "version": old} if old else {"_id": aid(n)}
            article_ops.append(
                UpdateOne(
                    guard,
                    {
                        "$set": {**fields, "last_fetched": fetched, "last_changed": fetched},
                        "$setOnInsert": {"first_seen": fetched},
                        "$addToSet": {"urls": {"$each": [fields["url"]]}},
                    },
                    upsert=True,
                )
            )
            teaser_ops.append(
                UpdateOne(
                    {"_id": aid(n)},
                    {
                        "$setOnInsert": {"article_id": aid(n), "site": fields["site"], "first_seen": fetched},
                        "$set": {"url": fields["url"], "headline": fields["headline"], "kicker": fields["kicker"]},
                        "$max": {"last_seen": fetched},
                        "$inc": {"sightings": 1},
                        "$addToSet": {"placements": {"page": f"https://www.{fields['site']}/", "position": n % 40}},
                    },
                    upsert=True,
                )
            )
            self.versions[n] = number
        for collection, collection_ops in (
            (schema.ARTICLE_VERSIONS, version_ops),
            (schema.ARTICLES, article_ops),
            (schema.TEASERS, teaser_ops),
        ):
            self.retries += bulk_write_retrying(db[collection], collection_ops)
        ops = len(version_ops) + len(article_ops) + len(teaser_ops) + 1
        if revisits:
            counter = db[schema.COUNTERS].find_one_and_update(
                {"_id": "changes"}, {"$inc": {"seq": len(revisits)}}, upsert=True, return_document=ReturnDocument.AFTER
            )
            first = counter["seq"] - len(revisits) + 1
            db[schema.CHANGES].insert_many(
                [
                    {
                        "seq": first + k,
                        "article_id": aid(n),
                        "url": article_fields(n, 1)["url"],
                        "field": "headline",
                        "old": f"Schlagzeile {n} (Fassung {self.versions[n] - 1})",
                        "new": f"Schlagzeile {n} (Fassung {self.versions[n]})",
                        "edit_class": "rewrite",
                        "version_from": self.versions[n] - 1,
                        "version_to": self.versions[n],
                        "detected_at": fetched,
                    }
                    for k, n in enumerate(revisits)
                ],
                ordered=False,
            )
            self.changes += len(revisits)
            ops += len(revisits)
        self.articles += size
        return ops


def time_query(run: Callable[[], list[Any]], runs: int) -> dict[str, float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return {"first_ms": round(timings[0], 1), "median_ms": round(statistics.median(timings), 1)}


def queries(w: Workload, runs: int) -> dict[str, dict[str, float]]:
    db = w.db
    some = w.rng.choice([n for n in range(0, w.articles, 97) if w.versions.get(n, 0) >= 1] or [0])
    after = w.changes // 2
    out = {
        "latest_50_of_site": time_query(
            lambda: list(db[schema.ARTICLES].find({"site": SITES[0]}).sort("published", -1).limit(50)), runs
        ),
        "changes_after_seq": time_query(
            lambda: list(db[schema.CHANGES].find({"seq": {"$gt": after}}).sort("seq", 1).limit(100)), runs
        ),
        "article_history": time_query(
            lambda: list(db[schema.ARTICLE_VERSIONS].find({"article_id": aid(some)}).sort("version", 1)), runs
        ),
    }
    # Sanity: the queries return what was written (a wrong fast path would show here first).
    assert len(list(db[schema.ARTICLES].find({"site": SITES[0]}).sort("published", -1).limit(50))) == min(
        50, (w.articles + len(SITES) - 1) // len(SITES)
    )
    assert len(list(db[schema.ARTICLE_VERSIONS].find({"article_id": aid(some)}))) == w.versions[some]
    return out


def db_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in (data_dir / "db").glob("*") if p.is_file())


def rss_mb(pid: int) -> float | None:
    try:
        kib = rss_kib(pid)
    except OSError:
        return None
    return round(kib / 1024, 1) if kib is not None else None


def grow(label: str, stock: bool, max_docs: int, step: int, batch: int, step_timeout: float, runs: int) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"newsmon-growth-{label}-"))
    server = ensure_embedded_server(data_dir, server_args=["--stock"] if stock else [])
    client: MongoClient = MongoClient(server.uri, tz_aware=True)
    db = client["newsmon"]
    schema.ensure_indexes(db)
    w = Workload(db)
    steps: list[dict[str, Any]] = []
    checkpoints: list[dict[str, Any]] = []
    stopped = None
    print(f"\n[{label}] server pid {server.pid}, data {data_dir}", flush=True)
    try:
        while w.articles < max_docs and stopped is None:
            started, ops, cpu_started = time.perf_counter(), 0, cpu_seconds(server.pid)
            target = min(w.articles + step, max_docs)
            while w.articles < target:
                ops += w.batch(min(batch, target - w.articles))
                if time.perf_counter() - started > step_timeout and w.articles < target:
                    stopped = f"a step of {step} articles took over {step_timeout:.0f}s"
                    break
            seconds = time.perf_counter() - started
            cpu = cpu_seconds(server.pid) - cpu_started
            steps.append(
                {
                    "articles": w.articles,
                    "ops": ops,
                    "seconds": round(seconds, 2),
                    "ops_per_s": round(ops / seconds, 1),
                    "server_cpu_s": round(cpu, 2),
                    "ops_per_server_cpu_s": round(ops / cpu, 1),
                    "load": round(os.getloadavg()[0], 1),
                    "retries": w.retries,
                }
            )
            print(
                f"[{label}] {w.articles:>7} articles  {ops / seconds:7.1f} docs/s  "
                f"{ops / cpu:7.1f} docs per server CPU second  load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            if w.articles in CHECKPOINTS or (stopped is None and w.articles >= max_docs):
                checkpoint = {
                    "articles": w.articles,
                    "documents": 2 * w.articles + sum(w.versions.values()) + w.changes,
                    "queries": queries(w, runs),
                    "db_mb": round(db_bytes(data_dir) / 1e6, 1),
                    "server_rss_mb": rss_mb(server.pid),
                }
                checkpoints.append(checkpoint)
                print(f"[{label}] checkpoint {json.dumps(checkpoint)}", flush=True)
    finally:
        client.close()
        stop_embedded_server(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
    return {"label": label, "stock": stock, "steps": steps, "checkpoints": checkpoints, "stopped": stopped}


def print_table(results: list[dict]) -> None:
    for key, title in (("ops_per_s", "per second"), ("ops_per_server_cpu_s", "per CPU second of the server")):
        print(f"\nWrite throughput (documents written {title}, per step of 1,000 articles)")
        for r in results:
            at = {s["articles"]: s[key] for s in r["steps"]}
            shown = [n for n in (1_000, 2_000, 5_000, 10_000, 25_000, 50_000, 75_000, 100_000) if n in at]
            cells = "  ".join(f"{n:>6}: {at[n]:>6}" for n in shown)
            print(f"  {r['label']:<6} {cells}" + (f"  (stopped: {r['stopped']})" if r["stopped"] else ""))
    print("\nQuery latency in ms, median (first run after a write) at N articles")
    for r in results:
        for c in r["checkpoints"]:
            q = c["queries"]
            cells = "  ".join(f"{name} {v['median_ms']} ({v['first_ms']})" for name, v in q.items())
            print(f"  {r['label']:<6} {c['articles']:>7}: {cells}  db {c['db_mb']} MB, rss {c['server_rss_mb']} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-docs", type=int, default=100_000, help="articles to grow to with the fast path")
    parser.add_argument("--stock-max-docs", type=int, default=5_000, help="articles for stock mongoeco (0: skip)")
    parser.add_argument("--step", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--step-timeout", type=float, default=60.0, help="stop a run when a step takes longer")
    parser.add_argument("--runs", type=int, default=5, help="runs per query timing")
    parser.add_argument("--json", type=Path, default=None, help="default: bench/results/store_growth-<time>.json")
    args = parser.parse_args()

    results = [grow("fast", False, args.max_docs, args.step, args.batch, float("inf"), args.runs)]
    if args.stock_max_docs:
        results.append(grow("stock", True, args.stock_max_docs, args.step, args.batch, args.step_timeout, args.runs))
    print_table(results)
    out = args.json or Path("bench/results") / f"store_growth-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"when": datetime.now(UTC).isoformat(), "args": vars(args), "results": results}
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
