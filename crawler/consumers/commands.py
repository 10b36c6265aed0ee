"""`newsmon export` and `newsmon serve`: their arguments and what they do (crawler/apps/cli.py only wires them in)."""

from __future__ import annotations

import argparse
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from crawler.config import load_settings
from crawler.consumers.query import (
    EDIT_CLASSES,
    KINDS,
    BadFilter,
    Filters,
    edit_class,
    field_name,
    parse_time,
    positive_int,
    text,
)

EXPORT_EPILOG = """examples:
  newsmon export changes --field headline --since 24h
  newsmon export articles --site merkur.de --since 2025-05-01 --until 2025-06-01 -f csv -o articles.csv
  newsmon export versions --article merkur.de:91245736

time range: --since/--until take ISO 8601 (no zone means UTC) or an age (30m, 6h, 2d, 1w); they filter
articles on published, versions on fetched_at, teasers on last_seen, changes on detected_at.
Documents are written in index order (changes by seq, the others by _id), fetched in batches.
"""


def _checked(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type that reports our own message for a bad value."""

    def convert(value: str) -> Any:
        try:
            return parse(value)
        except BadFilter as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


def _time(value: str) -> datetime:
    return parse_time(value)


def _port(value: str) -> int:
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port (0 to 65535; 0: a free one)")
    return int(value)


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EXPORT_EPILOG
    parser.add_argument("kind", choices=tuple(KINDS), help="what to export")
    parser.add_argument("-f", "--format", choices=("jsonl", "csv"), default="jsonl", help="default: jsonl")
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE instead of stdout (replaced only once the export is done)"
    )
    parser.add_argument("--site", type=_checked(lambda v: text(v, "site")), help="only this site, e.g. merkur.de")
    parser.add_argument("--since", type=_checked(_time), metavar="TIME", help="from this time on (inclusive)")
    parser.add_argument("--until", type=_checked(_time), metavar="TIME", help="before this time (exclusive)")
    parser.add_argument(
        "--field",
        action="append",
        default=[],
        type=_checked(field_name),
        help="changes: only this field and its sub-fields (repeatable), e.g. headline, kicker, teaser.headline",
    )
    parser.add_argument(
        "--class",
        dest="edit_class",
        action="append",
        default=[],
        type=_checked(edit_class),
        metavar="CLASS",
        help=f"changes: only this edit class (repeatable): {', '.join(EDIT_CLASSES)}",
    )
    parser.add_argument("--article", type=_checked(lambda v: text(v, "article")), help="only this article id")
    parser.add_argument(
        "--headline-differs",
        action="store_true",
        help="teasers: only those whose headline reads otherwise than their article's (headline_vs_article)",
    )
    parser.add_argument("--ab-test", action="store_true", help="teasers: only those in an A/B test (ab_tests)")
    parser.add_argument(
        "--batch-size",
        type=_checked(lambda v: positive_int(v, "batch size", 10_000)),
        default=500,
        help="documents per round trip (default 500)",
    )


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    from crawler.consumers.web.server import DEFAULT_HOST, DEFAULT_PORT

    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0: a free port")
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"IPv4 address to bind (default {DEFAULT_HOST}: this machine only)"
    )


def export_command(args: argparse.Namespace) -> int:
    from crawler.consumers.export import export
    from crawler.store.connection import connect

    filters = Filters(
        site=args.site,
        since=args.since,
        until=args.until,
        fields=tuple(args.field),
        edit_classes=tuple(args.edit_class),
        article=args.article,
        headline_differs=args.headline_differs,
        ab_test=args.ab_test,
    )
    client, db = connect(load_settings())
    try:
        with ExitStack() as stack:
            out = stack.enter_context(_replacing(args.output)) if args.output else sys.stdout
            count = export(db, args.kind, filters, args.format, out, batch_size=args.batch_size)
            out.flush()
    except BrokenPipeError:  # `newsmon export ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return 0
    finally:
        client.close()
    if args.output:
        print(f"{count} {args.kind} written to {args.output}", file=sys.stderr)
    return 0


@contextmanager
def _replacing(path: str) -> Iterator[TextIO]:
    """A temporary file beside `path`, renamed onto it only when the export is complete: an existing file stays
    as it was if the database does not answer or the export fails half-way. The new file gets the old one's
    mode (or the umask's), not the temporary file's 0600."""
    target = Path(path)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed or removed below
        "w", encoding="utf-8", newline="", dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(handle.name, mode)
        os.replace(handle.name, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(handle.name)
        raise


def serve_command(args: argparse.Namespace) -> int:
    from crawler.consumers.web import serve
    from crawler.consumers.web.server import is_loopback
    from crawler.store.connection import connect

    if not is_loopback(args.host):
        print(
            f"warning: serving on {args.host}: anyone who reaches it can read the database (no login)", file=sys.stderr
        )
    client, db = connect(load_settings())

    def ready(url: str) -> None:
        print(f"newsmon serve: {url} (read-only; Ctrl-C stops)", flush=True)

    try:
        serve(db, args.host, args.port, on_ready=ready)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        print(f"newsmon serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    return 0
