"""The disk spool: writes the database could not take wait here until it can.

One JSON-lines file per spooled batch (Extended JSON, so datetimes survive), written to a temporary name
and renamed, so a kill mid-write leaves either the whole batch or nothing. A file is removed only after
its documents are in the database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bson import json_util

from crawler.store.private import private_dir, private_opener

_OPTIONS = json_util.JSONOptions(json_mode=json_util.JSONMode.CANONICAL, tz_aware=True)


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, kind: str, docs: list[dict[str, Any]]) -> Path:
        """Keep a batch on disk; durable (fsync) before this returns."""
        private_dir(self.directory)  # scraped documents: owner only, like the database
        name = f"{kind}-{uuid.uuid4().hex}.jsonl"
        tmp = self.directory / f".{name}.tmp"
        with open(tmp, "w", encoding="utf-8", opener=private_opener) as fh:
            for doc in docs:
                fh.write(json_util.dumps(doc, json_options=_OPTIONS) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        path = self.directory / name
        tmp.rename(path)
        return path

    def files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("*.jsonl"), key=lambda p: p.stat().st_mtime)

    def pending(self) -> int:
        """Documents waiting on disk."""
        return sum(len(self.read(path)[1]) for path in self.files())

    def read(self, path: Path) -> tuple[str, list[dict[str, Any]]]:
        kind = path.name.split("-", 1)[0]
        with path.open(encoding="utf-8") as fh:
            docs = [json_util.loads(line, json_options=_OPTIONS) for line in fh if line.strip()]
        return kind, docs

    def batches(self) -> Iterator[tuple[Path, str, list[dict[str, Any]]]]:
        for path in self.files():
            kind, docs = self.read(path)
            yield path, kind, docs
