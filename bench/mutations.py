"""Change detection, measured: precision and recall of the change detector per edit class and field (issue 5).

A mutation benchmark on the local publisher site (`tests.support.localsite`, the real Merkur templates), crawled by the
real `merkur` spider in a subprocess into an embedded database, every article page on every crawl:

1. baseline crawl (a first observation: it must flag nothing), then an unchanged re-crawl: nothing either;
2. most articles get one edit of a known kind, drawn at random with a fixed seed (kicker change, headline
   rewrite, headline typo fix, lead or body rewording, body addition or removal, number update, correction
   notice, body typo fix, author change, teaser headline change), each with its ground truth (field family,
   edit class); typo fixes are published with the typo before the baseline crawl and fixed now (the edits, the
   noise and the scoring: `tests/support/mutations.py`);
3. about half of the articles, edited or not, get noise that is no edit: typography, double/no-break spaces
   and soft hyphens, relative times inserted ("vor 5 Minuten") or ticking on ("vor 3" → "vor 27 Minuten",
   update stamps, view counters, reading times), tracking parameters on the image URL, a paragraph split in
   two or two joined;
4. the edit crawl, scored against the ground truth (`score`), then one more unchanged re-crawl: nothing again.

Editorial changes (`editorial` True) are scored apart from metadata: every edit on the local site moves the
page's modified date, so `modified` is expected on every changed article and scored on its own line.

Usage:
    .venv/bin/python bench/mutations.py [--articles 600] [--seed 1] [--edit-share 0.85] [--noise-share 0.5]
        [--json bench/results/mutations.json] [--keep]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
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
from tests.support.mutations import (  # noqa: E402
    MUTATIONS,
    Plan,
    Score,
    Tally,
    add_teaser_truth,
    apply_edits,
    apply_setup,
    make_plans,
    score,
)


# -- crawling ------------------------------------------------------------------------------------------------------
@dataclass
class Crawl:
    run_id: str
    seconds: float
    counts: dict[str, Any]
    health_alerts: list[dict[str, Any]]


def crawl(base_url: str, uri: str, db: Database, work: Path, articles: int) -> Crawl:
    """One `scrapy crawl merkur` of the local site in a subprocess, into `db`; the run it recorded.

    The crawl must read all `articles` pages (the spider reaches them through feeds and sitemaps), else the
    benchmark stops: an article not fetched would count as a missed edit."""
    runs = {d["_id"] for d in db.crawl_runs.find({}, {"_id": 1})}
    log = work / f"crawl-{len(runs) + 1}.log"
    # refresh=linked without validators: every article page, every crawl
    command, env = crawl_command(base_url, uri, db.name, work / "data", log, "-s", "NEWSMON_CONDITIONAL=false")
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=PROJECT, timeout=900, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"crawl failed ({done.returncode}):\n{log.read_text(encoding='utf-8')[-3000:]}")
    (run,) = [d for d in db.crawl_runs.find() if d["_id"] not in runs]
    counts = run.get("counts") or {}
    if counts.get("articles") != articles:
        sys.exit(f"crawl {run['_id']} read {counts.get('articles')} of {articles} articles (log: {log})")
    return Crawl(run["_id"], seconds, counts, run.get("health_alerts") or [])


# -- report --------------------------------------------------------------------------------------------------------
def fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def table(title: str, rows: Iterable[tuple[str, Tally]], extra: dict[str, int] | None = None) -> str:
    head = f"| {title} | " + ("injected | " if extra is not None else "") + "TP | FP | FN | precision | recall |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name, t in rows:
        injected = f"{extra.get(name, 0)} | " if extra is not None else ""
        lines.append(f"| {name} | {injected}{t.tp} | {t.fp} | {t.fn} | {fmt(t.precision)} | {fmt(t.recall)} |")
    return "\n".join(lines)


def report(plans: list[Plan], result: Score, crawls: dict[str, Crawl], unchanged: dict[str, int]) -> str:
    injected = Counter(p.kind for p in plans)
    kinds = [*MUTATIONS, "noise only", "untouched"]
    noise = Counter(n for p in plans for n in p.applied_noise)
    parts = [
        table("injected edit", ((k, result.by_kind.get(k, Tally())) for k in kinds), dict(injected)),
        table("edit class", sorted(result.by_class.items())),
        table("field", sorted(result.by_field.items())),
        table(
            "summary",
            [
                ("all editorial changes", result.overall),
                ("headline + kicker (page)", result.headline_kicker),
                ("metadata (`modified` expected)", result.metadata),
            ],
        ),
        "| noise edit | articles | false positives on them |\n|---|---|---|\n"
        + "\n".join(f"| {k} | {v} | {result.fp_by_noise.get(k, 0)} |" for k, v in sorted(noise.items())),
        "changes on unchanged re-crawls: " + ", ".join(f"{k}: {v}" for k, v in unchanged.items()),
        f"extra body passages (same article, field and class, not scored): {result.extra_passages}",
        "health alerts (drift): "
        + ("; ".join(f"{name}: {a['message']}" for name, c in crawls.items() for a in c.health_alerts) or "none"),
        "crawls: "
        + ", ".join(
            f"{name} {c.seconds:.1f} s ({c.counts.get('articles', 0)} articles, {c.counts.get('changes', 0)} changes, "
            f"{c.counts.get('suppressed_changes', 0)} suppressed, {len(c.health_alerts)} health alerts)"
            for name, c in crawls.items()
        ),
    ]
    return "\n\n".join(parts)


# -- main ----------------------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(f"mutations:{args.seed}")
    site = LocalSite(n_articles=args.articles, seed=args.seed)
    plans = make_plans(site, rng, args.edit_share, args.noise_share)
    prepared = apply_setup(site, plans)
    crawls: dict[str, Crawl] = {}
    with scratch_store("newsmon-mutations-", args.keep) as (work, server, client):
        db = client["newsmon_mutations"]
        with site.serve(port=0) as base_url:
            crawls["baseline"] = crawl(base_url, server.uri, db, work, len(plans))
            baseline_changes = db.changes.count_documents({})
            stored = db.articles.count_documents({})
            if stored != len(plans):
                sys.exit(f"the baseline crawl stored {stored} of {len(plans)} articles")
            versions = db.article_versions.count_documents({})
            crawls["unchanged"] = crawl(base_url, server.uri, db, work, len(plans))
            new_versions = db.article_versions.count_documents({}) - versions
            teasers_before = {d["_id"]: d for d in db.teasers.find({}, {"runs": 1})}
            old = {p.article: site.article(p.article) for p in plans}
            apply_edits(site, plans, rng)
            crawls["edited"] = crawl(base_url, server.uri, db, work, len(plans))
            teasers_after = {d["_id"]: d for d in db.teasers.find({}, {"runs": 1})}
            crawls["unchanged after edits"] = crawl(base_url, server.uri, db, work, len(plans))
        differs = db.teasers.count_documents({"headline_vs_article": {"$type": "object"}})
        add_teaser_truth(plans, teasers_before, teasers_after, old, site)
        by_run: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        for change in db.changes.find({}, {"_id": 0, "detected_at": 0}):
            by_run[change.get("run_id")].append(change)
        unchanged = {"first crawl": baseline_changes}
        unchanged.update({name: len(by_run[crawls[name].run_id]) for name in ("unchanged", "unchanged after edits")})
        unchanged["new versions on the unchanged re-crawl"] = new_versions
        unchanged["teasers whose headline differs from the article's (teaser facts, not changes)"] = differs
        result = score(plans, by_run[crawls["edited"].run_id])
    text = report(plans, result, crawls, unchanged)
    print(text)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "args": vars(args),
        "articles": len(plans),
        "prepared_before_baseline": prepared,
        "injected": dict(Counter(p.kind for p in plans)),
        "crawls": {
            k: {
                "run_id": c.run_id,
                "seconds": round(c.seconds, 2),
                "counts": c.counts,
                "health_alerts": c.health_alerts,
            }
            for k, c in crawls.items()
        },
        "unchanged_recrawl_changes": unchanged,
        "by_kind": {k: t.to_dict() for k, t in result.by_kind.items()},
        "by_class": {k: t.to_dict() for k, t in result.by_class.items()},
        "by_field": {k: t.to_dict() for k, t in result.by_field.items()},
        "overall": result.overall.to_dict(),
        "headline_kicker": result.headline_kicker.to_dict(),
        "metadata": result.metadata.to_dict(),
        "extra_passages": result.extra_passages,
        "fp_by_noise": result.fp_by_noise,
        "misses": result.misses,
        "false_positives": result.false_positives,
        "table": text,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--edit-share", type=float, default=0.85, help="share of articles given one edit")
    parser.add_argument("--noise-share", type=float, default=0.5, help="share of articles given noise edits")
    parser.add_argument("--json", type=Path, default=PROJECT / "bench" / "results" / "mutations.json")
    parser.add_argument("--keep", action="store_true", help="keep the database and crawl logs")
    args = parser.parse_args(argv)
    out = run_and_write(run, args)
    if out["misses"] or out["false_positives"]:
        print("\nmisses:", *(json.dumps(m, ensure_ascii=False) for m in out["misses"][:20]), sep="\n")
        print("\nfalse positives:", *(json.dumps(m, ensure_ascii=False) for m in out["false_positives"][:20]), sep="\n")
    print(f"\n{out['seconds']} s; JSON: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
