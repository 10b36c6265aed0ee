"""Fuzzed pages: mutations of every real page in the shared fixtures (cut, closing tags dropped, deep nesting,
broken JSON-LD, garbage spliced in, stretches repeated) through every extractor. Each either reads the page or
raises its documented ExtractionError, and none hangs. Times per page: `bench/faults.py --only fuzz`."""

from __future__ import annotations

import contextlib
import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract.parsing import ExtractionError
from crawler.extract.urls import join_url
from tests.support.faults import extractors, fixture_pages, mutate

HANG_SECONDS = 20.0
"""Not a speed assertion (the bench measures speed): a page that takes this long is stuck, on any machine."""

PAGES = fixture_pages()
EXTRACTORS = extractors()


def test_every_real_page_is_in_the_fuzz_set():
    assert len(PAGES) >= 40 and {"ippen", "generic", "ippen_listing", "link_listing"} == set(EXTRACTORS)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(page=st.integers(0, len(PAGES) - 1), seed=st.integers(0, 2**32 - 1))
def test_mutated_real_pages_raise_only_extraction_error_and_never_hang(page: int, seed: int) -> None:
    name, html = PAGES[page]
    mutated = mutate(html, random.Random(seed))
    for extractor, run in EXTRACTORS.items():
        began = time.monotonic()
        try:
            run(mutated, "https://www.merkur.de/welt/a-91234567.html")
        except ExtractionError as exc:
            assert str(exc), f"{extractor}: an ExtractionError without a reason on {name}"
        assert time.monotonic() - began < HANG_SECONDS, f"{extractor} hung on a mutation of {name} (seed {seed})"


@pytest.mark.parametrize("junk", ["[" * 200000, "<div>" * 100000, "\x00" * 1000])
def test_pathological_pages(junk: str) -> None:
    _, html = PAGES[0]
    for page in (junk, html.replace("<body", junk + "<body", 1), f'<script type="application/ld+json">{junk}</script>'):
        for run in EXTRACTORS.values():
            with contextlib.suppress(ExtractionError):
                run(page, "https://www.merkur.de/welt/a-91234567.html")


HOSTILE_URL = "http://[CDATA[<script>\ufffd]/a-91234568.html"
"""From a fuzzed page (hypothesis seed 109921): a bracketed host that is no IP address; `urljoin` raises on it."""


def test_a_hostile_url_is_a_skipped_link_not_a_crash() -> None:
    assert join_url("https://www.merkur.de/", HOSTILE_URL) is None
    assert join_url("https://www.merkur.de/welt/", "b-91234569.html") == "https://www.merkur.de/welt/b-91234569.html"
    good = "https://www.merkur.de/welt/b-91234569.html"
    html = (
        f'<html><head><link rel=canonical href="{HOSTILE_URL}"><meta property=og:image content="{HOSTILE_URL}">'
        '</head><body><div class="id-Container">'
        f'<div class="id-Teaser-el"><a class="id-LinkOverlay-link" href="{HOSTILE_URL}">Feindlich</a></div>'
        f'<div class="id-Teaser-el"><a class="id-LinkOverlay-link" href="{good}">Ein guter Artikel</a></div></div>'
        f'<article><h1>Ein Titel</h1><figure><img src="{HOSTILE_URL}"></figure>'
        + "".join(f"<p>Absatz {i} des Artikels mit genug Text für einen Absatz im Text.</p>" for i in range(4))
        + "</article></body></html>"
    )
    url = "https://www.merkur.de/welt/a-91234567.html"
    for extractor in ("ippen_listing", "link_listing"):
        assert [t.url for t in EXTRACTORS[extractor](html, url)] == [good], extractor
    for extractor in ("ippen", "generic"):
        with contextlib.suppress(ExtractionError):
            article = EXTRACTORS[extractor](html, url)
            assert article.url == url and not article.images, extractor
