"""Publisher text made harmless for terminals: no control characters, escape sequences or bidi overrides.

Scraped text is untrusted. An ESC sequence in a headline can recolour, move the cursor, retitle the window or
plant an OSC 8 hyperlink when `newsmon changes` prints it or someone tails the crawl log; a right-to-left
override (U+202E) reverses what follows on screen. :func:`strip_controls` removes all of them: whole escape
sequences (CSI, OSC, DCS/SOS/PM/APC strings, two-character escapes; 7- and 8-bit), every other C0/C1 control
but newline and tab (whitespace-like ones become a space, so words stay apart) and the bidi embeddings,
overrides and isolates (U+202A-202E, U+2066-2069). Normalization applies it to stored text
(`crawler.model.normalize`); the CLI applies it to what it prints and :class:`SafeFormatter` to every log line.

Written by hand: the few terminal-escape helpers on PyPI handle only colour sequences (CSI) and not OSC strings,
8-bit controls or bidi overrides, and this is three regular expressions.
"""

from __future__ import annotations

import logging
import re

_STRING_MAX = 4096
"""OSC/DCS strings longer than this are not matched whole (their introducer is still removed): keeps the scan
linear on hostile input full of unterminated introducers."""

_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"  # CSI: colours, cursor moves, erase
    rf"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]{{0,{_STRING_MAX}}}(?:\x07|\x1b\\|\x9c)"  # OSC, DCS...
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"  # other escapes (ESC c resets the terminal), or a lone ESC
)
_SPACE_LIKE = re.compile(r"[\r\x0b\x0c\x1c-\x1f\x85]")  # str.split() treats these as whitespace: keep words apart
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_RAW_IN_JSON = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ANY = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """`text` without escape sequences, controls (but newline and tab) and bidi overrides/isolates."""
    if text.isprintable() or not _ANY.search(text):
        return text  # the common case: no copy (isprintable: a C scan, ~10x faster than the regex)
    text = _SEQUENCES.sub("", text)
    text = _SPACE_LIKE.sub(" ", text)
    return _CONTROLS.sub("", text)


def escape_controls(line: str) -> str:
    """A JSON line safe for a terminal and still the same data: the controls and bidi overrides that JSON leaves
    raw (DEL, C1, U+202A-202E, U+2066-2069; C0 is already escaped) written as `\\uXXXX` escapes."""
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", line)


class SafeFormatter(logging.Formatter):
    """Wraps a handler's formatter: the message and traceback go through :func:`strip_controls` before it formats
    them (a colouring formatter keeps its own colours)."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        safe = logging.makeLogRecord(record.__dict__)
        safe.msg, safe.args = strip_controls(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            safe.exc_text = self.inner.formatException(record.exc_info)
        if safe.exc_text:
            safe.exc_text = strip_controls(safe.exc_text)
        safe.exc_info = None
        if safe.stack_info:
            safe.stack_info = strip_controls(safe.stack_info)
        return self.inner.format(safe)


def make_handlers_safe(logger: logging.Logger | None = None) -> None:
    """Give every handler of `logger` (default: the root logger) a :class:`SafeFormatter`; idempotent."""
    for handler in (logger or logging.getLogger()).handlers:
        if not isinstance(handler.formatter, SafeFormatter):
            handler.setFormatter(SafeFormatter(handler.formatter))
