"""Alerts: the filter, the log line, the JSON-lines file, and the webhook against a local server on 127.0.0.1 that
fails the first N times (retried with backoff, never blocking, credentials never logged)."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from crawler.changes.alerts import (
    Alerter,
    AlertFilter,
    JsonlSink,
    LogSink,
    WebhookSink,
    build_alerter,
    mrkdwn_diff,
    redact_url,
    slack_payload,
)
from crawler.changes.compare import compare_text

SECRET = "s3cr3t"


def change_record(**extra: Any) -> dict[str, Any]:
    change = compare_text("kicker", "Ukraine-Konflikt", "Droht die Eskalation?")
    assert change is not None
    return {
        **change.to_doc(),
        "article_id": "merkur.de:91245736",
        "site": "merkur.de",
        "url": "https://www.merkur.de/politik/x-91245736.html",
        "headline": "US-Außenminister trifft Baerbock",
        "version_from": 1,
        "version_to": 2,
        "seq": 7,
        "detected_at": datetime(2025, 3, 12, 9, 15, tzinfo=UTC),
        **extra,
    }


class Hook:
    """A webhook receiver on 127.0.0.1: answers `fail_status` to the first `fail` requests, then 200."""

    def __init__(self, fail: int = 0, fail_status: int = 500, delay: float = 0.0) -> None:
        self.fail, self.fail_status, self.delay = fail, fail_status, delay
        self.requests: list[dict[str, Any]] = []
        self.bodies: list[Any] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests.append(
                    {
                        "path": self.path,
                        "content_type": self.headers["Content-Type"],
                        "authorization": self.headers["Authorization"],
                    }
                )
                time.sleep(hook.delay)
                if len(hook.requests) <= hook.fail:
                    self.send_response(hook.fail_status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                hook.bodies.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://user:{SECRET}@127.0.0.1:{self.port}/services/T0/B0/{SECRET}?token={SECRET}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook_factory() -> Iterator[Any]:
    hooks: list[Hook] = []

    def make(**kwargs: Any) -> Hook:
        hooks.append(Hook(**kwargs))
        return hooks[-1]

    yield make
    for hook in hooks:
        hook.stop()


# -- webhook -------------------------------------------------------------------------------------------------------
def test_webhook_is_retried_with_backoff_until_it_answers(hook_factory: Any, caplog: pytest.LogCaptureFixture) -> None:
    hook = hook_factory(fail=2)
    sink = WebhookSink(hook.url, retries=3, backoff=0.01)
    with caplog.at_level(logging.WARNING, logger="newsmon.alerts"):
        sink.send(change_record())
        sink.close(timeout=10)
    assert (sink.sent, sink.failed, sink.dropped) == (1, 0, 0)
    assert len(hook.requests) == 3
    assert hook.requests[0]["path"] == f"/services/T0/B0/{SECRET}?token={SECRET}"
    assert hook.requests[0]["content_type"].startswith("application/json")
    assert hook.requests[0]["authorization"] == "Basic " + base64.b64encode(f"user:{SECRET}".encode()).decode()
    [payload] = hook.bodies
    assert payload["text"].startswith("Headline change in kicker (merkur.de): [-Ukraine-Konflikt-]{+Droht die")
    assert payload["blocks"][1]["text"]["text"] == "~Ukraine-Konflikt~ *Droht die Eskalation?*"
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) == 2 and "HTTP 500" in retries[0]
    assert all(SECRET not in r.getMessage() and "user" not in r.getMessage() for r in caplog.records)
    assert f"http://127.0.0.1:{hook.port}/services/***?***" in retries[0]


def test_webhook_gives_up_after_its_retries_and_logs_it(hook_factory: Any, caplog: pytest.LogCaptureFixture) -> None:
    hook = hook_factory(fail=100)
    sink = WebhookSink(hook.url, retries=2, backoff=0.01)
    with caplog.at_level(logging.WARNING, logger="newsmon.alerts"):
        sink.send(change_record())
        sink.close(timeout=10)
    assert (sink.sent, sink.failed) == (0, 1)
    assert len(hook.requests) == 3
    assert any("not delivered after 3 attempts" in r.getMessage() for r in caplog.records)
    assert all(SECRET not in r.getMessage() for r in caplog.records)


def test_webhook_client_errors_are_not_retried(hook_factory: Any) -> None:
    hook = hook_factory(fail=1, fail_status=404)
    sink = WebhookSink(hook.url, retries=3, backoff=0.01)
    sink.send(change_record())
    sink.close(timeout=10)
    assert (sink.sent, sink.failed, len(hook.requests)) == (0, 1, 1)


def test_webhook_429_is_retried(hook_factory: Any) -> None:
    hook = hook_factory(fail=1, fail_status=429)
    sink = WebhookSink(hook.url, retries=3, backoff=0.01)
    sink.send(change_record())
    sink.close(timeout=10)
    assert (sink.sent, len(hook.requests)) == (1, 2)


def test_webhook_never_blocks_and_drops_when_its_queue_is_full(hook_factory: Any) -> None:
    hook = hook_factory(delay=0.3)
    sink = WebhookSink(hook.url, queue_size=2, backoff=0.01)
    started = time.monotonic()
    for _ in range(10):
        sink.send(change_record())
    assert time.monotonic() - started < 0.2
    assert sink.dropped >= 7
    sink.close(timeout=10)
    assert sink.sent == 10 - sink.dropped == len(hook.bodies)


def test_webhook_unreachable_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    probe = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = probe.server_address[1]
    probe.server_close()  # nothing listens there now
    sink = WebhookSink(f"http://127.0.0.1:{port}/hook?key={SECRET}", retries=1, backoff=0.01, timeout=2)
    with caplog.at_level(logging.WARNING, logger="newsmon.alerts"):
        sink.send(change_record())
        sink.close(timeout=10)
    assert sink.failed == 1
    assert any("URLError" in r.getMessage() for r in caplog.records)
    assert all(SECRET not in r.getMessage() for r in caplog.records)


def test_webhook_close_gives_up_on_a_hanging_server(hook_factory: Any, caplog: pytest.LogCaptureFixture) -> None:
    hook = hook_factory(fail=100)
    sink = WebhookSink(hook.url, retries=5, backoff=5.0)
    sink.send(change_record())
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="newsmon.alerts"):
        sink.close(timeout=0.5)
    assert time.monotonic() - started < 3
    assert any("gave up" in r.getMessage() for r in caplog.records)


def test_webhook_refuses_other_schemes() -> None:
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "not a url"):
        with pytest.raises(ValueError):
            WebhookSink(url)


def test_redact_url() -> None:
    assert redact_url("https://hooks.slack.com/services/T000/B000/XXXX") == "https://hooks.slack.com/services/***"
    assert redact_url("https://u:p@example.org:8443/hook?token=x#f") == "https://example.org:8443/hook?***"
    assert redact_url("http://127.0.0.1") == "http://127.0.0.1"


# -- payload, filter, log, file ------------------------------------------------------------------------------------
def test_slack_payload() -> None:
    payload = slack_payload(change_record(headline="A <b> & C"))
    assert set(payload) == {"text", "blocks"}
    title = payload["blocks"][0]["text"]["text"]
    assert title.startswith("*Headline change* in `kicker` · merkur.de")
    assert "|A &lt;b&gt; &amp; C>" in title
    assert payload["blocks"][2]["elements"][0]["text"] == "3 words · headline_change · v1 → v2 · seq 7"
    health = slack_payload({"type": "health", "message": "merkur.de: field kicker went empty"})
    assert health["text"] == "newsmon health: merkur.de: field kicker went empty"


def test_mrkdwn_diff_elides_long_unchanged_text() -> None:
    old = " ".join(f"w{i}" for i in range(40))
    change = compare_text("lead", old, old.replace("w20", "X"))
    assert change is not None
    text = mrkdwn_diff(change.diff, context=2)
    assert text == "… w18 w19 ~w20~ *X* w21 w22 …"


def test_filter() -> None:
    record = change_record()
    assert AlertFilter().accepts(record)
    assert not AlertFilter(min_words=4).accepts(record)
    assert AlertFilter(fields=["headline", "kicker"]).accepts(record)
    assert not AlertFilter(fields=["body"]).accepts(record)
    assert AlertFilter(fields=["headline_variants"]).accepts(dict(record, field="headline_variants.og_title"))
    assert AlertFilter(fields=["headline_variants"]).accepts(
        dict(record, field="headline", also=["headline_variants.h1"])
    )
    assert not AlertFilter(fields=["headline"]).accepts(dict(record, field="headlines"))
    assert not AlertFilter().accepts(dict(record, edit_class="metadata"))
    assert AlertFilter(classes=["metadata"]).accepts(dict(record, edit_class="metadata"))
    assert not AlertFilter(classes=["typo_fix"]).accepts(record)
    assert AlertFilter(min_words=100, fields=["body"]).accepts({"type": "health", "message": "drift"})
    assert AlertFilter(min_words=3).accepts({k: v for k, v in record.items() if k != "significance"})


def test_log_sink(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="newsmon.alerts"):
        LogSink().send(change_record())
        LogSink().send({"type": "health", "message": "kicker drift"})
    assert caplog.records[0].getMessage() == (
        "change merkur.de:91245736 kicker headline_change (3 words): [-Ukraine-Konflikt-]{+Droht die Eskalation?+}"
    )
    assert caplog.records[1].levelno == logging.WARNING and "kicker drift" in caplog.records[1].getMessage()


def test_jsonl_sink_appends_one_line_per_alert(tmp_path: Path) -> None:
    path = tmp_path / "alerts" / "changes.jsonl"
    for fsync in (False, True):
        sink = JsonlSink(path, fsync=fsync)
        sink.send(change_record())
        sink.close()
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 2
    assert lines[0]["new"] == "Droht die Eskalation?" and lines[0]["detected_at"] == "2025-03-12T09:15:00+00:00"


def test_alerter_filters_and_survives_a_failing_sink(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def send(self, record: Any) -> None:
            raise OSError("disk full")

        def close(self) -> None:
            raise OSError("still full")

    path = tmp_path / "a.jsonl"
    alerter = Alerter([Broken(), JsonlSink(path)], AlertFilter(fields=["kicker"]))
    with caplog.at_level(logging.ERROR, logger="newsmon.alerts"):
        assert alerter.emit(change_record())
        assert not alerter.emit(change_record(field="body"))
        alerter.health({"kind": "field_drift", "message": "drift"})
        alerter.close()
    assert len(path.read_text().splitlines()) == 2
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["alert sink Broken failed"] * 2 + [
        "alert sink Broken failed to close"
    ]


def test_build_alerter_from_settings(tmp_path: Path, hook_factory: Any) -> None:
    hook = hook_factory()
    path = tmp_path / "changes.jsonl"
    settings = {
        "NEWSMON_ALERT_JSONL": str(path),
        "NEWSMON_ALERT_WEBHOOK": hook.url,
        "NEWSMON_ALERT_MIN_WORDS": "2",
        "NEWSMON_ALERT_FIELDS": "headline, kicker",
    }
    alerter = build_alerter(settings)
    assert [type(s).__name__ for s in alerter.sinks] == ["LogSink", "JsonlSink", "WebhookSink"]
    assert alerter.emit(change_record())
    assert not alerter.emit(change_record(field="lead"))
    alerter.close()
    assert len(path.read_text().splitlines()) == 1 and len(hook.bodies) == 1
    assert [type(s).__name__ for s in build_alerter({}).sinks] == ["LogSink"]


def test_ab_flips_are_not_alerted_unless_asked_for():
    from crawler.changes.alerts import build_alerter

    flip = {"field": "teaser.headline", "edit_class": "ab_flip", "significance": 3, "diff": []}
    edit = {**flip, "edit_class": "headline_change"}
    default = build_alerter({}).filter
    assert default.accepts(edit) and not default.accepts(flip)
    asked = build_alerter({"NEWSMON_ALERT_AB_FLIPS": "true"}).filter
    assert asked.accepts(flip) and not asked.accepts({**flip, "edit_class": "metadata"})


def test_webhook_settings_default_to_options_and_zero_retries_means_one_attempt():
    url = {"NEWSMON_ALERT_WEBHOOK": "http://127.0.0.1:9/hook"}
    sink = build_alerter(url).sinks[-1]
    assert isinstance(sink, WebhookSink) and (sink.retries, sink.timeout, sink._queue.maxsize) == (3, 10.0, 1000)
    assert build_alerter({**url, "NEWSMON_ALERT_WEBHOOK_RETRIES": "0"}).sinks[-1].retries == 0
