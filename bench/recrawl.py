"""Incremental re-crawling, measured: what a re-crawl costs with the revisit policy and conditional requests (issue 6).

The local publisher site (`tests.support.localsite`, the real Merkur templates) with `--articles` articles and
conditional answers on (ETag / Last-Modified, `304`), crawled by the real `merkur` spider in a subprocess into
an embedded database. Three ways of re-crawling, each with its own database and data directory (HTTP cache,
render memory), all on the same site states:

- `due`: newsmon's revisit policy (`-a refresh=due`, what scheduled runs use) with conditional requests: known
  articles only when due or signalled (sitemap `lastmod`, feed date, teaser headline), listings, feeds and
  sitemaps revalidated through the HTTP cache;
- `linked`: newsmon's default for ad-hoc runs (`refresh=linked`): every linked article again, conditionally;
- `plain` (the peer, what a Scrapy re-crawl without newsmon's incremental crawling gets): every known page
  again in full (`-a refresh=all -s NEWSMON_CONDITIONAL=false`: no validators sent, no HTTP cache).

Phases: a first crawl; a re-crawl of the unchanged site; then `--edit-share` of the articles get an edit (a new
headline or a sentence added to the lead; the page, its ETag and its sitemap `lastmod` change, as on a real
site) and a third crawl. Bytes are counted on the site's sockets (status lines, headers and bodies out,
request lines and headers in), so a `304` costs what it really costs. Usage:

    .venv/bin/python bench/recrawl.py [--articles 200] [--edit-share 0.1] [--seed 6]
        [--json bench/results/recrawl.json] [--keep] [--arms due,linked,plain] [--autothrottle off|newsmon|scrapy]

`--autothrottle` (issue 16): crawl with the project's AutoThrottle (`newsmon`: it lowers its delay on `304`s,
crawler/runtime/extensions/throttle.py) or Scrapy's stock one (`scrapy`, the peer), instead of none (`off`,
the default, so
the byte and request figures do not depend on timing).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo.database import Database

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from bench.harness import machine, run_and_write, scratch_store  # noqa: E402
from tests.support.crawling import crawl_command  # noqa: E402
from tests.support.localsite import LocalSite  # noqa: E402
from tests.support.localsite.server import SiteHandler  # noqa: E402

SITE = "merkur.de"
ARTICLE = re.compile(r"-(\d{8})\.html$")
ARMS: dict[str, tuple[str, ...]] = {
    "due": ("-a", "refresh=due"),
    "linked": ("-a", "refresh=linked"),
    "plain": ("-a", "refresh=all", "-s", "NEWSMON_CONDITIONAL=false"),
}
FIRST = ("-a", "refresh=linked")
"""The first crawl is the same for every arm but `plain` (which never sends validators nor caches)."""
STATS = re.compile(r"'([a-z_/0-9]+)': (\d+)")


# -- bytes on the wire ---------------------------------------------------------------------------------------------
class Wire:
    """HTTP bytes the site sent and received, over every connection (the handler threads add to it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent = 0
        self.received = 0

    def add(self, sent: int = 0, received: int = 0) -> None:
        with self._lock:
            self.sent += sent
            self.received += received

    def take(self) -> tuple[int, int]:
        with self._lock:
            taken = (self.sent, self.received)
            self.sent = self.received = 0
            return taken


WIRE = Wire()


class _Counted:
    """A handler's rfile or wfile, counting what passes."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def write(self, data: bytes) -> Any:
        WIRE.add(sent=len(data))
        return self._raw.write(data)

    def readline(self, *args: Any) -> bytes:
        line = self._raw.readline(*args)
        WIRE.add(received=len(line))
        return line

    def read(self, *args: Any) -> bytes:
        data = self._raw.read(*args)
        WIRE.add(received=len(data))
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class CountingHandler(SiteHandler):
    def setup(self) -> None:
        super().setup()
        self.rfile = _Counted(self.rfile)  # type: ignore[assignment]  # duck-typed: readline/read/write
        self.wfile = _Counted(self.wfile)  # type: ignore[assignment]


# -- crawling ------------------------------------------------------------------------------------------------------
@dataclass
class Crawl:
    arm: str
    phase: str
    seconds: float
    requests: int
    statuses: dict[str, int]
    article_requests: int
    article_statuses: dict[str, int]
    bytes_sent: int
    """HTTP bytes the site sent (status lines, headers, bodies)."""
    bytes_received: int
    """HTTP bytes the site received (request lines and headers)."""
    body_bytes: int
    new_versions: int
    changes: int
    rendered: int
    suppressed: int
    """Changes the drift detector held back as layout drift (see docs/changes.md)."""
    health_alerts: list[str] = field(default_factory=list)
    revisit: dict[str, int] = field(default_factory=dict)

    @property
    def bytes(self) -> int:
        return self.bytes_sent + self.bytes_received


def throttle_args(mode: str) -> tuple[str, ...]:
    """Settings of an `--autothrottle` mode: off, the project's AutoThrottle, or Scrapy's stock one in its place."""
    if mode == "off":
        return ("-s", "AUTOTHROTTLE_ENABLED=False")
    if mode == "newsmon":
        return ()
    from crawler.config import load_settings

    extensions = dict(load_settings().getdict("EXTENSIONS"))
    extensions.update(
        {"crawler.runtime.extensions.throttle.AutoThrottle": None, "scrapy.extensions.throttle.AutoThrottle": 0}
    )
    return ("-s", f"EXTENSIONS={json.dumps(extensions)}")


def crawl(
    site: LocalSite, base_url: str, uri: str, db: Database, work: Path, arm: str, phase: str, throttle: str = "off"
) -> Crawl:
    """One `scrapy crawl merkur` of the local site in a subprocess, into `db`, with what it cost the site."""
    args = ARMS[arm] if phase != "first" or arm == "plain" else FIRST
    work.mkdir(parents=True, exist_ok=True)
    log = work / f"{phase}.log"
    command, env = crawl_command(base_url, uri, db.name, work / "data", log, *throttle_args(throttle), *args)
    versions, changes = db.article_versions.count_documents({}), db.changes.count_documents({})
    site.clear_requests()
    WIRE.take()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=PROJECT, timeout=1800, check=False)
    seconds = time.perf_counter() - started
    sent, received = WIRE.take()
    if done.returncode != 0:
        sys.exit(f"{arm} {phase} crawl failed ({done.returncode}):\n{log.read_text(encoding='utf-8')[-3000:]}")
    stats = {k: int(v) for k, v in STATS.findall(log.read_text(encoding="utf-8"))}
    records = [r for r in site.requests if not r.path.startswith("/_newsmon")]
    run = next(db.crawl_runs.find().sort("started_at", -1).limit(1))
    articles = [r for r in records if ARTICLE.search(r.path.split("?")[0])]
    return Crawl(
        arm=arm,
        phase=phase,
        seconds=round(seconds, 2),
        requests=len(records),
        statuses=_count(r.status for r in records),
        article_requests=len(articles),
        article_statuses=_count(r.status for r in articles),
        bytes_sent=sent,
        bytes_received=received,
        body_bytes=sum(r.bytes_sent for r in records),
        new_versions=db.article_versions.count_documents({}) - versions,
        changes=db.changes.count_documents({}) - changes,
        rendered=sum(v for k, v in stats.items() if k.startswith("newsmon/render/requests/")),
        suppressed=(run.get("counts") or {}).get("suppressed_changes", 0),
        health_alerts=[a.get("message", "") for a in run.get("health_alerts") or []],
        revisit={k.removeprefix("newsmon/revisit/"): v for k, v in stats.items() if k.startswith("newsmon/revisit/")},
    )


def _count(values: Any) -> dict[str, int]:
    return {str(k): v for k, v in sorted(Counter(values).items())}


# -- edits ---------------------------------------------------------------------------------------------------------
def edit(site: LocalSite, share: float, rng: random.Random) -> dict[int, str]:
    """Edit `share` of the articles, alternately the headline and the lead; {article id: field edited}."""
    chosen = rng.sample(site.articles, max(1, round(share * len(site.articles))))
    edited: dict[int, str] = {}
    for n, spec in enumerate(chosen):
        if n % 2 == 0:
            site.edit_article(spec.id, headline=f"{spec.headline} - neue Entwicklung am Abend")
            edited[spec.id] = "headline"
        else:
            site.edit_article(spec.id, lead=f"{spec.lead or ''} Update: Die Lage hat sich verschärft.".strip())
            edited[spec.id] = "lead"
    return edited


def found(db: Database, edited: dict[int, str], since: int) -> dict[str, Any]:
    """Edits the crawl found: the article has a new version and a change of the edited field after `since`; and
    the changes it raised on articles that were not edited (false positives)."""
    hits, missed = 0, []
    for article_id, name in edited.items():
        key = f"{SITE}:{article_id}"
        versioned = (db.articles.find_one({"_id": key}) or {}).get("version", 0) >= 2
        changed = db.changes.find_one({"article_id": key, "field": name, "seq": {"$gt": since}}) is not None
        if versioned and changed:
            hits += 1
        else:
            missed.append(key)
    keys = {f"{SITE}:{a}" for a in edited}
    others = [c["article_id"] for c in db.changes.find({"seq": {"$gt": since}}) if c["article_id"] not in keys]
    return {"edited": len(edited), "found": hits, "missed": missed, "changes_on_unedited": len(others)}


# -- report --------------------------------------------------------------------------------------------------------
def kb(n: int) -> str:
    return f"{n / 1024:,.1f} KiB"


def report(crawls: dict[str, dict[str, Crawl]], edits: dict[str, dict[str, Any]], articles: int) -> str:
    first = next(iter(crawls.values()))["first"]
    lines = [
        f"first crawl ({articles} articles, the same for every arm): {first.requests} requests, {kb(first.bytes)} "
        f"({kb(first.bytes_sent)} sent by the site), {first.seconds:.1f} s",
        "",
        "| arm | phase | requests | statuses | article requests | bytes | % of first | new versions | "
        "changes (suppressed) | edits found (changes on unedited) | rendered | s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for arm, phases in crawls.items():
        base = phases["first"].bytes
        for phase, c in phases.items():
            share = f"{100 * c.bytes / base:.1f}%" if phase != "first" else "100%"
            statuses = ", ".join(f"{k}: {v}" for k, v in c.statuses.items())
            article = ", ".join(f"{k}: {v}" for k, v in c.article_statuses.items()) or "-"
            hit = edits[arm] if phase == "edited" else None
            found_text = f"{hit['found']}/{hit['edited']} ({hit['changes_on_unedited']} others)" if hit else "-"
            lines.append(
                f"| {arm} | {phase} | {c.requests} | {statuses} | {c.article_requests} ({article}) | {kb(c.bytes)} | "
                f"{share} | {c.new_versions} | {c.changes} ({c.suppressed}) | {found_text} | {c.rendered} | "
                f"{c.seconds:.1f} |"
            )
    lines.append("")
    for arm, phases in crawls.items():
        again, first = phases["unchanged"].seconds, phases["first"].seconds
        lines.append(
            f"{arm}: unchanged re-crawl {again:.1f} s, first crawl {first:.1f} s "
            f"(goal: no longer than the first: {'met' if again <= first else 'NOT met'})"
        )
    if "due" in crawls:
        due = crawls["due"]["unchanged"]
        share = 100 * due.bytes / crawls["due"]["first"].bytes
        lines.append(
            f"goals (due): unchanged re-crawl <= 15% of the first crawl's bytes: {share:.1f}% "
            f"({'met' if share <= 15 else 'NOT met'}); no new version: {due.new_versions}; no change: {due.changes}; "
            f"every edit found: {edits['due']['found']}/{edits['due']['edited']}"
        )
    lines += [
        "health alerts: "
        + (
            "; ".join(
                f"{c.arm} {c.phase}: {m}"
                for phases in crawls.values()
                for c in phases.values()
                for m in c.health_alerts
            )
            or "none"
        ),
    ]
    if "due" in crawls:
        lines += [
            "revisit stats (due, unchanged): "
            + ", ".join(f"{k} {v}" for k, v in sorted(crawls["due"]["unchanged"].revisit.items())),
            "revisit stats (due, edited): "
            + ", ".join(f"{k} {v}" for k, v in sorted(crawls["due"]["edited"].revisit.items())),
        ]
    return "\n".join(lines)


# -- main ----------------------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(f"incremental:{args.seed}")
    site = LocalSite(n_articles=args.articles, seed=args.seed)
    site.conditional = True
    arms = [arm for arm in args.arms.split(",") if arm in ARMS]
    crawls: dict[str, dict[str, Crawl]] = {arm: {} for arm in arms}
    edits: dict[str, dict[str, Any]] = {}
    edited: dict[int, str] = {}
    load = os.getloadavg()[0]
    with scratch_store("newsmon-incremental-", args.keep) as (work, server, client), site.serve(port=0) as base_url:
        site._server.RequestHandlerClass = CountingHandler  # count the bytes on the sockets
        for phase in ("first", "unchanged", "edited"):
            if phase == "edited":
                edited = edit(site, args.edit_share, rng)
            for arm in arms:
                db = client[f"newsmon_incremental_{arm}"]
                since = max((c["seq"] for c in db.changes.find({}, {"seq": 1})), default=0)
                crawls[arm][phase] = crawl(site, base_url, server.uri, db, work / arm, arm, phase, args.autothrottle)
                if phase == "first" and db.articles.count_documents({}) != args.articles:
                    sys.exit(f"{arm}: the first crawl stored {db.articles.count_documents({})} articles")
                if phase == "edited":
                    edits[arm] = found(db, edited, since)
    text = report(crawls, edits, args.articles)
    print(text)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_at_start": round(load, 2),
        "args": vars(args),
        "arms": {arm: " ".join(a) for arm, a in ARMS.items()},
        "crawls": {
            arm: {p: {**asdict(c), "bytes": c.bytes} for p, c in phases.items()} for arm, phases in crawls.items()
        },
        "edits": edits,
        "autothrottle": args.autothrottle,
        "unchanged_bytes_share": {
            arm: round(phases["unchanged"].bytes / phases["first"].bytes, 4) for arm, phases in crawls.items()
        },
        "table": text,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--edit-share", type=float, default=0.1, help="share of articles edited before the last crawl")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--json", type=Path, default=PROJECT / "bench" / "results" / "recrawl.json")
    parser.add_argument("--keep", action="store_true", help="keep the database and crawl logs")
    parser.add_argument("--arms", default=",".join(ARMS), help=f"comma-separated, of {', '.join(ARMS)}")
    parser.add_argument("--autothrottle", choices=("off", "newsmon", "scrapy"), default="off")
    args = parser.parse_args(argv)
    out = run_and_write(run, args)
    print(f"\n{out['seconds']} s; JSON: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
