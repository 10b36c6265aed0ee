"""Items/s and database round trips through newsmon's store path: batched vs one-by-one.

Runs the real BatchWriter (the code a crawl uses) against a fresh embedded server (or MONGO_URI) and counts
the commands pymongo sends with a command listener. Usage:

    .venv/bin/python bench/store_write.py [--items 2000] [--batch 200] [--json bench/results/store_write.json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pymongo import MongoClient, monitoring

from crawler.model.teasers import TeaserBook
from crawler.store.documents import teaser_doc
from crawler.store.embedded.launcher import ensure_embedded_server, stop_embedded_server
from crawler.store.spool import Spool
from crawler.store.writer import BatchWriter

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PARAGRAPH = (
    "Wegen eines massiven russischen Truppenaufmarschs an der Grenze zur Ukraine befürchtet der Westen, "
    "dass Russland einen Einmarsch in das Nachbarland vorbereitet. "
)


class CommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def items(n: int, offset: int) -> list[tuple[str, dict]]:
    """Half articles (a realistic body of 12 paragraphs), half teaser records (as the teaser pipeline writes)."""
    out: list[tuple[str, dict]] = []
    for i in range(offset, offset + n):
        pid = str(90000000 + i)
        url = f"https://www.merkur.de/welt/artikel-{pid}.html"
        if i % 2:
            out.append(
                (
                    "article",
                    {
                        "url": url,
                        "site": "merkur.de",
                        "publisher_id": pid,
                        "headline": f"Schlagzeile {i}",
                        "lead": PARAGRAPH,
                        "body": [{"kind": "paragraph", "text": PARAGRAPH * 3} for _ in range(12)],
                        "authors": ["Nadja Zinsmeister"],
                        "published": T0 + timedelta(minutes=i),
                        "fetched_at": T0 + timedelta(days=1),
                    },
                )
            )
        else:
            book = TeaserBook()
            book.observe(
                f"merkur.de:{pid}",
                {
                    "url": url,
                    "site": "merkur.de",
                    "headline": f"Teaser {i}",
                    "page_url": "https://www.merkur.de/",
                    "position": i % 50,
                    "seen_at": T0,
                },
            )
            out.append(("teaser", teaser_doc(book.take()[0], f"bench:{i}", "bench")))
    return out


def measure(uri: str, db_name: str, batch: int, stream: list[tuple[str, dict]], spool_dir: Path) -> dict:
    counter = CommandCounter()
    client: MongoClient = MongoClient(uri, tz_aware=True, event_listeners=[counter])
    db = client[db_name]
    db.command("ping")
    counter.count = 0
    writer = BatchWriter(db, Spool(spool_dir), batch_size=batch, flush_seconds=60.0)
    started = time.perf_counter()
    writer.start()
    for kind, doc in stream:
        writer.put(kind, dict(doc))
    writer.close()
    seconds = time.perf_counter() - started
    client.drop_database(db_name)
    client.close()
    return {
        "batch_size": batch,
        "items": len(stream),
        "seconds": round(seconds, 2),
        "items_per_s": round(len(stream) / seconds, 1),
        "round_trips_per_1000_items": round(counter.count * 1000 / len(stream), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--single-items", type=int, default=500, help="items for the one-by-one run (it is slow)")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--json", type=Path, default=Path("bench/results/store_write.json"))
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="newsmon-bench-"))
    uri = os.environ.get("MONGO_URI") or ensure_embedded_server(data / "db").uri
    try:
        results = [
            measure(uri, "bench_batched", args.batch, items(args.items, 0), data / "spool-a"),
            measure(uri, "bench_single", 1, items(args.single_items, 0), data / "spool-b"),
        ]
    finally:
        if not os.environ.get("MONGO_URI"):
            stop_embedded_server(data / "db")
    print(f"{'batch':>6} {'items':>6} {'seconds':>8} {'items/s':>8} {'round trips/1000 items':>24}")
    for r in results:
        print(
            f"{r['batch_size']:>6} {r['items']:>6} {r['seconds']:>8} {r['items_per_s']:>8}"
            f" {r['round_trips_per_1000_items']:>24}"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"when": datetime.now(UTC).isoformat(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
