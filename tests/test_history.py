"""`newsmon history ARTICLE`: the edited seed article's versions and edits, by id or URL, text and JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from crawler.apps.cli import main
from tests.test_consumers_data import HOSTILE_HEADLINE, NEW_KICKER, Crawled, crawled_database


@pytest.fixture(scope="module")
def crawled(mongo_uri, tmp_path_factory) -> Iterator[Crawled]:
    with crawled_database(mongo_uri, tmp_path_factory.mktemp("history")) as data:
        yield data


@pytest.fixture
def use(crawled, monkeypatch, tmp_path) -> Crawled:
    monkeypatch.setenv("MONGO_URI", crawled.uri)
    monkeypatch.setenv("NEWSMON_MONGO_DB", crawled.db.name)
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(tmp_path))
    return crawled


def test_history_by_id_lists_versions_in_order_each_with_its_edits(use, capsys):
    assert main(["history", use.seed_id]) == 0
    out = capsys.readouterr().out
    assert out.startswith(use.seed_id)
    v1, v2 = out.index("\nv1 "), out.index("\nv2 ")
    assert v1 < v2 and use.old_headline in out[v1:v2] and HOSTILE_HEADLINE in out[v2:]
    stored = list(use.db.changes.find({"article_id": use.seed_id, "version_to": 2}).sort("seq", 1))
    positions = [out.index(f"#{c['seq']} ") for c in stored]
    assert positions == sorted(positions) and all(p > v2 for p in positions)
    assert {"headline", "kicker", "body"} <= {c["field"] for c in stored}


def test_history_by_url_and_as_json(use, capsys):
    url = use.db.articles.find_one({"_id": use.seed_id})["url"]
    assert main(["history", url + "?utm_source=x", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["article_id"] == use.seed_id
    assert [v["version"] for v in found["versions"]] == [1, 2]
    seqs = [c["seq"] for c in found["changes"]]
    assert seqs == sorted(seqs) and NEW_KICKER in [c.get("new") for c in found["changes"]]


def test_an_unknown_article_is_one_line_and_exit_1(use, capsys):
    assert main(["history", "merkur.de:0"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no article 'merkur.de:0'" in err
