"""The disk spool: writes the database could not take wait here until it can.

One JSON-lines file per spooled batch (Extended JSON, so datetimes survive), written to a temporary name
and renamed, so a kill mid-write leaves either the whole batch or nothing. A file is removed only after
its documents are in the database.

A crawl's spool is bound to its destination (`host:port/database`, never credentials): batches live in a
directory of that destination and each starts with a header line naming it, so a batch spooled while `MONGO_URI`
pointed elsewhere is never written into whichever database answers next; it waits for its own.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bson import json_util

from crawler.store.embedded.private import private_dir, private_opener

_OPTIONS = json_util.JSONOptions(json_mode=json_util.JSONMode.CANONICAL, tz_aware=True)
HEADER = "newsmon_spool"
"""Key of a batch's first line: `{"newsmon_spool": 1, "destination": "host:port/db"}`."""
DESTINATION_FILE = "DESTINATION"


def destination_dir(root: Path, destination: str) -> Path:
    """The spool directory of one destination: readable, and distinct even where two names read alike."""
    slug = re.sub(r"[^A-Za-z0-9.-]+", "_", destination).strip("_")[:60]
    return root / f"{slug}-{hashlib.sha1(destination.encode()).hexdigest()[:8]}"


class Spool:
    def __init__(self, directory: Path, destination: str | None = None) -> None:
        """`directory` is the spool root; with a `destination`, batches go to (and come from) its own
        directory under it. Without one (tests, tools), `directory` holds the batches itself."""
        self.root = directory
        self.destination = destination
        self.directory = destination_dir(directory, destination) if destination else directory

    def put(self, kind: str, docs: list[dict[str, Any]]) -> Path:
        """Keep a batch on disk; durable (fsync) before this returns."""
        private_dir(self.directory)  # scraped documents: owner only, like the database
        if self.destination and not (self.directory / DESTINATION_FILE).exists():
            with open(self.directory / DESTINATION_FILE, "w", encoding="utf-8", opener=private_opener) as fh:
                fh.write(self.destination + "\n")
        name = f"{kind}-{uuid.uuid4().hex}.jsonl"
        tmp = self.directory / f".{name}.tmp"
        with open(tmp, "w", encoding="utf-8", opener=private_opener) as fh:
            if self.destination:
                fh.write(json_util.dumps({HEADER: 1, "destination": self.destination}) + "\n")
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
        if docs and HEADER in docs[0]:
            if self.destination and docs[0].get("destination") != self.destination:
                raise ValueError(f"{path} is bound for {docs[0].get('destination')}, not {self.destination}")
            docs = docs[1:]
        return kind, docs

    def batches(self) -> Iterator[tuple[Path, str, list[dict[str, Any]]]]:
        for path in self.files():
            kind, docs = self.read(path)
            yield path, kind, docs


@dataclass(frozen=True)
class Waiting:
    """Spooled batches of one destination (`None`: spooled before destinations were recorded)."""

    destination: str | None
    batches: int
    documents: int
    directory: Path


def waiting(root: Path) -> list[Waiting]:
    """Every destination with batches waiting on disk under a spool root (for `summary` and `db status`)."""
    found: list[Waiting] = []
    legacy = Spool(root)
    if legacy.files():
        found.append(Waiting(None, len(legacy.files()), legacy.pending(), root))
    if root.is_dir():
        for directory in sorted(p for p in root.iterdir() if p.is_dir()):
            label = directory / DESTINATION_FILE
            spool = Spool(directory)
            if spool.files():
                name = label.read_text(encoding="utf-8").strip() if label.exists() else None
                found.append(Waiting(name, len(spool.files()), spool.pending(), directory))
    return found


def describe_waiting(root: Path) -> list[str]:
    """One line per destination with batches on disk; empty when nothing waits."""
    return [
        f"{w.documents} document(s) in {w.batches} spooled batch(es) wait on disk for "
        f"{
            w.destination
            or 'an unrecorded destination (spooled by an older newsmon; move them into the spool '
            'directory of their database to have them written)'
        } ({w.directory})"
        for w in waiting(root)
    ]
