"""Command line for the local publisher site: `serve` it, and change a running one like a publisher would.

    python -m tests.support.localsite serve --port 8800 --articles 40 --seed 1
    python -m tests.support.localsite edit --id 91245736 --headline "Neue Schlagzeile"
    python -m tests.support.localsite fault --path '\\.html$' --kind slow --delay 3 --count 5

Control subcommands talk to the running server's /_newsmon/ API (127.0.0.1 only); `--base-url` defaults to
$NEWSMON_LOCALSITE_URL or http://127.0.0.1:8800.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8800"


def _serve(args: argparse.Namespace) -> int:
    from tests.support.localsite.site import LocalSite

    now = None
    if args.now == "now":
        now = datetime.now(UTC).replace(second=0, microsecond=0)
    elif args.now:
        now = datetime.fromisoformat(args.now)
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
    site = LocalSite(
        n_articles=args.articles, seed=args.seed, fixtures_dir=args.fixtures_dir, now=now, absent=args.absent or ()
    )
    site.conditional = args.conditional
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        base_url = site.start(port=args.port, host=args.host)
    except OSError as exc:
        raise SystemExit(f"error: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from None
    if args.warm:
        site.warm()
    print(base_url, flush=True)
    print(
        f"{len(site.articles)} articles (seed {args.seed}); seed article {base_url}"
        f"{site.article(site.seed_article_id).path}; Ctrl-C to stop",
        file=sys.stderr,
        flush=True,
    )
    try:
        stop.wait()
    finally:
        site.stop()
    return 0


def _call(base_url: str, method: str, action: str, payload: dict[str, Any] | None = None) -> Any:
    data = json.dumps(payload or {}).encode() if method == "POST" else None
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}/_newsmon/{action}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}").get("error", exc.reason)
        raise SystemExit(f"error: {detail}") from None
    except urllib.error.URLError as exc:
        raise SystemExit(f"error: no local site at {base_url} ({exc.reason}); start one with `serve`") from None


def _body(args: argparse.Namespace) -> list[Any] | None:
    """Body blocks from --paragraph/--crosshead (in order given) or --body-file (blank-line separated,
    `## ` marks a crosshead)."""
    if args.body_file:
        parts = [p.strip() for p in Path(args.body_file).read_text(encoding="utf-8").split("\n\n") if p.strip()]
        return [["crosshead", p[3:].strip()] if p.startswith("## ") else " ".join(p.split()) for p in parts]
    return list(args.blocks) if args.blocks else None


def _fields(args: argparse.Namespace) -> dict[str, Any]:
    fields = {
        name: getattr(args, name)
        for name in ("headline", "kicker", "lead", "teaser_headline", "seo_title", "section")
        if getattr(args, name, None) is not None
    }
    if fields.get("kicker") == "":
        fields["kicker"] = None
    if getattr(args, "authors", None) is not None:
        fields["authors"] = [a.strip() for a in args.authors.split(",") if a.strip()]
    body = _body(args)
    if body is not None:
        fields["body"] = body
    return fields


def _print_article(article: dict[str, Any]) -> None:
    print(f"{article['id']}  v{article['version']}  {article.get('url') or article['path']}")
    print(f"  {article['kicker'] or '-'} | {article['headline']}")


def _edit(args: argparse.Namespace) -> int:
    fields = _fields(args)
    if not fields:
        raise SystemExit("error: nothing to change (give --headline, --kicker, --lead, --paragraph, ...)")
    _print_article(_call(args.base_url, "POST", "edit", {"id": args.id, **fields}))
    return 0


def _add(args: argparse.Namespace) -> int:
    _print_article(_call(args.base_url, "POST", "add", _fields(args)))
    return 0


def _remove(args: argparse.Namespace) -> int:
    article = _call(args.base_url, "POST", "remove", {"id": args.id, "gone": args.status == 410})
    print(f"{article['id']} removed: {article['path']} now answers {args.status}")
    return 0


def _move(args: argparse.Namespace) -> int:
    article = _call(args.base_url, "POST", "move", {"id": args.id, "slug": args.slug, "section": args.section})
    print(f"{article['id']} moved: {article['old_paths'][-1]} -> 301 -> {article['path']}")
    return 0


def _fault(args: argparse.Namespace) -> int:
    params = {
        k: v
        for k, v in vars(args).items()
        if k in ("delay", "fraction", "bytes", "declared", "actual", "chunk", "interval", "size", "mode")
    }
    payload = {"path": args.path, "kind": args.kind, "count": args.count}
    payload.update({k: v for k, v in params.items() if v is not None})
    fault = _call(args.base_url, "POST", "fault", payload)
    print(f"fault {fault['kind']} on {fault['pattern']!r} {fault['params']} count={fault['count']}")
    return 0


def _clear_faults(args: argparse.Namespace) -> int:
    _call(args.base_url, "POST", "clear-faults")
    print("faults cleared")
    return 0


def _list(args: argparse.Namespace) -> int:
    articles = _call(args.base_url, "GET", "articles")
    if args.json:
        print(json.dumps(articles, ensure_ascii=False, indent=1))
        return 0
    for article in articles:
        print(f"{article['id']}  {article['published'][:16]}  v{article['version']}  {article['path']}")
        print(f"          {article['kicker'] or '-'} | {article['headline']}")
    return 0


def _conditional(args: argparse.Namespace) -> int:
    state = _call(args.base_url, "POST", "conditional", {"enabled": args.state == "on"})
    print(f"conditional requests {'on' if state['conditional'] else 'off'}")
    return 0


def _requests(args: argparse.Namespace) -> int:
    for record in _call(args.base_url, "GET", "requests")[-args.last :]:
        fault = f"  [{record['fault']}]" if record["fault"] else ""
        print(f"{record['status']} {record['method']:4} {record['bytes_sent']:>8}  {record['path']}{fault}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.localsite", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="serve the site until SIGINT/SIGTERM; prints the base URL")
    serve.add_argument("--port", type=int, default=8800, help="port on 127.0.0.1 (0: a free one; default 8800)")
    serve.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    serve.add_argument("--articles", type=int, default=40, help="number of articles (default 40)")
    serve.add_argument("--seed", type=int, default=1, help="seed of the generated site (default 1)")
    serve.add_argument("--fixtures-dir", help="real fixtures (default $NEWSMON_FIXTURES_DIR or ../shared/fixtures)")
    serve.add_argument("--now", help="the site's clock: ISO datetime or 'now' (default a fixed date)")
    serve.add_argument("--conditional", action="store_true", help="send ETag/Last-Modified, answer 304")
    serve.add_argument(
        "--absent",
        action="append",
        metavar="PATH",
        help="a section (`bayern`: page and feed) or feed path (`/sport/rssfeed.rdf`) that answers 404; repeatable",
    )
    serve.add_argument("--warm", action="store_true", help="render every page before serving")
    serve.set_defaults(run=_serve)

    def control(name: str, help_text: str, run: Any) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument(
            "--base-url",
            default=os.environ.get("NEWSMON_LOCALSITE_URL", DEFAULT_URL),
            help="the running site (default $NEWSMON_LOCALSITE_URL or %(default)s)",
        )
        command.set_defaults(run=run)
        return command

    def content(command: argparse.ArgumentParser) -> None:
        command.add_argument("--headline", help="new h1 (SEO/teaser titles that equalled it follow)")
        command.add_argument("--kicker", help="new kicker ('' removes it)")
        command.add_argument("--lead", help="new lead paragraph")
        command.add_argument("--teaser-headline", help="headline on homepage/section teasers")
        command.add_argument("--seo-title", help="<title>, JSON-LD and share headline")
        command.add_argument("--authors", help="comma-separated author names")
        command.add_argument(
            "--paragraph", dest="blocks", action="append", help="a body paragraph (repeat; replaces the body)"
        )
        command.add_argument(
            "--crosshead",
            dest="blocks",
            action="append",
            type=lambda text: ["crosshead", text],
            help="a crosshead between paragraphs (repeat, in order with --paragraph)",
        )
        command.add_argument("--body-file", help="body text file: blank-line separated, '## ' starts a crosshead")

    edit = control("edit", "change an article's fields (bumps its modified date, version and ETag)", _edit)
    edit.add_argument("--id", type=int, required=True, help="article id (the 8 digits in its URL)")
    content(edit)

    add = control("add", "publish a new article now (missing fields come from the fixtures)", _add)
    content(add)
    add.add_argument("--section", help="politik, welt, bayern, wirtschaft, sport or lokales")

    remove = control("remove", "unpublish an article: its URL answers 410 (or 404)", _remove)
    remove.add_argument("--id", type=int, required=True)
    remove.add_argument("--status", type=int, choices=(410, 404), default=410, help="answer (default 410)")

    move = control("move", "give an article a new slug/section; the old URL answers 301", _move)
    move.add_argument("--id", type=int, required=True)
    move.add_argument("--slug", required=True, help="new URL slug (lower case, hyphens)")
    move.add_argument("--section", help="new section (default: unchanged)")

    fault = control("fault", "misbehave on matching paths (until clear-faults)", _fault)
    fault.add_argument("--path", required=True, help="regex searched in the request path (without query)")
    fault.add_argument(
        "--kind",
        required=True,
        help="404, 410, 500 (any 4xx/5xx), slow, truncate, wrong_charset, unknown_charset, drip, huge, empty, "
        "redirect_loop, malformed_html or malformed_jsonld",
    )
    fault.add_argument("--count", type=int, help="only the first N matching requests (default: all)")
    fault.add_argument("--delay", type=float, help="slow: seconds before answering (default 2)")
    fault.add_argument("--fraction", type=float, help="truncate: share of the body sent (default 0.5)")
    fault.add_argument("--bytes", type=int, help="truncate: body bytes sent instead of a fraction")
    fault.add_argument("--declared", help="wrong_charset/unknown_charset: charset named in Content-Type")
    fault.add_argument("--actual", help="wrong_charset: encoding of the bytes (default utf-8)")
    fault.add_argument("--chunk", type=int, help="drip: bytes per write (default 4096)")
    fault.add_argument("--interval", type=float, help="drip: seconds between writes (default 0.05)")
    fault.add_argument("--size", type=int, help="huge: page size in bytes (default 20 MiB)")
    fault.add_argument("--mode", choices=("chain", "self"), help="redirect_loop: new ?loop=N each time, or to itself")

    control("clear-faults", "remove every fault", _clear_faults)
    listing = control("list", "the published articles, newest first", _list)
    listing.add_argument("--json", action="store_true", help="full records as JSON")
    conditional = control("conditional", "switch ETag/Last-Modified and 304 answers on or off", _conditional)
    conditional.add_argument("state", choices=("on", "off"))
    requests = control("requests", "the last requests the site answered", _requests)
    requests.add_argument("--last", type=int, default=50, help="how many (default 50)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except BrokenPipeError:  # `list | head`: the reader left, which is fine
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaces stdout for the rest of the process
        return 0


if __name__ == "__main__":
    sys.exit(main())
