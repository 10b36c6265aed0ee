"""A page whose header declares a Latin-1 charset but whose bytes are UTF-8 is read as UTF-8.

A misconfigured server (or CDN) that sends `charset=iso-8859-1` for a UTF-8 page makes every umlaut two
characters ("lÃ¤sst"); stored like that, the article's next correct fetch would be a new version with an
"edit" in every word that has one. Bytes above 0x7F that decode as UTF-8 are practically never real Latin-1
text, so the declared single-byte charset is overridden only then.
"""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.http import Response, TextResponse

SINGLE_BYTE = frozenset({"cp1252", "iso8859-1", "iso-8859-1", "latin-1", "latin1", "windows-1252", "iso8859-15"})


class Utf8BodyMiddleware:
    """Sets the response's encoding to UTF-8 when a single-byte charset is declared and the body is UTF-8."""

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if not isinstance(response, TextResponse) or response.encoding.lower() not in SINGLE_BYTE:
            return response
        body = response.body
        if body.isascii():
            return response
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return response
        return response.replace(encoding="utf-8")
