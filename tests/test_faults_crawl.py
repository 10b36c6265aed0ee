"""The fault suite's quick set: real crawls of the local site under faults, each reporting injected, survived,
lost and duplicated (printed; `pytest -s` shows the lines). The long runs: `bench/faults.py`."""

from __future__ import annotations

import pytest

from tests.support.faults import concurrent_crawls, crawler_kills, db_outage, misbehaving_site


@pytest.mark.parametrize("how", ["proxy", "sigterm", "sigkill"])
def test_database_outage_mid_crawl_loses_and_duplicates_nothing(how, mongo_uri, db, tmp_path):
    report = db_outage(mongo_uri, db, tmp_path, how=how, articles=20, down_seconds=2.0)
    report.check()
    assert report.details["spooled"] > 0


def test_crawler_killed_at_random_moments_resumes_without_loss_or_duplicates(mongo_uri, db, tmp_path):
    crawler_kills(mongo_uri, db, tmp_path, trials=2, articles=12).check()


@pytest.mark.parametrize("crawls", [2, 4])
def test_crawls_at_once_duplicate_nothing(crawls, mongo_uri, db, tmp_path):
    concurrent_crawls(mongo_uri, db, tmp_path, crawls=crawls, articles=12).check()


def test_a_misbehaving_site_ends_in_stored_pages_and_rejects_with_reasons(mongo_uri, db, tmp_path):
    report = misbehaving_site(mongo_uri, db, tmp_path)
    report.check()
    assert report.details["outcomes"]["redirect_loop {'mode': 'self'}"] == "reject:fetch: RedirectLoop"
