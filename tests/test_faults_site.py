"""The local site's publisher faults (drip, huge, empty, redirect loops, malformed markup) do what they say."""

from __future__ import annotations

import http.client
import re
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.support.localsite import LocalSite


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[LocalSite, str]]:
    site = LocalSite(n_articles=6, seed=5)
    with site.serve(port=0) as base_url:
        yield site, base_url


@pytest.fixture
def site(served: tuple[LocalSite, str]) -> Iterator[tuple[LocalSite, str]]:
    yield served
    served[0].clear_faults()


def get(base_url: str, path: str) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_drip_sends_the_whole_page_slowly(site):
    local, base_url = site
    path = local.articles[0].path
    whole = get(base_url, path)[2]
    local.set_fault(re.escape(path), "drip", chunk=len(whole) // 4 + 1, interval=0.1)
    started = time.monotonic()
    assert get(base_url, path)[2] == whole
    assert time.monotonic() - started >= 0.3


def test_huge_pads_the_page_with_or_without_content_length(site):
    local, base_url = site
    path = local.articles[0].path
    local.set_fault(re.escape(path), "huge", count=1, size=3 * 2**20)
    status, headers, body = get(base_url, path)
    assert status == 200 and int(headers["Content-Length"]) == len(body) >= 3 * 2**20
    assert body.rstrip().endswith(b"</html>")
    local.set_fault(re.escape(path), "huge", count=1, size=2**20, announce=False)
    status, headers, body = get(base_url, path)
    assert "Content-Length" not in headers and len(body) >= 2**20


def test_empty_and_redirect_loops(site):
    local, base_url = site
    path = local.articles[1].path
    local.set_fault(re.escape(path), "empty", count=1)
    assert get(base_url, path)[::2] == (200, b"")
    local.set_fault(re.escape(path), "redirect_loop", count=2)
    first, second = get(base_url, path)[1]["Location"], get(base_url, path)[1]["Location"]
    assert (first, second) == (f"{base_url}{path}?loop=1", f"{base_url}{path}?loop=2")
    local.set_fault(re.escape(path), "redirect_loop", count=1, mode="self")
    status, headers, _ = get(base_url, path)
    assert (status, headers["Location"]) == (302, base_url + path)


def test_malformed_html_and_jsonld(site):
    local, base_url = site
    path = local.articles[2].path
    local.set_fault(re.escape(path), "malformed_html", count=1)
    broken = get(base_url, path)[2]
    assert b"</p>" not in broken and b"</div>" not in broken and b"</script>" in broken
    local.set_fault(re.escape(path), "malformed_jsonld", count=1)
    body = get(base_url, path)[2]
    assert b'"headline": "x",, ]' in body
    assert get(base_url, path)[2] != body  # count=1: the page is whole again
