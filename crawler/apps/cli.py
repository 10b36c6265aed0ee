"""`newsmon`: a thin entry point over the crawler, the store and the embedded database.

A user's mistake ends in one line on stderr saying what is wrong and what to do, exit code 2 for usage errors and
1 for failures (an unreachable database, a crawl that fetched nothing); a traceback only with `--debug`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version

from crawler.config import SettingError, check_data_dir, data_dir, load_settings, option
from crawler.consumers import commands as consumers
from crawler.model.terminal import escape_controls, strip_controls

USAGE, FAILED = 2, 1


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (argparse prints the usage block first)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _waiting_lines(settings: object) -> list[str]:
    from crawler.store.spool import describe_waiting

    return describe_waiting(data_dir(settings) / "spool")  # type: ignore[arg-type]


def _db(args: argparse.Namespace) -> int:
    from crawler.store.connection import redact_uri, resolve_uri
    from crawler.store.embedded.launcher import embedded_status, ensure_embedded_server, stop_embedded_server

    settings = load_settings()
    if args.action == "uri":  # the one place a consumer gets the URI with its credentials
        print(resolve_uri(settings))
        return 0
    if args.action == "status":
        for line in _waiting_lines(settings) or ["no spooled writes wait on disk"]:
            print(line)
    if settings.get("MONGO_URI"):
        print("MONGO_URI is set: newsmon uses that MongoDB; the embedded server is not involved.")
        return 0 if args.action == "status" else 2
    directory = check_data_dir(settings)
    if args.action == "start":
        server = ensure_embedded_server(directory, port=settings.getint("NEWSMON_EMBEDDED_PORT"))
        print(f"embedded database running: {redact_uri(server.uri)} (pid {server.pid}, data {directory})")
    elif args.action == "stop":
        stopped = stop_embedded_server(directory)
        print("embedded database stopped" if stopped else "embedded database was not running")
    else:
        server = embedded_status(directory)
        if server is None:
            print(f"embedded database not running (data {directory})")
            return 1
        print(f"embedded database running: {redact_uri(server.uri)} (pid {server.pid}, data {directory})")
    return 0


def _summary(args: argparse.Namespace) -> int:
    from crawler.apps.summary import summarize
    from crawler.store.connection import connect

    settings = load_settings()
    client, db = connect(settings)
    try:
        print(strip_controls(summarize(db, site=args.site, limit=args.limit)))
    finally:
        client.close()
    print("\nSpooled writes (waiting on disk for their database):")
    for line in _waiting_lines(settings) or ["none"]:
        print(f"  {line}")
    return 0


def _crawl(args: argparse.Namespace) -> int:
    from scrapy.crawler import CrawlerProcess

    from crawler.apps.scrapy_commands import check_crawl, run_crawl

    overrides = dict(args.set)
    if args.output:
        overrides["FEEDS"] = {args.output: {"format": "jsonlines", "overwrite": True}}
    if args.loglevel:
        overrides["LOG_LEVEL"] = args.loglevel
    if args.logfile:
        overrides["LOG_FILE"] = args.logfile
    if args.progress:
        overrides["NEWSMON_PROGRESS_LIVE"] = args.progress
    spider_args = dict(args.arg)
    if args.refresh:
        spider_args["refresh"] = args.refresh
    if args.debug:
        overrides.setdefault("LOG_LEVEL", "DEBUG")
    settings = load_settings(overrides)
    spidercls = check_crawl(settings, args.spider, spider_args, "newsmon crawl")
    if spidercls is None:
        return USAGE
    return run_crawl(CrawlerProcess(settings), spidercls, spider_args)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(text: str) -> str:
    if text.upper() not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a log level ({', '.join(LOG_LEVELS)})")
    return text.upper()


def _name_value(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return name.strip(), value


def _schedule(args: argparse.Namespace) -> int:
    import logging

    from scrapy.utils.log import configure_logging

    from crawler.apps.schedule import ScheduleError, Scheduler, load_schedule, resolve_sites, span
    from crawler.store.connection import connect

    settings = load_settings()
    path = args.config or settings.get("NEWSMON_SCHEDULE")
    if not path:
        print("newsmon schedule: give --config FILE (or set NEWSMON_SCHEDULE); see docs/scheduling.md", file=sys.stderr)
        return 2
    try:
        schedule = load_schedule(path)
        sites = resolve_sites(schedule, settings)
    except ScheduleError as exc:
        print(f"newsmon schedule: {exc}", file=sys.stderr)
        return 2
    if args.max_parallel:
        schedule = type(schedule)(schedule.jobs, args.max_parallel, schedule.stop_timeout, schedule.log_dir)
    scheduler = Scheduler(schedule, data_dir(settings), db_factory=lambda: connect(settings), sites=sites)
    if args.dry_run:
        for job in schedule.jobs:
            command = " ".join(scheduler.command(job, scheduler.log_dir / f"{job.key}-<time>.log"))
            print(f"{job.name} every {span(job.every)} (lock {job.key}): {command}")
        return 0
    configure_logging({"LOG_LEVEL": args.loglevel, "LOG_FORMAT": "%(asctime)s [%(name)s] %(levelname)s: %(message)s"})
    logging.getLogger("pymongo").setLevel(logging.WARNING)
    return scheduler.run(once=args.once)


def _max_parallel(text: str) -> int:
    from crawler.apps.schedule import max_parallel

    try:
        return max_parallel(int(text) if text.strip().lstrip("-").isdigit() else text, "--max-parallel")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--max-parallel: ")) from None


def _changes(args: argparse.Namespace) -> int:
    import time

    from bson import json_util
    from bson.json_util import RELAXED_JSON_OPTIONS as RELAXED

    from crawler.changes import compact
    from crawler.store.connection import connect
    from crawler.store.recent import recent_changes

    client, db = connect(load_settings())
    fields = [f.strip() for f in (args.field or "").split(",") if f.strip()] or None
    last = args.after
    try:
        while True:
            found = recent_changes(db, after=last, limit=args.limit, site=args.site, fields=fields)
            for change in found:
                if args.json:
                    print(
                        escape_controls(json_util.dumps(change, json_options=RELAXED, ensure_ascii=False)), flush=True
                    )
                else:
                    print(strip_controls(_change_line(change, compact)), flush=True)
                last = change["seq"]
            if not args.follow:
                return 0
            if last is None:
                last = 0
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
    finally:
        client.close()


def _change_line(change: dict, compact: Callable[..., str]) -> str:
    when = change.get("detected_at")
    stamp = when.strftime("%Y-%m-%d %H:%M") if when else "?"
    versions = f" v{change['version_from']}→v{change['version_to']}" if change.get("version_to") else ""
    words = change.get("significance")
    head = (
        f"#{change.get('seq')} {stamp} {change.get('article_id')} {change.get('field')} "
        f"[{change.get('edit_class')}{f', {words} words' if words is not None else ''}]{versions}"
    )
    return f"{head}\n    {compact(change.get('diff') or [], context=6)}\n    {change.get('url', '')}"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="newsmon", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"newsmon {_version()}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks (and crawl at log level DEBUG)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    crawl = sub.add_parser(
        "crawl",
        help="run a spider once (like `scrapy crawl`)",
        description="Runs one spider (merkur, ippen -a site=..., news -a config=FILE) into the database. Spider "
        "arguments: base_url, section, url, max_articles, since (ISO date or age like 24h), refresh. Exit code 0 "
        "done, 1 nothing it was asked could be fetched, 2 a bad argument or setting.",
    )
    crawl.add_argument("spider", help="spider name, e.g. merkur")
    crawl.add_argument(
        "-a", dest="arg", action="append", default=[], type=_name_value, metavar="NAME=VALUE", help="spider arg"
    )
    crawl.add_argument(
        "-s", dest="set", action="append", default=[], type=_name_value, metavar="NAME=VALUE", help="setting"
    )
    crawl.add_argument("-O", dest="output", help="also write items to this JSON-lines file (overwritten)")
    crawl.add_argument(
        "--refresh",
        choices=("due", "linked", "all"),
        help="stored articles fetched again: due by the revisit policy, every linked one, or all (-a refresh=)",
    )
    crawl.add_argument("-L", "--loglevel", type=_log_level, help="log level (DEBUG, INFO, WARNING, ...)")
    crawl.add_argument("--logfile", help="write the log to this file instead of stderr")
    crawl.add_argument(
        "--progress", choices=("auto", "on", "off"), help="live progress line on stderr (auto: on a terminal)"
    )
    crawl.set_defaults(func=_crawl)

    schedule = sub.add_parser(
        "schedule",
        help="run spiders on their intervals until SIGINT/SIGTERM (see docs/scheduling.md)",
        description="Runs each job of a TOML schedule as `scrapy crawl` on its interval, one run at a time per "
        "spider and site (an OS lock in the data dir), recording every run in crawl_runs.",
    )
    schedule.add_argument("--config", help="schedule file (TOML); default: the NEWSMON_SCHEDULE setting")
    schedule.add_argument("--once", action="store_true", help="run every job once, then exit")
    schedule.add_argument(
        "--max-parallel", type=_max_parallel, help="runs at once, 1 to 64 (overrides the file's max_parallel)"
    )
    schedule.add_argument("--dry-run", action="store_true", help="print each job's command and exit")
    schedule.add_argument(
        "-L", "--loglevel", type=_log_level, default="INFO", help="log level of the scheduler (default INFO)"
    )
    schedule.set_defaults(func=_schedule)

    changes = sub.add_parser(
        "changes",
        help="recent changes (edits newsmon detected), newest last",
        description="Lists changes up to the feed's committed mark, so --after the last seq shown never skips one.",
    )
    changes.add_argument("--site", help="only this site, e.g. merkur.de")
    changes.add_argument("--field", help="only these fields (comma-separated; a name covers its sub-fields)")
    changes.add_argument("--limit", type=int, default=20, help="changes per listing (default 20)")
    changes.add_argument("--after", type=int, metavar="SEQ", help="changes after this seq, oldest first")
    changes.add_argument("--follow", action="store_true", help="keep listing new changes until Ctrl-C")
    changes.add_argument("--interval", type=float, default=5.0, help="seconds between polls with --follow")
    changes.add_argument("--json", action="store_true", help="one JSON object per line")
    changes.set_defaults(func=_changes)

    summary = sub.add_parser(
        "summary",
        help="what the database holds, in short",
        description="Counts, the latest articles, most teased articles, latest changes, recent runs and health, "
        "and the spooled writes that wait on disk for their database.",
    )
    summary.add_argument("--site", help="only this site, e.g. merkur.de")
    summary.add_argument("--limit", type=int, default=8, help="rows per section")
    summary.set_defaults(func=_summary)

    export = sub.add_parser(
        "export",
        help="articles, versions, teasers or changes as JSON lines or CSV",
        description="Writes one collection, filtered, as JSON lines or CSV to stdout or a file.",
    )
    consumers.add_export_arguments(export)
    export.set_defaults(func=consumers.export_command)

    from crawler.consumers.history import add_history_arguments, history_command

    history = sub.add_parser(
        "history",
        help="one article's versions and edits, in order",
        description="Shows an article's stored versions in order, each with the edits (changes) that led to it; "
        "give its id or any URL it was fetched under.",
    )
    add_history_arguments(history)
    history.set_defaults(func=history_command)

    serve = sub.add_parser(
        "serve",
        help="read-only web pages of recent changes, article histories and charts; an Atom feed; a JSON API",
        description="Serves recent changes, each article's versions and edits, and charts per site as web pages, "
        "an Atom feed and a JSON API, read-only.",
    )
    consumers.add_serve_arguments(serve)
    serve.set_defaults(func=consumers.serve_command)

    db = sub.add_parser(
        "db",
        help="manage the embedded database (when MONGO_URI is unset); `db uri` prints its URI",
        description="start, stop or show the embedded database server of the data dir; status also lists "
        "spooled writes waiting on disk and for which database. `uri` prints the URI newsmon uses (the embedded "
        "server's, started if needed, or MONGO_URI) WITH ITS CREDENTIALS, for consumers and drivers: keep it private.",
    )
    db.add_argument(
        "action",
        choices=("start", "stop", "status", "uri"),
        help="uri: print the full connection URI including user and password (a secret)",
    )
    db.set_defaults(func=_db)
    return parser


def _version() -> str:
    try:
        return version("newsmon")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _unreachable(prog: str, exc: Exception) -> str:
    from crawler.store.connection import redact_uri

    try:
        settings = load_settings()
    except SettingError:
        settings = None
    uri = settings.get("MONGO_URI") if settings is not None else None
    where = redact_uri(str(uri)) if uri else f"the embedded database of {data_dir(settings)}"
    timeout = option(settings, "NEWSMON_STORE_TIMEOUT_MS") / 1000
    return (
        f"{prog}: the database at {where} did not answer within {timeout:g} s (NEWSMON_STORE_TIMEOUT_MS); "
        "check MONGO_URI and that the server runs"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    prog = f"newsmon {args.command}"
    if args.debug:
        return int(args.func(args) or 0)
    from pymongo.errors import ConnectionFailure, PyMongoError

    from crawler.store.connection import redact_text

    try:
        return int(args.func(args) or 0)
    except SettingError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return USAGE
    except ConnectionFailure as exc:
        print(_unreachable(prog, exc), file=sys.stderr)
        return FAILED
    except PyMongoError as exc:
        message = redact_text(str(exc).split(", Timeout:")[0], os.environ.get("MONGO_URI"))[:300]
        print(f"{prog}: the database refused: {message} (--debug shows more)", file=sys.stderr)
        return FAILED
    except BrokenPipeError:  # `newsmon changes | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return 0
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"{prog}:{where}: {exc.strerror or exc} (--debug shows more)", file=sys.stderr)
        return FAILED


if __name__ == "__main__":
    sys.exit(main())
