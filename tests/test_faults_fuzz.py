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

from bench.faults import extractors, fixture_pages, mutate
from crawler.extract.common import ExtractionError

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
