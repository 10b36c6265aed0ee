"""`newsmon serve`: a read-only web page over the store (recent changes with word diffs, article histories)."""

from crawler.consumers.web.app import App
from crawler.consumers.web.server import DEFAULT_HOST, DEFAULT_PORT, make, serve

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "App", "make", "serve"]
