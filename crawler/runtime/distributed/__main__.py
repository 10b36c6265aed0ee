"""`python -m crawler.runtime.distributed`: a site's shared frontier from the command line.

python -m crawler.runtime.distributed status merkur              # run, queue, seen-set, workers (REDIS_URL)
python -m crawler.runtime.distributed seed merkur [-a k=v ...]    # push_due: start a run unless one is in progress
python -m crawler.runtime.distributed push merkur URL [URL ...]   # queue article URLs (repeats dropped)

A local demo of distributed mode (from a checkout): `python -m tests.support.distributed_demo` (docs/deployment.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from crawler.config import load_settings


def _args(pairs: Sequence[str]) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in pairs)


def _status(args: argparse.Namespace) -> int:
    from crawler.runtime.distributed.connection import redis_from_settings
    from crawler.runtime.distributed.frontier import Frontier
    from crawler.runtime.distributed.keys import Keys
    from crawler.runtime.distributed.seed import build_spider

    settings = load_settings()
    if not settings.get("REDIS_URL"):
        print("REDIS_URL is not set", file=sys.stderr)
        return 2
    spider = build_spider(args.spider, _args(args.arg), settings)
    frontier = Frontier(redis_from_settings(settings), Keys.for_spider(spider, settings.get("NEWSMON_REDIS_PREFIX")))
    print(json.dumps(frontier.status(), indent=2))
    return 0


def _seed(args: argparse.Namespace) -> int:
    from crawler.runtime.distributed.seed import push_due

    seeded = push_due(args.spider, _args(args.arg))
    if seeded is None:
        print(f"{args.spider}: a run is in progress; nothing queued")
        return 0
    print(f"{seeded.site}: started run {seeded.run.id}, {seeded.queued} start requests queued")
    return 0


def _push(args: argparse.Namespace) -> int:
    from crawler.runtime.distributed.seed import push_urls

    seeded = push_urls(args.spider, args.urls, _args(args.arg))
    print(f"{seeded.site}: {seeded.queued} of {seeded.offered} URLs queued in run {seeded.run.id}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.runtime.distributed", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, text in (
        ("status", _status, "the site's run, queue, seen-set and workers"),
        ("seed", _seed, "start a run of the spider (push_due), unless one is in progress"),
        ("push", _push, "queue article URLs for the spider's site, each once per run"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("spider")
        if name == "push":
            command.add_argument("urls", nargs="+")
        command.add_argument("-a", dest="arg", action="append", default=[], help="spider argument NAME=VALUE")
        command.set_defaults(func=func)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
