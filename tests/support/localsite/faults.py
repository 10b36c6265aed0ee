"""Faults the local site can inject, so tests can check how the crawler copes with a misbehaving publisher."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

STATUS_KINDS = ("404", "410", "500")
BODY_KINDS = ("slow", "truncate", "wrong_charset", "unknown_charset")
PAGE_KINDS = (
    "drip",
    "huge",
    "empty",
    "redirect_loop",
    "malformed_html",
    "malformed_jsonld",
    "link_flood",
    "gzip_bomb",
)
TEXT_KINDS = ("inject_text",)
KINDS = STATUS_KINDS + BODY_KINDS + PAGE_KINDS + TEXT_KINDS
DEFAULTS: dict[str, dict[str, Any]] = {
    "slow": {"delay": 2.0},
    "truncate": {"fraction": 0.5},
    "wrong_charset": {"declared": "iso-8859-1", "actual": "utf-8"},
    "unknown_charset": {"declared": "x-newsmon-unknown"},
    "drip": {"chunk": 4096, "interval": 0.05},
    "huge": {"size": 20 * 2**20, "announce": True},
    "redirect_loop": {"mode": "chain"},
    "link_flood": {"links": 20_000},
    "gzip_bomb": {"size": 256 * 2**20},
}
"""Parameters per kind: `slow` waits `delay` seconds before answering; `truncate` sends `fraction` (or `bytes`)
of the body, though Content-Length announces all of it, then closes; `wrong_charset` encodes the body as
`actual` and declares `declared`; `unknown_charset` declares an encoding no library knows.

Publisher failures seen in the wild: `drip` sends the body `chunk` bytes at a time, `interval` seconds apart;
`huge` pads the page to `size` bytes (with `announce` False: no Content-Length, the body ends when the connection
closes); `empty` answers 200 with no body; `redirect_loop` answers 302 to the same path (`mode` "self") or to the
path with a new `?loop=N` each time (`mode` "chain", as session-id loops do); `malformed_html` drops every closing
tag (but of script, style, title); `malformed_jsonld` breaks the JSON of every `application/ld+json` script.

`inject_text` replaces every `old` in the page with `new` as raw UTF-8: text the page renderer (lxml) refuses,
such as terminal escape sequences and other control characters, as a hostile publisher would send it.

Hostile pages: `link_flood` adds `links` teasers, each linking its own (non-existent) article, to the page;
`gzip_bomb` pads the page to `size` bytes and sends it gzip-compressed (`Content-Encoding: gzip`; 256 MiB pack to
about 256 KB), whatever the client accepts."""


@dataclass
class Fault:
    """One rule: requests whose path matches `pattern` get `kind`, for the first `count` of them (or all)."""

    pattern: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    count: int | None = None
    hits: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS and not (self.kind.isdigit() and 400 <= int(self.kind) <= 599):
            raise ValueError(f"unknown fault kind {self.kind!r}; kinds: {', '.join(KINDS)} or any 4xx/5xx status")
        self.params = {**DEFAULTS.get(self.kind, {}), **self.params}
        self._regex = re.compile(self.pattern)

    @property
    def status(self) -> int | None:
        """The HTTP status this fault answers with instead of the page, if it is a status fault."""
        return int(self.kind) if self.kind.isdigit() else None

    @property
    def active(self) -> bool:
        return self.count is None or self.hits < self.count

    def take(self, path: str) -> bool:
        """True (and counted) when this fault applies to a request for `path`."""
        if self.active and self._regex.search(path):
            self.hits += 1
            return True
        return False

    def truncated_length(self, size: int) -> int:
        if "bytes" in self.params:
            return max(0, min(size - 1, int(self.params["bytes"])))
        return max(0, min(size - 1, int(size * float(self.params["fraction"]))))

    def to_dict(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "kind": self.kind,
            "params": self.params,
            "count": self.count,
            "hits": self.hits,
        }
