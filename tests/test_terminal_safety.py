"""Publisher text with terminal escapes and bidi overrides: removed when normalized, never printed raw by the
CLI (`newsmon changes`, `newsmon summary`) or written raw to the crawl log."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.model.normalize import clean_text, comparable
from crawler.model.terminal import SafeFormatter, escape_controls, strip_controls
from tests.support.crawling import crawl
from tests.support.localsite import LocalSite

PROJECT = Path(__file__).resolve().parent.parent

HOSTILE = {
    "csi colour": "\x1b[31mrot\x1b[0m",
    "osc title": "\x1b]0;owned\x07",
    "osc 8 link": "\x1b]8;;http://evil.example/\x1b\\Klick\x1b]8;;\x1b\\",
    "reset": "\x1bc",
    "bell": "\x07",
    "8-bit csi": "\x9b2J",
    "rlo": "\u202egnp.exe",
    "isolate": "\u2067x\u2069",
    "nul and del": "\x00\x7f",
}
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_strip_controls_removes_whole_sequences_and_keeps_text_newlines_and_tabs():
    assert strip_controls("Merz \x1b[1mwarnt\x1b[0m") == "Merz warnt"
    assert strip_controls("a\x1b]0;title\x07b") == "ab", "the OSC string goes with its introducer"
    assert strip_controls("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b") == "alinkb"
    assert strip_controls("\u202egnp.exe") == "gnp.exe"
    assert strip_controls("one\ntwo\tthree\r\nfour") == "one\ntwo\tthree \nfour"
    assert strip_controls("Grüße „so“ – 5 €") == "Grüße „so“ – 5 €"
    for name, text in HOSTILE.items():
        assert not UNSAFE.search(strip_controls(f"a{text}b")), name
    # Hostile input cannot make it slow: an unterminated OSC introducer many times over.
    assert not UNSAFE.search(strip_controls("\x1b]" + "x" * 10_000) * 50)


def test_normalized_text_has_no_controls_and_compares_equal_to_the_raw_form():
    raw = "Kanzler \x1b[31mwarnt\x1b[0m\u202e vor \x07Krise\x9b"
    assert clean_text(raw) == "Kanzler warnt vor Krise"
    assert comparable(raw) == comparable("Kanzler warnt vor Krise"), "text stored before is not an edit"


def test_json_lines_escape_what_json_leaves_raw_and_stay_the_same_data():
    line = json.dumps({"h": "a\x1b[31m\u202eb\x9bc\u2066"}, ensure_ascii=False)
    safe = escape_controls(line)
    assert not UNSAFE.search(safe) and json.loads(safe) == json.loads(line)


def test_safe_formatter_cleans_messages_arguments_and_tracebacks():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter(logging.Formatter("%(levelname)s %(message)s")))
    log = logging.getLogger("newsmon.test.terminal")
    log.addHandler(handler)
    try:
        log.warning("headline %s", HOSTILE["osc title"] + "Titel" + HOSTILE["rlo"])
        try:
            raise ValueError("page said " + HOSTILE["csi colour"])
        except ValueError:
            log.exception("failed on \x1b[2J%s", "x")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert "headline Titelgnp.exe" in text and "page said rot" in text and "Traceback" in text
    assert not UNSAFE.search(text.replace("\n", ""))


@pytest.fixture
def site() -> Iterator[tuple[LocalSite, str]]:
    local = LocalSite(n_articles=6, seed=7)
    with local.serve(port=0) as base_url:
        yield local, base_url


def newsmon(mongo_uri: str, db_name: str, *args: str) -> str:
    env = {**os.environ, "MONGO_URI": mongo_uri, "NEWSMON_MONGO_DB": db_name}
    done = subprocess.run(
        [sys.executable, "-m", "crawler.apps.cli", *args],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_a_hostile_page_reaches_neither_the_store_nor_the_terminal(site, mongo_uri, db, tmp_path):
    local, base_url = site
    seed = local.seed_article_id
    crawl(base_url, mongo_uri, db, tmp_path)
    # The page carries them raw (the site's renderer would refuse them; a hostile publisher does not).
    local.edit_article(seed, headline="Eskalation XHOSTILEX droht", kicker="Achtung XHOSTILEX!")
    path = local.article(seed).path
    local.set_fault(re.escape(path), "inject_text", old="XHOSTILEX", new="".join(HOSTILE.values()))
    crawl(base_url, mongo_uri, db, tmp_path, "-s", "LOG_LEVEL=DEBUG")

    stored = db.articles.find_one({"_id": f"merkur.de:{seed}"})
    assert stored["headline"].startswith("Eskalation ") and stored["headline"].endswith(" droht")
    assert "rot" in stored["headline"] and "Klick" in stored["headline"]
    assert stored["kicker"].startswith("Achtung rot") and stored["kicker"].endswith("!")
    for doc in [*db.articles.find(), *db.article_versions.find(), *db.changes.find()]:
        assert not UNSAFE.search(json.dumps(doc, default=str, ensure_ascii=False)), doc["_id"]
    assert db.changes.count_documents({"article_id": f"merkur.de:{seed}", "field": "headline"}) == 1

    logs = "".join(p.read_text(encoding="utf-8") for p in tmp_path.glob("crawl-*.log"))
    assert "crawler.runtime.extensions.safe_log.SafeLog" in logs
    assert not UNSAFE.search(logs.replace("\n", "").replace("\t", ""))

    # Data stored raw (before normalization removed controls) is made safe where it is printed.
    db.changes.update_one(
        {"article_id": f"merkur.de:{seed}", "field": "headline"},
        {
            "$set": {
                "url": "http://x/\x1bc",
                "diff": [{"op": "replace", "old": "alt", "new": "neu\x1b]0;owned\x07\u202e"}],
            }
        },
    )
    db.articles.insert_one(
        {"_id": "merkur.de:1", "site": "merkur.de", "headline": "raw \x1b[5mblink\u202e", "kicker": "\x9b2J"}
    )
    for args in (["changes", "--limit", "50"], ["changes", "--json", "--limit", "50"], ["summary"]):
        out = newsmon(mongo_uri, db.name, *args)
        assert not UNSAFE.search(out.replace("\n", "").replace("\t", "")), (args, out)
        assert "neu" in out or args == ["summary"], args
    assert "raw blink" in newsmon(mongo_uri, db.name, "summary")
    raw = [json.loads(line) for line in newsmon(mongo_uri, db.name, "changes", "--json", "--limit", "50").splitlines()]
    assert any(c["url"] == "http://x/\x1bc" for c in raw), "--json keeps the data, escaped"
