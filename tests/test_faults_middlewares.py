"""The two downloader middlewares that keep publisher faults from costing pages silently."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response

from crawler.runtime.middlewares.charset import Utf8BodyMiddleware
from crawler.runtime.middlewares.redirect_loop import RedirectLoop, RedirectLoopMiddleware

URL = "https://www.merkur.de/welt/a-91234567.html"


def redirect(request: Request, location: str) -> Response:
    return Response(request.url, status=302, headers={"Location": location}, request=request)


def test_a_redirect_into_its_own_chain_is_a_loop():
    middleware = RedirectLoopMiddleware()
    request = Request(URL)
    with pytest.raises(RedirectLoop, match="redirect loop"):
        middleware.process_response(request, redirect(request, "/welt/a-91234567.html"))
    hop = Request(URL + "?s=1", meta={"redirect_urls": [URL]})
    with pytest.raises(RedirectLoop):
        middleware.process_response(hop, redirect(hop, URL))
    onward = redirect(hop, URL + "?s=2")
    assert middleware.process_response(hop, onward) is onward


def test_utf8_bytes_declared_latin1_are_read_as_utf8():
    middleware = Utf8BodyMiddleware()
    body = "<html><h1>Außenminister lässt prüfen</h1></html>".encode()
    lying = HtmlResponse(URL, body=body, headers={"Content-Type": "text/html; charset=iso-8859-1"})
    assert "Ã" in lying.text
    assert middleware.process_response(Request(URL), lying).text.count("ä") == 1
    latin = HtmlResponse(
        URL, body="<h1>Außen</h1>".encode("latin-1"), headers={"Content-Type": "text/html; charset=iso-8859-1"}
    )
    assert middleware.process_response(Request(URL), latin) is latin
    ascii_page = HtmlResponse(URL, body=b"<h1>plain</h1>", headers={"Content-Type": "text/html; charset=iso-8859-1"})
    assert middleware.process_response(Request(URL), ascii_page) is ascii_page
