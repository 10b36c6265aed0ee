"""Run the read-only app on a local port with the standard library's WSGI server (threads, no framework).

A handful of local readers need no framework: `wsgiref` with one thread per request is enough, adds no
dependency and keeps the attack surface to what `App` does.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from pymongo.database import Database

from crawler.consumers.web.app import App

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8700


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    """Request lines to the logger at DEBUG instead of stderr."""

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_hosts(port: int) -> set[str]:
    """The Host headers a browser sends for this server on loopback."""
    return {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")}


def make(db: Database, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> WSGIServer:
    """A bound server on an IPv4 address (port 0: a free one; read it from `server.server_port`)."""
    server = ThreadingServer((host, port), QuietHandler)
    server.set_app(App(db, allowed_hosts=loopback_hosts(server.server_port) if is_loopback(host) else None))
    return server


def serve(
    db: Database,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until interrupted; `on_ready(url)` once the port is bound."""
    server = make(db, host, port)
    url = f"http://{host}:{server.server_port}/"
    if on_ready:
        on_ready(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
