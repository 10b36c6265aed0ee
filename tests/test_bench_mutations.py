"""The mutation benchmark's edits and scoring (tests/support/mutations.py, run by bench/mutations.py) without
crawling: its edits read as their classes in process, noise reads as nothing, and the scoring counts a right field
with a wrong class as a miss plus a false positive."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from crawler.changes import compare_versions
from crawler.changes.classify import damerau_levenshtein
from crawler.extract.profiles import extract_article
from crawler.model.normalize import normalize_article
from tests.support import mutations
from tests.support.localsite import LocalSite


def fetch(site: LocalSite, article: int) -> dict[str, Any]:
    spec = site.article(article)
    html = site.respond(spec.path).body.decode("utf-8")
    return normalize_article(extract_article(html, f"https://www.merkur.de{spec.path}").to_dict())


def test_synonym_swaps_are_never_typos() -> None:
    assert all(damerau_levenshtein(a.lower(), b.lower()) > 2 for a, b in mutations.SYNONYMS.items())


def test_edits_and_noise_read_as_planned_in_process(fixtures_dir: Path) -> None:
    site = LocalSite(n_articles=80, seed=3, fixtures_dir=fixtures_dir)
    rng = random.Random(3)
    plans = mutations.make_plans(site, rng, edit_share=0.9, noise_share=0.6)
    mutations.apply_setup(site, plans)
    before = {p.article: fetch(site, p.article) for p in plans}
    mutations.apply_edits(site, plans, rng)
    changes = [
        {"article_id": f"merkur.de:{p.article}", **change.to_doc()}
        for p in plans
        for change in compare_versions(before[p.article], fetch(site, p.article))
    ]
    for plan in plans:  # teasers are not compared here
        plan.expected = {(name, cls) for name, cls in plan.expected if not name.startswith("teaser")}
    result = mutations.score(plans, changes)
    assert {p.kind for p in plans} >= set(mutations.MUTATIONS) - {"teaser headline change"}
    assert any(p.applied_noise for p in plans)
    assert result.misses == []
    assert result.overall.precision is not None and result.overall.precision >= 0.98


def test_a_right_field_with_a_wrong_class_is_a_miss_and_a_false_positive() -> None:
    plan = mutations.Plan(1, None, [], {}, expected={("body", "update")})
    change = {"article_id": "merkur.de:1", "field": "body", "edit_class": "rewording", "editorial": True, "diff": []}
    result = mutations.score([plan], [change, {**change, "field": "modified", "editorial": False}])
    assert (result.by_class["update"].fn, result.by_class["rewording"].fp) == (1, 1)
    assert (result.by_field["body"].fn, result.by_field["body"].fp, result.by_field["body"].tp) == (1, 1, 0)
    assert result.overall.precision == 0.0 and result.metadata.fp == 1
