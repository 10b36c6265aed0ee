"""Shared fixtures: a real MongoDB-compatible server over TCP and a throwaway database per test.

`MONGO_URI=... make test` runs everything against that MongoDB instead of the embedded server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.database import Database

PROJECT = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("NEWSMON_FIXTURES_DIR", PROJECT.parent / "shared" / "fixtures"))
# Crawls the tests start (any way) take no rendered samples of listing pages unless a test passes
# `-s NEWSMON_RENDER_SAMPLE_PAGES=...` (docs/rendering.md): they would start Chromium in every first crawl.
os.environ.setdefault("NEWSMON_RENDER_SAMPLE_PAGES", "0")


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """MONGO_URI when set, else an embedded server on a free port in a throwaway data dir."""
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        return
    from crawler.store.embedded.launcher import ensure_embedded_server, stop_embedded_server

    directory = tmp_path_factory.mktemp("embedded")
    server = ensure_embedded_server(directory, port=0)
    try:
        yield server.uri
    finally:
        stop_embedded_server(directory)


@pytest.fixture
def db_name() -> str:
    return f"newsmon_test_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def db(mongo_uri: str, db_name: str) -> Iterator[Database]:
    client: MongoClient = MongoClient(mongo_uri, tz_aware=True, serverSelectionTimeoutMS=10000)
    try:
        yield client[db_name]
    finally:
        client.drop_database(db_name)
        client.close()


@pytest.fixture
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.fail(f"real fixtures not found at {FIXTURES}: check out ../shared beside the project")
    return FIXTURES


# -- slow tests: `make check` runs the rest (lint and the fast tests, under a minute); `make test` runs all ------------
# A test is slow when it crawls (`scrapy crawl` or the CLI in a subprocess, or a crawled database), renders in
# Chromium, starts servers of its own (embedded database, scrapyd, Redis, Node.js) or runs a long random search.
# Marked here, by module, by the fixture it needs or by name, each with its reason (durations: `make test` with
# `PYTEST_ARGS=--durations=0`). tests/test_architecture.py checks that every name here still exists.
SLOW_MODULES = {
    "test_changes_crawl": "end-to-end crawls in subprocesses",
    "test_consumers_data": "a crawl of the local site",
    "test_crawl_local_site": "end-to-end crawls in subprocesses",
    "test_crawl_rendered": "rendered crawls in Chromium",
    "test_distributed_crawl": "crawler processes sharing Redis",
    "test_embedded_private": "embedded servers started and stopped, a crawl",
    "test_embedded_server": "embedded servers started, killed and restarted",
    "test_faults_crawl": "crawls through faults: outages, kills, crawls at once",
    "test_feed_export": "a crawl into a feed file",
    "test_health_crawl": "end-to-end crawls",
    "test_hostile_pages": "crawls of hostile pages, some rendered",
    "test_incremental_crawl": "end-to-end re-crawls",
    "test_mongoeco_fastpath": "embedded servers of its own, with and without the fast path",
    "test_node_driver": "a crawl read by the Node.js driver",
    "test_pipelines_crawl": "end-to-end crawls",
    "test_robots_crawl": "end-to-end crawls, one distributed",
    "test_run_record_signals": "crawls stopped by signals",
    "test_schedule": "scheduled crawls in subprocesses",
    "test_scrapyd": "a deployment to scrapyd and a crawl",
    "test_security_crawl": "end-to-end crawls",
    "test_serve_browser": "a crawl shown in Chromium",
    "test_settings_path": "crawls in subprocesses, one per setting path",
    "test_spool_destination": "crawls against an unreachable database",
    "test_trust_crawl": "end-to-end crawls",
}
SLOW_FIXTURES = {"crawled": "a crawl of the local site into a database, once per module"}
SLOW_TESTS = {
    "test_bench_mutations::test_edits_and_noise_read_as_planned_in_process": "runs the mutation benchmark's edits",
    "test_changes_compare::test_a_document_compared_with_itself_has_no_changes": "a long hypothesis search",
    "test_changes_compare::test_a_document_compared_with_its_typographic_variant_has_no_changes": "likewise",
    "test_changes_compare::test_every_change_is_a_real_difference_with_a_class": "likewise",
    "test_class_index::test_every_ippen_selector_matches_lxml_on_every_page_and_subtree": "every selector, every page",
    "test_cli_errors::test_a_broken_pipe_ends_quietly": "the CLI in a subprocess",
    "test_cli_errors::test_an_unreachable_database_names_the_redacted_uri_and_the_timeout": "waits for the timeout",
    "test_consumers_export::test_writing_keeps_memory_flat_however_many_documents": "writes many documents",
    "test_extract_ippen::test_mutated_real_pages_raise_only_extraction_error": "a long hypothesis search",
    "test_faults_fuzz::test_mutated_real_pages_raise_only_extraction_error_and_never_hang": "a long hypothesis search",
    "test_input_limits::test_export_refuses_out_of_range_dates_in_one_line": "the CLI in subprocesses",
    "test_input_limits::test_export_to_a_file_replaces_it_only_when_done": "the CLI in subprocesses",
    "test_input_limits::test_schedule_files_and_the_command_line_fail_in_one_line": "the CLI in subprocesses",
    "test_mongoeco_wire::test_the_server_sends_cursor_ids_as_longs_and_takes_them_back": "a server of its own",
    "test_sequence::test_concurrent_writers_never_let_a_follower_skip_a_change": "writers racing for seconds",
    "test_spider_news::test_generic_spider_crawls_the_local_site_from_a_config": "crawls the local site",
    "test_store_writer::test_an_outage_keeps_items_on_disk_and_the_next_start_writes_them": "waits out retries",
    "test_terminal_safety::test_a_hostile_page_reaches_neither_the_store_nor_the_terminal": "an end-to-end crawl",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.nodeid.split("::")[0].rpartition("/")[2].removesuffix(".py")
        name = f"{module}::{getattr(item, 'originalname', item.name)}"
        needs = set(getattr(item, "fixturenames", ()))
        if module in SLOW_MODULES or name in SLOW_TESTS or needs & SLOW_FIXTURES.keys():
            item.add_marker(pytest.mark.slow)
