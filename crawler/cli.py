"""`newsmon`: a thin entry point over the crawler, the store and the embedded database."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from crawler.config import data_dir, load_settings
from crawler.consumers import commands as consumers


def _db(args: argparse.Namespace) -> int:
    from crawler.store.embedded import embedded_status, ensure_embedded_server, stop_embedded_server

    settings = load_settings()
    if settings.get("MONGO_URI"):
        print("MONGO_URI is set: newsmon uses that MongoDB; the embedded server is not involved.")
        return 0 if args.action == "status" else 2
    directory = data_dir(settings)
    if args.action == "start":
        server = ensure_embedded_server(directory, port=settings.getint("NEWSMON_EMBEDDED_PORT"))
        print(f"embedded database running: {server.uri} (pid {server.pid}, data {directory})")
    elif args.action == "stop":
        stopped = stop_embedded_server(directory)
        print("embedded database stopped" if stopped else "embedded database was not running")
    else:
        server = embedded_status(directory)
        if server is None:
            print(f"embedded database not running (data {directory})")
            return 1
        print(f"embedded database running: {server.uri} (pid {server.pid}, data {directory})")
    return 0


def _summary(args: argparse.Namespace) -> int:
    from crawler.store.connection import connect
    from crawler.summary import summarize

    client, db = connect(load_settings())
    try:
        print(summarize(db, site=args.site, limit=args.limit))
    finally:
        client.close()
    return 0


def _crawl(args: argparse.Namespace) -> int:
    from scrapy.crawler import CrawlerProcess

    overrides = dict(kv.split("=", 1) for kv in args.set)
    if args.output:
        overrides["FEEDS"] = {args.output: {"format": "jsonlines", "overwrite": True}}
    process = CrawlerProcess(load_settings(overrides))
    process.crawl(args.spider, **dict(kv.split("=", 1) for kv in args.arg))
    process.start()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsmon", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    crawl = sub.add_parser("crawl", help="run a spider once (like `scrapy crawl`)")
    crawl.add_argument("spider", help="spider name, e.g. merkur")
    crawl.add_argument("-a", dest="arg", action="append", default=[], metavar="NAME=VALUE", help="spider arg")
    crawl.add_argument("-s", dest="set", action="append", default=[], metavar="NAME=VALUE", help="setting")
    crawl.add_argument("-O", dest="output", help="also write items to this JSON-lines file (overwritten)")
    crawl.set_defaults(func=_crawl)

    summary = sub.add_parser("summary", help="what the database holds, in short")
    summary.add_argument("--site", help="only this site, e.g. merkur.de")
    summary.add_argument("--limit", type=int, default=8, help="rows per section")
    summary.set_defaults(func=_summary)

    export = sub.add_parser("export", help="articles, versions, teasers or changes as JSON lines or CSV")
    consumers.add_export_arguments(export)
    export.set_defaults(func=consumers.export_command)

    serve = sub.add_parser("serve", help="a read-only web page of recent changes and article histories")
    consumers.add_serve_arguments(serve)
    serve.set_defaults(func=consumers.serve_command)

    db = sub.add_parser("db", help="manage the embedded database (when MONGO_URI is unset)")
    db.add_argument("action", choices=("start", "stop", "status"))
    db.set_defaults(func=_db)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
