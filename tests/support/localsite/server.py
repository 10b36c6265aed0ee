"""The HTTP side of the local site: HTTP/1.1 with keep-alive on 127.0.0.1, faults applied on the wire,
every answer logged, and the control API under /_newsmon/ for the command line.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import time
import zlib
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.support.localsite import control
from tests.support.localsite.faults import Fault
from tests.support.localsite.publisher import Publisher, RequestRecord, Response, interesting

LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], site: Publisher, rewrite: str | None = None) -> None:
        self.site = site
        self.rewrite: tuple[bytes, bytes] | None = None
        """A mirror: (the site's base URL, this server's), replaced in every body and Location header."""
        super().__init__(address, SiteHandler)
        if rewrite:
            self.rewrite = (rewrite.encode(), f"http://{address[0]}:{self.server_port}".encode())


class SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "newsmon-localsite/1.0"
    sys_version = ""
    timeout = 30
    """Idle keep-alive connections are closed after this many seconds."""
    server: SiteServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the site keeps its own request log (`site.requests`)."""

    def do_GET(self) -> None:
        self._handle(head=False)

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def do_POST(self) -> None:
        if urlsplit(self.path).path.startswith(control.PREFIX):
            self._control("POST")
        else:
            self._send(self.server.site.error(405, (("Allow", "GET, HEAD"),)), head=False, fault=None)

    # -- pages ---------------------------------------------------------------------------------------------------
    def _handle(self, head: bool) -> None:
        site = self.server.site
        path = urlsplit(self.path).path or "/"
        if path.startswith(control.PREFIX):
            self._control("HEAD" if head else "GET")
            return
        fault = site.take_fault(path)
        if fault is not None and fault.status is not None:
            response = site.error(fault.status)
        elif fault is not None and fault.kind == "empty":
            response = Response(200, b"", "text/html; charset=UTF-8")
        elif fault is not None and fault.kind == "redirect_loop":
            target = path if fault.params["mode"] == "self" else f"{path}?loop={fault.hits}"
            response = Response(302, b"", "text/html; charset=UTF-8", (("Location", (site.base_url or "") + target),))
        else:
            if fault is not None and fault.kind == "slow":
                time.sleep(float(fault.params["delay"]))
            response = site.respond(path, dict(self.headers.items()))
        self._send(response, head, fault)

    def _send(self, response: Response, head: bool, fault: Fault | None) -> None:
        body, content_type = response.body, response.content_type
        if self.server.rewrite:
            source, target = self.server.rewrite
            body = body.replace(source, target)
            response = replace(
                response,
                headers=tuple(
                    (n, v.replace(source.decode(), target.decode()) if n == "Location" else v)
                    for n, v in response.headers
                ),
            )
        if fault is not None and fault.kind in ("wrong_charset", "unknown_charset") and "charset=" in content_type:
            declared = str(fault.params["declared"])
            actual = str(fault.params.get("actual", "utf-8"))
            body = body.decode("utf-8").encode(actual, "xmlcharrefreplace")
            content_type = content_type.split("charset=")[0] + f"charset={declared}"
        if (
            fault is not None
            and fault.kind in ("malformed_html", "malformed_jsonld", "huge", "inject_text", "link_flood", "gzip_bomb")
            and response.status == 200
        ):
            body = _misshape(body, fault)
        send = b"" if head or response.status in (204, 304) else body
        truncated = fault is not None and fault.kind == "truncate" and bool(send)
        if truncated:
            assert fault is not None
            send = send[: fault.truncated_length(len(send))]
        self.send_response(response.status)
        self.send_header("Content-Type", content_type)
        unannounced = fault is not None and fault.kind == "huge" and not fault.params["announce"]
        if response.status != 304 and not unannounced:
            self.send_header("Content-Length", str(len(body)))
        for name, value in response.headers:
            self.send_header(name, value)
        if fault is not None and fault.kind == "gzip_bomb" and response.status == 200:
            self.send_header("Content-Encoding", "gzip")
        if truncated or unannounced:
            self.close_connection = True
        self.end_headers()
        # logged before the body goes out, so a client that has the answer also finds it in the log
        self.server.site.record(
            RequestRecord(
                method=self.command,
                path=self.path,
                status=response.status,
                bytes_sent=len(send),
                headers=interesting(self.headers),
                fault=fault.kind if fault is not None else None,
                at=time.monotonic(),
            )
        )
        try:
            if fault is not None and fault.kind == "drip":
                step, pause = int(fault.params["chunk"]), float(fault.params["interval"])
                for start in range(0, len(send), step):
                    self.wfile.write(send[start : start + step])
                    self.wfile.flush()
                    time.sleep(pause)
            else:
                self.wfile.write(send)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- control API ---------------------------------------------------------------------------------------------
    def _control(self, method: str) -> None:
        if self.client_address[0] not in LOOPBACK:
            status, payload = 403, {"error": "control API is for 127.0.0.1 only"}
        else:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                data = json.loads(raw) if raw else {}
            except json.JSONDecodeError as exc:
                status, payload = 400, {"error": f"invalid JSON: {exc}"}
            else:
                action = urlsplit(self.path).path.removeprefix(control.PREFIX).strip("/")
                status, payload = control.handle(self.server.site, method, action, data)
        body = json.dumps(payload, ensure_ascii=False, indent=1).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)


_CLOSING_TAG = re.compile(rb"</(?!script|style|title|textarea)[a-zA-Z][a-zA-Z0-9]*\s*>", re.I)
"""Closing tags `malformed_html` drops: all but those of raw-text elements, which would swallow the page."""
_JSONLD = re.compile(rb"(<script[^>]*application/ld\+json[^>]*>)(.*?)(</script>)", re.S)


def _misshape(body: bytes, fault: Fault) -> bytes:
    """The page bytes as a broken CMS or a padded page would send them."""
    if fault.kind == "malformed_html":
        return _CLOSING_TAG.sub(b"", body)
    if fault.kind == "inject_text":
        return body.replace(str(fault.params["old"]).encode(), str(fault.params["new"]).encode())
    if fault.kind == "malformed_jsonld":
        return _JSONLD.sub(
            lambda m: m.group(1) + b'{"@type": "NewsArticle", "headline": "x",, ]' + m.group(2)[:40] + m.group(3), body
        )
    if fault.kind == "link_flood":
        return _before_body_end(body, _flood(int(fault.params["links"])))
    if fault.kind == "gzip_bomb":
        return _bomb(body, int(fault.params["size"]))
    size = int(fault.params["size"])
    filler = b"<!-- " + b"x" * max(0, size - len(body) - 9) + b" -->"
    return _before_body_end(body, filler)


def _before_body_end(body: bytes, insert: bytes) -> bytes:
    return body.replace(b"</body>", insert + b"</body>", 1) if b"</body>" in body else body + insert


FLOOD_ID = 90_000_000
"""Article ids of `link_flood` links: none of them exists (the site's own ids are far lower)."""


@functools.lru_cache(maxsize=2)
def _flood(links: int) -> bytes:
    """`links` minimal IPPEN teasers (the markup the listing extractors read), each to its own article, in one
    `id-Container` block as real IPPEN listings group them (a per-container lookup must stay cheap per teaser)."""
    teasers = (
        f'<div class="id-Teaser-el id-Teaser-el--list"><h3 class="id-Teaser-el-content-headline">'
        f'<a class="id-Teaser-el-link" href="/politik/flut-{FLOOD_ID + i}.html">Flut {i}</a></h3></div>'
        for i in range(links)
    )
    return ('<div class="id-Container">' + "".join(teasers) + "</div>").encode()


@functools.lru_cache(maxsize=2)
def _bomb(body: bytes, size: int) -> bytes:
    """The page padded to `size` bytes with a comment, gzip-compressed a MiB at a time (never whole in memory)."""
    head, end, tail = body.partition(b"</body>")
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip stream
    out = [packer.compress(head + b"<!-- ")]
    left = max(0, size - len(body) - 9)
    chunk = b"x" * 2**20
    while left > 0:
        out.append(packer.compress(chunk[: min(left, len(chunk))]))
        left -= len(chunk)
    out.append(packer.compress(b" -->" + end + tail))
    out.append(packer.flush())
    return b"".join(out)


def start_server(site: Publisher, host: str, port: int, rewrite: str | None = None) -> tuple[SiteServer, str]:
    """Bind (port 0: a free one) and serve from a daemon thread; returns the server and its base URL.
    `rewrite`: serve as a mirror of the site at that base URL (`LocalSite.mirror`)."""
    if host not in LOOPBACK and host != "localhost":
        raise ValueError(f"the local site only binds to 127.0.0.1, not {host!r}")
    server = SiteServer((host, port), site, rewrite)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"localsite:{server.server_port}", daemon=True
    )
    thread.start()
    return server, f"http://{host}:{server.server_port}"
