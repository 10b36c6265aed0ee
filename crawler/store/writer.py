"""Batched, retried writes on a worker thread, so Scrapy's reactor never waits for the database.

Documents are queued by kind and written in unordered bulk writes when a batch is full or has waited
`flush_seconds`. A batch the database cannot take after `retries` attempts goes to the disk spool; the
spool is written first whenever a writer starts and again after each successful batch, so nothing is
lost across an outage or a restart.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pymongo.database import Database
from pymongo.errors import ConnectionFailure, OperationFailure

from crawler.store.connection import redact_text
from crawler.store.savers import RejectSaver, Saver, default_savers
from crawler.store.schema import ensure_indexes
from crawler.store.spool import Spool

logger = logging.getLogger(__name__)

MAX_RACE_ROUNDS = 5
_CLOSE = object()


class _Flush:
    def __init__(self) -> None:
        self.done = threading.Event()


@dataclass
class WriterStats:
    written: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rejected: int = 0
    spooled: int = 0
    replayed: int = 0
    batches: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)


class TransientStoreError(Exception):
    """The database did not answer; the batch may be retried."""


class BatchWriter:
    def __init__(
        self,
        db: Database,
        spool: Spool,
        *,
        uri: str | None = None,
        batch_size: int = 50,
        flush_seconds: float = 2.0,
        retries: int = 3,
        backoff: float = 1.0,
        savers: Iterable[Saver] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.db = db
        self.spool = spool
        self.uri = uri
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.retries = max(1, retries)  # 0 or less would mean: never write
        self.backoff = backoff
        self.savers = {s.kind: s for s in (savers or default_savers())}
        self.stats = WriterStats()
        self._sleep = sleep
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="newsmon-store-writer", daemon=True)
        self._indexes_ready = False
        self._closed = False

    # -- called from the crawler's thread ---------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def put(self, kind: str, doc: dict[str, Any]) -> None:
        """Queue one document; returns at once."""
        if kind not in self.savers:
            raise ValueError(f"no saver for {kind!r}")
        if self._closed:
            raise RuntimeError("writer is closed")
        self._queue.put((kind, doc))

    def flush(self, timeout: float | None = None) -> bool:
        """Block until everything queued so far is written or spooled. Call it off the reactor."""
        if self._closed or not self._thread.is_alive():
            return True
        marker = _Flush()
        self._queue.put(marker)
        return marker.done.wait(timeout)

    @property
    def closed(self) -> bool:
        """Closed: `put` refuses documents."""
        return self._closed

    @property
    def finished(self) -> bool:
        """Closed, and everything queued before is written or spooled."""
        return self._closed and not self._thread.is_alive()

    def close(self, timeout: float | None = None) -> WriterStats:
        """Write everything queued (or spool it) and stop the thread. Blocking: call it off the reactor."""
        if not self._closed:
            self._closed = True
            self._queue.put(_CLOSE)
        self._thread.join(timeout)
        return self.stats

    # -- the worker thread ------------------------------------------------------------------------
    def _run(self) -> None:
        self._replay_spool()
        pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
        oldest = time.monotonic()
        closing = False
        while not closing:
            timeout = max(0.0, self.flush_seconds - (time.monotonic() - oldest))
            try:
                entry = self._queue.get(timeout=timeout if any(pending.values()) else None)
            except queue.Empty:
                entry = None
            flush = entry if isinstance(entry, _Flush) else None
            if entry is _CLOSE:
                closing = True
            elif entry is not None and flush is None:
                kind, doc = entry
                if not any(pending.values()):
                    oldest = time.monotonic()
                pending[kind].append(doc)
            full = any(len(docs) >= self.batch_size for docs in pending.values())
            due = time.monotonic() - oldest >= self.flush_seconds
            if closing or full or due or flush:
                for kind in list(pending):
                    while pending[kind]:
                        batch = pending[kind][: self.batch_size]
                        del pending[kind][: self.batch_size]
                        if self._write_or_spool(kind, batch):
                            self._replay_spool()
                oldest = time.monotonic()
            if flush:
                flush.done.set()
        self._replay_at_close()

    def _replay_at_close(self) -> None:
        """The run's last chance for what waits on disk, with every retry: a batch spooled behind an older one
        while the database was coming back (its first answer after an outage can be a reset pooled connection)
        is written now rather than at the next start, which may be days away."""
        if not self.spool.files():
            return
        try:
            self._replay_spool()
        except Exception as exc:
            logger.error("A spooled batch could not be replayed: %s", redact_text(f"{exc}", self.uri)[:300])

    def _write_or_spool(self, kind: str, docs: list[dict[str, Any]]) -> bool:
        """True when the batch reached the database (as documents or, if refused, as rejects)."""
        if self.spool.files() and not self._replay_first():
            # Older batches wait on disk: this one goes behind them, so a later write of a document (a run's
            # `finished` after its `running`) is never overwritten by an older one replayed after it.
            self._spool(kind, docs, "older batches still wait on disk")
            return False
        try:
            self._write_with_retries(kind, docs)
            return True
        except TransientStoreError as exc:
            self._spool(kind, docs, str(exc))
            return False
        except Exception as exc:  # a refusal no retry cures, or a bug: keep the documents as rejects
            message = redact_text(f"{type(exc).__name__}: {exc}", self.uri)[:300]
            logger.error("Write of %d %s document(s) failed: %s", len(docs), kind, message)
            try:
                self._reject([(doc, f"store: {message}") for doc in docs])
                return True
            except Exception:
                self._spool(kind, docs, message)
                return False

    def _replay_first(self) -> bool:
        """One attempt at the spool before a new batch; a batch the database refuses for good does not block."""
        try:
            return self._replay_spool(attempts=1)
        except Exception as exc:
            logger.error("A spooled batch could not be replayed: %s", redact_text(f"{exc}", self.uri)[:300])
            return True

    def _spool(self, kind: str, docs: list[dict[str, Any]], reason: str) -> None:
        path = self.spool.put(kind, docs)
        self.stats.spooled += len(docs)
        self.stats.errors.append(reason)
        logger.error(
            "Database unreachable (%s): kept %d %s document(s) on disk in %s; "
            "they are written when the database answers again (at the latest on the next start)",
            reason,
            len(docs),
            kind,
            path,
        )

    def _write_with_retries(self, kind: str, docs: list[dict[str, Any]], attempts: int | None = None) -> None:
        delay = self.backoff
        attempts = attempts or self.retries
        for attempt in range(1, attempts + 1):
            try:
                self._write(kind, docs)
                return
            except (ConnectionFailure, OperationFailure, TransientStoreError) as exc:
                if isinstance(exc, OperationFailure) and not _is_transient(exc):
                    raise
                # pymongo appends the whole topology description; the first clause says what happened.
                message = redact_text(str(exc).split(", Timeout:")[0], self.uri)[:300]
                if attempt == attempts:
                    raise TransientStoreError(message) from None
                self.stats.retries += 1
                logger.warning(
                    "Write of %d %s document(s) failed (attempt %d/%d, retry in %.1fs): %s",
                    len(docs),
                    kind,
                    attempt,
                    attempts,
                    delay,
                    message,
                )
                self._sleep(delay)
                delay *= 2

    def _write(self, kind: str, docs: list[dict[str, Any]]) -> None:
        if not self._indexes_ready:
            ensure_indexes(self.db)
            self._indexes_ready = True
        todo = docs
        for _ in range(MAX_RACE_ROUNDS):
            result = self.savers[kind].save(self.db, todo)
            self.stats.written[kind] += result.written
            for name, n in result.counts.items():
                self.stats.counts[name] += n
            self._reject(result.rejected)
            todo = result.retry
            if not todo:
                break
        else:
            self._reject([(doc, "store: lost a write race with other writers too often") for doc in todo])
        self.stats.batches += 1

    def _reject(self, rejected: list[tuple[dict[str, Any], str]]) -> None:
        """Keep what the database refused, with its reason, instead of dropping it."""
        if not rejected:
            return
        self.stats.rejected += len(rejected)
        docs = [
            {
                "url": doc.get("url", ""),
                "reason": reason,
                "site": doc.get("site"),
                "run_id": doc.get("run_id"),
                "item": doc,
            }
            for doc, reason in rejected
        ]
        for doc in docs:
            logger.warning("Rejected by the database: %s (%s)", doc["url"], doc["reason"])
        RejectSaver().save(self.db, docs)

    def _replay_spool(self, attempts: int | None = None) -> bool:
        """Write the spooled batches, oldest first; True when the spool is empty afterwards."""
        files = self.spool.files()
        if not files:
            return True
        logger.info("Replaying %d spooled batch(es) from %s", len(files), self.spool.directory)
        for path, kind, docs in self.spool.batches():
            try:
                self._write_with_retries(kind, docs, attempts)
            except TransientStoreError as exc:
                logger.warning("Database still unreachable, spool kept for later: %s", exc)
                return False
            path.unlink()
            self.stats.replayed += len(docs)
            logger.info("Wrote %d spooled %s document(s) from %s", len(docs), kind, path.name)
        return True


def _is_transient(exc: OperationFailure) -> bool:
    """Server errors a retry can cure: not primary, shutting down, network."""
    labels = getattr(exc, "_error_labels", set()) or set()
    return bool({"RetryableWriteError", "TransientTransactionError"} & set(labels)) or exc.code in {
        6,
        7,
        89,
        91,
        189,
        262,
        9001,
        10107,
        11600,
        11602,
        13435,
        13436,
    }
