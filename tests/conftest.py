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
