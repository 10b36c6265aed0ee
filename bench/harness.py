"""What the crawl benchmarks share: a scratch embedded database for the run, the machine line, and writing the
result as JSON with the run's seconds (bench/mutations.py, bench/recrawl.py)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from crawler.store.embedded.launcher import EmbeddedServer, ensure_embedded_server, stop_embedded_server


@contextmanager
def scratch_store(prefix: str, keep: bool) -> Iterator[tuple[Path, EmbeddedServer, MongoClient]]:
    """A fresh work directory with its own embedded server; stopped and removed afterwards unless `keep`."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    server = ensure_embedded_server(work / "db", port=0)
    client: MongoClient = MongoClient(server.uri, tz_aware=True)
    try:
        yield work, server, client
    finally:
        client.close()
        stop_embedded_server(work / "db")
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def machine() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores"


def run_and_write(run: Callable[[argparse.Namespace], dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    """`run(args)`, timed, written to `args.json`; the result."""
    started = time.perf_counter()
    out = run(args)
    out["seconds"] = round(time.perf_counter() - started, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return out
