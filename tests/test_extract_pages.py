"""Every real article page in ../shared/fixtures/articles, extracted and pinned field by field (fundus style).

The expected output of each page lives in `tests/expected/<stem>.json`, written once by
`NEWSMON_UPDATE_EXPECTED=1 pytest tests/test_extract_pages.py`, then reviewed against the page and the ground
truth before it is checked in. Empty values are never written: a field the page does not have is absent, and
the test checks it stays empty. A second test holds the extractor to the ground truth itself (an evaluation gate).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.extract.dates import read_date
from crawler.extract.profiles import extract_article, profile_for
from crawler.model.bylines import split_agencies
from crawler.model.fingerprint import CONTENT_FIELDS
from crawler.model.items import ArticleItem

EXPECTED = Path(__file__).parent / "expected"
ARTICLES = "articles/fundus/de"
UPDATE = os.environ.get("NEWSMON_UPDATE_EXPECTED") == "1"
FETCHED_AT = datetime.fromisoformat("2026-01-01T00:00:00+00:00")

PINNED = ("url", "site", "publisher_id", "language", *CONTENT_FIELDS, "word_count", "extractor")
"""Fields pinned per page. `html_hash`, `fetched_at` and `fetched_url` are checked separately."""

TYPES: dict[str, type | tuple[type, ...]] = {
    "url": str,
    "site": str,
    "publisher_id": str,
    "language": str,
    "kicker": str,
    "headline": str,
    "headline_variants": dict,
    "lead": str,
    "body": list,
    "authors": list,
    "agency": str,
    "dateline": str,
    "published": datetime,
    "modified": datetime,
    "section": str,
    "breadcrumb": list,
    "tags": list,
    "images": list,
    "paywall": bool,
    "word_count": int,
    "extractor": str,
}


def stems(fixtures_root: Path) -> list[str]:
    return sorted(p.stem for p in (fixtures_root / ARTICLES).glob("*.html"))


def _fixtures_root() -> Path:
    from tests.conftest import FIXTURES

    return FIXTURES


def serialize(article: ArticleItem) -> dict[str, Any]:
    """The pinned fields as JSON, empty values left out."""
    data = article.to_dict()
    out: dict[str, Any] = {}
    for name in PINNED:
        value = data[name]
        if isinstance(value, datetime):
            value = value.isoformat()
        if value in (None, "", [], {}) or (name == "paywall" and value is False):
            continue
        out[name] = value
    return out


def load(fixtures_dir: Path, stem: str) -> tuple[str, dict[str, Any]]:
    html = (fixtures_dir / ARTICLES / f"{stem}.html").read_text(encoding="utf-8", errors="replace")
    meta = json.loads((fixtures_dir / ARTICLES / f"{stem}.json").read_text(encoding="utf-8"))
    return html, meta


def extract(fixtures_dir: Path, stem: str) -> tuple[ArticleItem, dict[str, Any]]:
    html, meta = load(fixtures_dir, stem)
    return extract_article(html, meta["url"], fetched_at=FETCHED_AT), meta


@pytest.mark.parametrize("stem", stems(_fixtures_root()) if _fixtures_root().is_dir() else [])
def test_page_matches_expected(fixtures_dir: Path, stem: str) -> None:
    article, meta = extract(fixtures_dir, stem)
    got = serialize(article)
    path = EXPECTED / f"{stem}.json"
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"no expected output for {stem}: run with NEWSMON_UPDATE_EXPECTED=1 and review it")
        path.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))

    for name, value in expected.items():
        assert value not in (None, "", [], {}), f"{stem}: empty expected value for {name}"
        actual = getattr(article, name)
        assert isinstance(actual, TYPES[name]), f"{stem}: {name} is {type(actual).__name__}"
        if isinstance(actual, datetime):
            assert actual.tzinfo is not None and actual.utcoffset().total_seconds() == 0, f"{stem}: {name} not UTC"
        assert got[name] == value, f"{stem}: {name} differs"
    for name in PINNED:
        if name not in expected:
            assert name not in got, f"{stem}: {name} now extracted as {got.get(name)!r}; update the expected output"

    assert article.fetched_url == meta["url"]
    assert article.fetched_at == FETCHED_AT
    assert article.html_hash and len(article.html_hash) == 64
    assert all(b.kind in ("paragraph", "crosshead", "list", "quote") and b.text for b in article.body)
    assert all(isinstance(i.url, str) and i.url.startswith("http") for i in article.images)


# -- evaluation gate against the ground truth ----------------------------------------------------------------------
TOKEN = re.compile(r"\w+")
FLOORS = {"body_f1": 0.98, "authors": 0.97, "date": 0.97}
"""The figures on these pages (docs/benchmarks.md, after issue 18): the gate fails when quality drops below them."""
VALIDATION_FLOORS = {"body_f1": 0.97, "authors": 0.92, "date": 0.97}
"""The issue-18 targets on the validation third (tests/support/extraction_split.py), scored here, never read."""
TRUTH_ERRORS = {
    "JungeWelt_2026_05_18": "authors",  # the truth lists the dateline place "Nairobi" as an author
}
"""Pages whose ground truth is wrong for one field, with the field."""


def _truth_body(expected: dict[str, Any]) -> str:
    body = expected.get("body", {})
    return " ".join(list(body.get("summary", [])) + [p for s in body.get("sections", []) for p in s["paragraphs"]])


def _tokens(text: str) -> Counter:
    return Counter(TOKEN.findall(unicodedata.normalize("NFC", text)))


def test_quality_floors_against_ground_truth(fixtures_dir: Path) -> None:
    _assert_floors(fixtures_dir, stems(fixtures_dir), FLOORS)


def test_quality_floors_on_the_validation_third(fixtures_dir: Path) -> None:
    from tests.support.extraction_split import publisher_of, validation_publishers

    held = set(validation_publishers(fixtures_dir / "articles"))
    chosen = [s for s in stems(fixtures_dir) if publisher_of(s) in held]
    assert len(held) == 9 and len(chosen) >= 9
    _assert_floors(fixtures_dir, chosen, VALIDATION_FLOORS)


def _assert_floors(fixtures_dir: Path, chosen: list[str], floors: dict[str, float]) -> None:
    """Body bag-of-words F1 (mean precision and recall), authors (set equality) and date to the minute."""
    precisions, recalls, authors_ok, dates_ok = [], [], [], []
    for stem in chosen:
        article, meta = extract(fixtures_dir, stem)
        truth = meta["expected"]
        body = " ".join(
            ([article.lead] if article.lead else []) + [b.text for b in article.body if b.kind == "paragraph"]
        )
        t, p = _tokens(_truth_body(truth)), _tokens(body)
        tp = sum((t & p).values())
        precisions.append(tp / max(sum(p.values()), 1))
        recalls.append(tp / max(sum(t.values()), 1))
        if truth.get("authors") and TRUTH_ERRORS.get(stem) != "authors":
            # the truth lists credited agencies among the authors; newsmon keeps them in `agency`
            credited = article.authors + split_agencies(article.agency)
            authors_ok.append({a.casefold() for a in truth["authors"]} == {a.casefold() for a in credited})
        when = read_date(truth.get("publishing_date") or "")
        wall_clock = bool(truth.get("publishing_date")) and "+" not in truth["publishing_date"][10:]
        if when and when.has_time and not (wall_clock and when.value.time().isoformat() == "00:00:00"):
            ours = read_date(article.published_raw or "")
            if wall_clock:  # the truth gives the publisher's wall clock: compare wall clocks
                ok = ours is not None and ours.value.replace(
                    tzinfo=None, second=0, microsecond=0
                ) == when.value.replace(tzinfo=None, second=0, microsecond=0)
            else:
                ok = article.published is not None and article.published.replace(second=0, microsecond=0) == (
                    when.utc.replace(second=0, microsecond=0)
                )
            dates_ok.append(ok)
    precision, recall = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= floors["body_f1"], f"body bag-of-words F1 {f1:.3f}"
    assert sum(authors_ok) / len(authors_ok) >= floors["authors"], f"authors {sum(authors_ok)}/{len(authors_ok)}"
    assert sum(dates_ok) / len(dates_ok) >= floors["date"], f"dates {sum(dates_ok)}/{len(dates_ok)}"


def test_ippen_pages_take_the_ippen_profile_and_others_the_generic(fixtures_dir: Path) -> None:
    for stem in stems(fixtures_dir):
        html, meta = load(fixtures_dir, stem)
        want = "ippen" if stem.startswith(("Merkur", "FrankfurterRundschau")) else "generic"
        assert profile_for(html, meta["url"]) == want, stem
