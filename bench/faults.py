"""The fault suite's long runs: the scenarios of `tests/support/faults.py` at full size, into one database.

The quick tests (`tests/test_faults_*.py`) run the same scenarios small; this script runs them long
(docs/reliability.md):

    .venv/bin/python bench/faults.py [--only kill,outage,...] [--kill-trials 20] [--fuzz-examples 300]
                                     [--json bench/results/faults.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.database import Database

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from tests.support.faults import (  # noqa: E402
    FaultReport,
    concurrent_crawls,
    crawler_kills,
    db_outage,
    fuzz_extractors,
    misbehaving_site,
)


# -- a database to crawl into ------------------------------------------------------------------------------------
@contextlib.contextmanager
def database(mongo_uri: str | None = None) -> Iterator[tuple[str, Callable[[], Database]]]:
    """A server (MONGO_URI, else an embedded one in a temporary data dir) and a factory of throwaway databases."""
    from crawler.store.embedded.launcher import ensure_embedded_server, stop_embedded_server

    made: list[str] = []
    with tempfile.TemporaryDirectory(prefix="newsmon-faults-") as tmp:
        uri = mongo_uri or os.environ.get("MONGO_URI")
        if not uri:
            uri = ensure_embedded_server(Path(tmp) / "embedded").uri
        client: MongoClient = MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=10000)

        def fresh() -> Database:
            name = f"newsmon_faults_{len(made)}_{os.getpid()}"
            client.drop_database(name)
            made.append(name)
            return client[name]

        try:
            yield uri, fresh
        finally:
            for name in made:
                with contextlib.suppress(Exception):
                    client.drop_database(name)
            client.close()
            if not (mongo_uri or os.environ.get("MONGO_URI")):
                stop_embedded_server(Path(tmp) / "embedded")


# -- command line ----------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated scenarios: " + ", ".join(SCENARIOS_CLI))
    parser.add_argument("--kill-trials", type=int, default=20)
    parser.add_argument("--fuzz-examples", type=int, default=300)
    parser.add_argument("--json", type=Path, help="write the reports here")
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(SCENARIOS_CLI)
    reports: list[FaultReport] = []
    with database() as (uri, fresh), tempfile.TemporaryDirectory(prefix="newsmon-faults-run-") as tmp:
        for name in chosen:
            report = SCENARIOS_CLI[name](uri, fresh, Path(tmp) / name, args)
            reports.extend(report if isinstance(report, list) else [report])
            print(reports[-1].line(), flush=True)
    print("\n| scenario | injected | survived | lost | duplicated | seconds |\n|---|---|---|---|---|---|")
    for r in reports:
        print(f"| {r.scenario} | {r.injected} | {r.survived} | {r.lost} | {r.duplicated} | {r.seconds:.0f} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in reports], indent=1, default=str), encoding="utf-8")
    return 0 if all(r.lost == r.duplicated == 0 and not r.problems for r in reports) else 1


SCENARIOS_CLI: dict[str, Callable[..., Any]] = {
    "outage": lambda uri, fresh, tmp, args: [
        db_outage(uri, fresh(), tmp / how, how=how, articles=60) for how in ("proxy", "sigterm", "sigkill")
    ],
    "kill": lambda uri, fresh, tmp, args: crawler_kills(uri, fresh(), tmp, trials=args.kill_trials, articles=30),
    "concurrent": lambda uri, fresh, tmp, args: [
        concurrent_crawls(uri, fresh(), tmp / str(n), crawls=n, articles=40) for n in (2, 4)
    ],
    "misbehave": lambda uri, fresh, tmp, args: misbehaving_site(uri, fresh(), tmp),
    "fuzz": lambda uri, fresh, tmp, args: fuzz_extractors(args.fuzz_examples),
}

if __name__ == "__main__":
    sys.exit(main())
