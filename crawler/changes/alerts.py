"""Alerts on changes: a log line, a JSON-lines file, a Slack-compatible webhook; a filter in front of them.

An alert never blocks or breaks the crawl: every sink is called behind a guard, and the webhook posts from a
background thread fed by a bounded queue (full queue: the alert is dropped and counted), retrying with
exponential backoff. Failures are logged with the webhook URL redacted (no credentials, no secret path, no
query). HTTP is the standard library's `urllib.request`.

A record is a stored change document (`FieldChange.to_doc()` plus the pipeline's context: `article_id`, `url`,
`site`, `headline`, `version_from`, `version_to`, `run_id`, `seq`, `detected_at`), or a health alert from
drift detection (`{"type": "health", "message": ..., ...}`). Only `field`, `edit_class` and `diff` are required
of a change.

Settings (proposed; read by `build_alerter` from any mapping with `.get`, e.g. Scrapy settings):

- `NEWSMON_ALERT_JSONL`: path of the JSON-lines file to append to (unset: no file);
  `NEWSMON_ALERT_JSONL_FSYNC`: fsync after each line (default off).
- `NEWSMON_ALERT_WEBHOOK`: URL to POST Slack-compatible JSON to (unset: no webhook);
  `NEWSMON_ALERT_WEBHOOK_RETRIES` (3), `NEWSMON_ALERT_WEBHOOK_TIMEOUT` (10 s), `NEWSMON_ALERT_WEBHOOK_QUEUE` (1000).
- `NEWSMON_ALERT_MIN_WORDS`: least significance (words changed) of a change to alert (default 1).
- `NEWSMON_ALERT_FIELDS`: comma-separated fields to alert on, a name also matching its sub-fields
  (`headline,kicker,headline_variants`); unset: all.
- `NEWSMON_ALERT_CLASSES`: comma-separated edit classes to alert on; unset: all but `metadata` and `ab_flip`.
- `NEWSMON_ALERT_AB_FLIPS`: alert on `ab_flip` changes (a teaser's A/B test showing another wording) too
  (default off).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import logging
import os
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

from crawler.changes.classify import EditClass, significance
from crawler.changes.diff import compact
from crawler.config import default, option

logger = logging.getLogger("newsmon.alerts")

ALERT_JSONL = "NEWSMON_ALERT_JSONL"
ALERT_JSONL_FSYNC = "NEWSMON_ALERT_JSONL_FSYNC"
ALERT_WEBHOOK = "NEWSMON_ALERT_WEBHOOK"
ALERT_WEBHOOK_RETRIES = "NEWSMON_ALERT_WEBHOOK_RETRIES"
ALERT_WEBHOOK_TIMEOUT = "NEWSMON_ALERT_WEBHOOK_TIMEOUT"
ALERT_WEBHOOK_QUEUE = "NEWSMON_ALERT_WEBHOOK_QUEUE"
ALERT_MIN_WORDS = "NEWSMON_ALERT_MIN_WORDS"
ALERT_FIELDS = "NEWSMON_ALERT_FIELDS"
ALERT_CLASSES = "NEWSMON_ALERT_CLASSES"
ALERT_AB_FLIPS = "NEWSMON_ALERT_AB_FLIPS"

DEFAULT_MIN_WORDS = default(ALERT_MIN_WORDS)
DEFAULT_RETRIES = default(ALERT_WEBHOOK_RETRIES)
DEFAULT_TIMEOUT = default(ALERT_WEBHOOK_TIMEOUT)
DEFAULT_QUEUE = default(ALERT_WEBHOOK_QUEUE)
DEFAULT_BACKOFF = 1.0
MAX_BACKOFF = 60.0
SLACK_TEXT_LIMIT = 2900
"""Slack refuses a section text over 3000 characters."""
DIFF_CONTEXT = 8
"""Unchanged words kept on each side of a change in alert texts."""

QUIET_CLASSES = (EditClass.METADATA, EditClass.AB_FLIP)
"""Classes not alerted unless asked for (`NEWSMON_ALERT_CLASSES`; `NEWSMON_ALERT_AB_FLIPS` for A/B flips)."""

LABELS = {
    EditClass.HEADLINE_CHANGE: "Headline change",
    EditClass.TYPO_FIX: "Typo fix",
    EditClass.REWORDING: "Rewording",
    EditClass.ADDITION: "Addition",
    EditClass.UPDATE: "Update",
    EditClass.REMOVAL: "Removal",
    EditClass.CORRECTION_NOTICE: "Correction notice",
    EditClass.METADATA: "Metadata",
    EditClass.AB_FLIP: "A/B test flip",
}


class Sink(Protocol):
    def send(self, record: Mapping[str, Any]) -> None: ...

    def close(self) -> None: ...


# -- filter ----------------------------------------------------------------------------------------------------
class AlertFilter:
    """Which changes are worth an alert: enough words changed, a wanted field, a wanted class.

    Health alerts always pass. `fields` match a change's field or any field folded into it (`also`); a name
    matches its sub-fields (`headline_variants` matches `headline_variants.og_title`).
    """

    def __init__(
        self,
        min_words: int = DEFAULT_MIN_WORDS,
        fields: Iterable[str] = (),
        classes: Iterable[str] = (),
        exclude_classes: Iterable[str] = QUIET_CLASSES,
    ) -> None:
        self.min_words = min_words
        self.fields = tuple(fields)
        self.classes = frozenset(str(c) for c in classes)
        self.exclude_classes = frozenset(str(c) for c in exclude_classes) if not self.classes else frozenset()

    def accepts(self, record: Mapping[str, Any]) -> bool:
        if record.get("type") == "health":
            return True
        edit_class = str(record.get("edit_class"))
        if (self.classes and edit_class not in self.classes) or edit_class in self.exclude_classes:
            return False
        if self.fields:
            names = [record.get("field") or "", *(record.get("also") or [])]
            if not any(n == f or n.startswith(f"{f}.") for n in names for f in self.fields):
                return False
        words = record.get("significance")
        return (words if isinstance(words, int) else significance(record)) >= self.min_words


# -- sinks -----------------------------------------------------------------------------------------------------
class LogSink:
    """One log line per alert: changes at INFO, health alerts at WARNING."""

    def __init__(self, log: logging.Logger = logger) -> None:
        self.log = log

    def send(self, record: Mapping[str, Any]) -> None:
        if record.get("type") == "health":
            self.log.warning("health alert: %s", record.get("message") or record)
            return
        self.log.info(
            "change %s %s %s (%s words): %s",
            record.get("article_id") or record.get("url") or "-",
            record.get("field"),
            record.get("edit_class"),
            record.get("significance", significance(record)),
            compact(record.get("diff") or [], context=DIFF_CONTEXT),
        )

    def close(self) -> None:
        pass


class JsonlSink:
    """Appends each alert as one JSON line (UTF-8, datetimes in ISO 8601); fsync after each line on request."""

    def __init__(self, path: str | os.PathLike[str], fsync: bool = False) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self._lock = threading.Lock()
        self._file: Any = None

    def send(self, record: Mapping[str, Any]) -> None:
        line = json.dumps(dict(record), ensure_ascii=False, default=_json_default, sort_keys=True) + "\n"
        with self._lock:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("a", encoding="utf-8")
            self._file.write(line)
            self._file.flush()
            if self.fsync:
                os.fsync(self._file.fileno())

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


_STOP = object()


class WebhookSink:
    """POSTs Slack-compatible JSON (`slack_payload`) from a background thread; never blocks the caller.

    `send` only enqueues (bounded: a full queue drops the alert and counts it in `dropped`). The thread retries
    timeouts, connection errors, 5xx, 408 and 429 (honouring a short Retry-After) up to `retries` times with
    backoff `backoff * 2**attempt` (at most `MAX_BACKOFF`); other 4xx are final. `close(timeout)` lets the
    queue drain for up to `timeout` seconds, then gives up on the rest (logged).
    """

    def __init__(
        self,
        url: str,
        retries: int = DEFAULT_RETRIES,
        timeout: float = DEFAULT_TIMEOUT,
        backoff: float = DEFAULT_BACKOFF,
        queue_size: int = DEFAULT_QUEUE,
        render: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ValueError(f"webhook URL must be http(s)://host/...: {redact_url(url)}")
        self.url, self._headers = _split_credentials(url)
        self.retries = retries
        self.timeout = timeout
        self.backoff = backoff
        self.render = render or slack_payload
        self.sent = self.failed = self.dropped = 0
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._abort = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, record: Mapping[str, Any]) -> None:
        self._start()
        try:
            self._queue.put_nowait(self.render(record))
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 100 == 0:
                logger.warning("webhook %s: queue full, %d alerts dropped so far", redact_url(self.url), self.dropped)

    def close(self, timeout: float = 10.0) -> None:
        thread = self._thread
        if thread is None:
            return
        deadline = time.monotonic() + timeout
        with contextlib.suppress(queue.Full):  # still full at the deadline: the abort below ends the thread
            self._queue.put(_STOP, timeout=timeout)
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            self._abort.set()
            left = self._queue.qsize()
            logger.warning("webhook %s: gave up on %d queued alerts at close", redact_url(self.url), left)
            thread.join(1.0)
        self._thread = None

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._abort.clear()
                self._thread = threading.Thread(target=self._run, name="newsmon-webhook", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._abort.is_set():
            payload = self._queue.get()
            if payload is _STOP:
                return
            try:
                delivered = self._deliver(payload)
            except Exception as error:  # the thread must outlive any one alert
                logger.error("webhook %s: %s", redact_url(self.url), type(error).__name__)
                delivered = False
            if delivered:
                self.sent += 1
            else:
                self.failed += 1

    def _deliver(self, payload: dict[str, Any]) -> bool:
        body = json.dumps(payload, ensure_ascii=False, default=_json_default).encode("utf-8")
        for attempt in range(self.retries + 1):
            delay = min(MAX_BACKOFF, self.backoff * 2**attempt)
            try:
                request = urllib.request.Request(
                    self.url,
                    data=body,
                    method="POST",
                    headers={
                        "Content-Type": "application/json; charset=utf-8",
                        "User-Agent": "newsmon-alerts",
                        **self._headers,
                    },
                )
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    response.read()
                return True
            except urllib.error.HTTPError as error:
                error.close()
                reason = f"HTTP {error.code}"
                if error.code not in (408, 429) and error.code < 500:
                    logger.error("webhook %s: %s, not retried", redact_url(self.url), reason)
                    return False
                retry_after = _seconds(error.headers.get("Retry-After") if error.headers else None)
                if retry_after is not None:
                    delay = min(MAX_BACKOFF, max(delay, retry_after))
            except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
                reason = f"{type(error).__name__}: {getattr(error, 'reason', error)}"
            if attempt < self.retries:
                logger.warning(
                    "webhook %s: %s, retry %d/%d in %.1f s",
                    redact_url(self.url),
                    reason,
                    attempt + 1,
                    self.retries,
                    delay,
                )
                if self._abort.wait(delay):
                    break
        logger.error(
            "webhook %s: alert not delivered after %d attempts (%s)", redact_url(self.url), attempt + 1, reason
        )
        return False


# -- the alerter ---------------------------------------------------------------------------------------------------
class Alerter:
    """Sends each accepted change, and every health alert, to every sink; a failing sink is logged, not raised."""

    def __init__(self, sinks: Sequence[Sink], alert_filter: AlertFilter | None = None) -> None:
        self.sinks = list(sinks)
        self.filter = alert_filter or AlertFilter()

    def emit(self, record: Mapping[str, Any]) -> bool:
        """Alert on a change document if the filter accepts it; True when it did."""
        if not self.filter.accepts(record):
            return False
        for sink in self.sinks:
            try:
                sink.send(record)
            except Exception as error:  # an alert must never break the crawl
                logger.error("alert sink %s failed: %s: %s", type(sink).__name__, type(error).__name__, error)
        return True

    def health(self, alert: Mapping[str, Any]) -> None:
        """A health alert (drift) to every sink."""
        self.emit({"type": "health", **alert})

    def close(self) -> None:
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as error:
                logger.error("alert sink %s failed to close: %s: %s", type(sink).__name__, type(error).__name__, error)


def build_alerter(settings: Any) -> Alerter:
    """An Alerter from settings (any object with `.get(name)`): always the log, plus the file and webhook when set."""
    sinks: list[Sink] = [LogSink()]
    if path := option(settings, ALERT_JSONL):
        sinks.append(JsonlSink(path, fsync=option(settings, ALERT_JSONL_FSYNC)))
    if url := option(settings, ALERT_WEBHOOK):
        sinks.append(
            WebhookSink(
                str(url),
                retries=option(settings, ALERT_WEBHOOK_RETRIES),
                timeout=option(settings, ALERT_WEBHOOK_TIMEOUT),
                queue_size=option(settings, ALERT_WEBHOOK_QUEUE),
            )
        )
    alert_filter = AlertFilter(
        min_words=option(settings, ALERT_MIN_WORDS),
        fields=_names(option(settings, ALERT_FIELDS)),
        classes=_names(option(settings, ALERT_CLASSES)),
        exclude_classes=(EditClass.METADATA,) if option(settings, ALERT_AB_FLIPS) else QUIET_CLASSES,
    )
    return Alerter(sinks, alert_filter)


# -- rendering -----------------------------------------------------------------------------------------------------
def slack_payload(record: Mapping[str, Any]) -> dict[str, Any]:
    """Slack-compatible JSON: `text` (the notification line) and `blocks` (title, diff, facts)."""
    if record.get("type") == "health":
        message = str(record.get("message") or record.get("kind") or "health alert")
        return {
            "text": f"newsmon health: {message}",
            "blocks": [_section(f":warning: *newsmon health*\n{_esc(message)}")],
        }
    edit_class = str(record.get("edit_class"))
    label = LABELS.get(EditClass(edit_class), edit_class) if edit_class in EditClass else edit_class
    field = str(record.get("field"))
    where = record.get("site") or ""
    diff = record.get("diff") or []
    text = f"{label} in {field}{f' ({where})' if where else ''}: {compact(diff, context=DIFF_CONTEXT)}"
    title = f"*{_esc(label)}* in `{_esc(field)}`" + (f" · {_esc(str(where))}" if where else "")
    if record.get("url"):
        title += f"\n<{record['url']}|{_esc(str(record.get('headline') or record['url']))}>"
    facts = [f"{record.get('significance', significance(record))} words", edit_class]
    if record.get("version_from") is not None:
        facts.append(f"v{record.get('version_from')} → v{record.get('version_to')}")
    if record.get("seq") is not None:
        facts.append(f"seq {record['seq']}")
    return {
        "text": text[:SLACK_TEXT_LIMIT],
        "blocks": [
            _section(title),
            _section(mrkdwn_diff(diff)),
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _esc(" · ".join(facts))}]},
        ],
    }


def mrkdwn_diff(ops: Iterable[Mapping[str, str]], context: int = DIFF_CONTEXT) -> str:
    """The diff in Slack mrkdwn: removed words struck through, added words bold, long unchanged runs elided."""
    ops = list(ops)
    parts = []
    for index, op in enumerate(ops):
        if op["op"] == "equal":
            parts.append(
                _esc(compact([op], context=context) if 0 < index < len(ops) - 1 else _edge(op, index, context))
            )
            continue
        if op["old"]:
            parts.append(f"~{_esc(op['old'])}~")
        if op["new"]:
            parts.append(f"*{_esc(op['new'])}*")
    text = " ".join(p for p in parts if p) or "(no text diff)"
    return text if len(text) <= SLACK_TEXT_LIMIT else text[: SLACK_TEXT_LIMIT - 1] + "…"


def _edge(op: Mapping[str, str], index: int, context: int) -> str:
    words = op["new"].split()
    if len(words) <= context:
        return op["new"]
    return " ".join(["…", *words[-context:]]) if index == 0 else " ".join([*words[:context], "…"])


def redact_url(url: str) -> str:
    """A URL fit for logs: no user or password, no query or fragment, only the first path segment.

    Webhook URLs carry their secret in the path (`hooks.slack.com/services/T…/B…/XXXX`) or the query.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparsable URL>"
    segments = [s for s in parts.path.split("/") if s]
    path = f"/{segments[0]}" if segments else ""
    if len(segments) > 1:
        path += "/***"
    return f"{parts.scheme}://{host}{port}{path}" + ("?***" if parts.query else "")


def _split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """urllib does not read `user:password@` in a URL: they become a Basic Authorization header instead."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, {}
    netloc = parts.hostname or ""
    if ":" in netloc:  # an IPv6 literal
        netloc = f"[{netloc}]"
    if parts.port:
        netloc += f":{parts.port}"
    user_password = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    header = "Basic " + base64.b64encode(user_password.encode("utf-8")).decode("ascii")
    return urlunsplit(parts._replace(netloc=netloc)), {"Authorization": header}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SLACK_TEXT_LIMIT]}}


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _names(value: Any) -> list[str]:
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]
