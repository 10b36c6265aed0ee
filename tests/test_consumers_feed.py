"""Following the `changes` feed: up to the committed mark only, restart-safe, at least once; and the example
in docs/examples/follow_changes.py run against a crawled database."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.consumers.feed import Checkpoint, follow, read_batch
from crawler.store.sequence import committed_seq, publish
from tests.test_consumers_data import HOSTILE_HEADLINE, crawled_database

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "follow_changes.py"


def change(seq: int, field: str = "headline") -> dict[str, Any]:
    return {
        "_id": f"merkur.de:1:test:{seq}",
        "seq": seq,
        "article_id": "merkur.de:1",
        "site": "merkur.de",
        "field": field,
        "diff": [{"op": "replace", "old": f"alt {seq}", "new": f"neu {seq}"}],
        "edit_class": "headline_change",
        "detected_at": datetime.now(UTC),
    }


def write(db, count: int, during=None) -> int:
    """Publish `count` changes the way the store does; `during()` runs while they are inserted, before commit."""

    def insert(first: int) -> None:
        db.changes.insert_many([change(first + k) for k in range(count)])
        if during:
            during()

    return publish(db, count, insert)


def test_a_follower_never_reads_past_the_committed_mark(db):
    write(db, 2)
    seen_in_flight: list[list[int]] = []
    write(db, 3, during=lambda: seen_in_flight.append([c["seq"] for c in read_batch(db, 0)]))
    assert seen_in_flight == [[1, 2]], "changes 3-5 were stored but not committed: not yet visible"
    assert [c["seq"] for c in read_batch(db, 2)] == [3, 4, 5]
    assert read_batch(db, 5) == [] and committed_seq(db) == 5


def test_a_change_stored_late_below_a_visible_one_is_still_delivered(db):
    """Numbers 1-2 reserved by a slow writer, 3 stored by a fast one: the mark holds 3 back until 1-2 are in."""
    db.counters.insert_one({"_id": "changes", "seq": 3, "committed": 0, "lease_until": None})
    db.changes.insert_one(change(3))
    assert read_batch(db, 0) == []
    db.changes.insert_many([change(1), change(2)])
    db.counters.update_one({"_id": "changes"}, {"$max": {"committed": 3}})
    assert [c["seq"] for c in read_batch(db, 0)] == [1, 2, 3]


def test_follow_resumes_after_a_failure_without_losing_a_change(db, tmp_path):
    write(db, 5)
    checkpoint = Checkpoint(tmp_path / "state")
    handled: list[int] = []

    def flaky(doc):
        if doc["seq"] == 3 and 3 not in handled:
            handled.append(3)
            raise RuntimeError("downstream is down")
        handled.append(doc["seq"])

    with pytest.raises(RuntimeError):
        follow(db, checkpoint, flaky, batch=2, once=True)
    assert checkpoint.load() == 2
    assert follow(db, checkpoint, flaky, batch=2, once=True) == 5
    assert handled == [1, 2, 3, 3, 4, 5] and checkpoint.load() == 5
    assert follow(db, checkpoint, handled.append, once=True) == 5 and handled[-1] == 5


def test_follow_polls_until_a_new_change_is_committed(db, tmp_path):
    write(db, 1)
    got: list[int] = []
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 1:
            write(db, 1)
        else:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        follow(db, Checkpoint(tmp_path / "s"), lambda c: got.append(c["seq"]), poll_seconds=0.5, sleep=sleep)
    assert got == [1, 2] and polls == [0.5, 0.5]


@pytest.fixture(scope="module")
def crawled(mongo_uri, tmp_path_factory):
    with crawled_database(mongo_uri, tmp_path_factory.mktemp("feed")) as data:
        yield data


def run_example(crawled, state: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--uri", crawled.uri, "--db", crawled.db.name, "--state", str(state), "--once"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.splitlines()


def test_the_example_prints_every_change_once_and_resumes_where_it_stopped(crawled, tmp_path):
    state = tmp_path / "follow.state"
    lines = run_example(crawled, state)
    stored = [c["seq"] for c in crawled.db.changes.find({}, {"seq": 1}).sort("seq", 1)]
    assert [int(line.split()[0][1:]) for line in lines] == stored
    (headline,) = [line for line in lines if f"{crawled.seed_id} headline " in line]
    assert "[headline_change]" in headline and HOSTILE_HEADLINE in headline
    assert int(state.read_text()) == stored[-1]

    assert run_example(crawled, state) == [], "a restart prints nothing already handled"
    write(crawled.db, 1)
    (new,) = run_example(crawled, state)
    assert new.startswith(f"#{stored[-1] + 1} merkur.de:1 headline [headline_change]")


def test_the_guides_snippets_run_on_a_crawled_database(crawled, capsys):
    text = (EXAMPLE.parent.parent / "consumers.md").read_text(encoding="utf-8")
    scope: dict[str, Any] = {"db": crawled.db}
    for name in ("versions", "join"):
        block = re.search(rf"<!-- example-{name} -->\n```python\n(.*?)```\n<!-- /example-{name} -->", text, re.S)
        assert block, f"docs/consumers.md lost its example-{name} block"
        exec(block.group(1), scope)
    assert scope["article_id"] == crawled.seed_id, "the guide's article id is the local site's seed article"
    printed = capsys.readouterr().out
    assert printed.startswith("2 ") and "('headline', 'headline_change')" in printed
    assert HOSTILE_HEADLINE in scope["headlines"] and crawled.old_headline in scope["headlines"]
    assert len(scope["joined"]) == crawled.db.articles.count_documents({})
    assert [a["_id"] for a in scope["differs"]] and all(a["teaser"] for a in scope["differs"])
