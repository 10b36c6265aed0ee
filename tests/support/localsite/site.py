"""LocalSite: the publisher (publisher.py) served over HTTP on 127.0.0.1 (server.py).

The serving lives here, above both, so that the publisher, the server and the control API import each other one
way only: publisher <- control <- server <- site.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.localsite.publisher import Publisher
from tests.support.localsite.server import SiteServer, start_server


class LocalSite(Publisher):
    """A merkur.de-like publisher on 127.0.0.1, built from the real IPPEN pages in the shared fixtures
    (`Publisher` holds its state and pages; this adds serving them)."""

    _server: SiteServer | None = None

    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        """Serve in a background thread; returns the base URL (`http://127.0.0.1:<port>`)."""
        if self._server is not None:
            raise RuntimeError(f"already serving at {self.base_url}")
        self._server, base_url = start_server(self, host, port)
        self._moved_to(base_url)
        return base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            self.base_url = None

    @contextmanager
    def serve(self, port: int = 0, host: str = "127.0.0.1") -> Iterator[str]:
        """`with site.serve() as base_url:` serve while the block runs."""
        base_url = self.start(port, host)
        try:
            yield base_url
        finally:
            self.stop()

    @contextmanager
    def mirror(self, port: int = 0, host: str = "127.0.0.1") -> Iterator[str]:
        """`with site.mirror() as mirror_url:` the same site through a second base URL while it serves, as a
        mirror or reverse proxy shows it: every page with the site's base URL rewritten to the mirror's."""
        if self.base_url is None:
            raise RuntimeError("serve the site first: a mirror shows a serving site")
        server, base_url = start_server(self, host, port, rewrite=self.base_url)
        try:
            yield base_url
        finally:
            server.shutdown()
            server.server_close()
