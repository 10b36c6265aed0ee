"""The fault suite: crawls of the local site under injected faults, each counted as injected, survived, lost and
duplicated, and the consistency of what the store holds afterwards.

Shared by the quick tests (`tests/test_faults_*.py`, which run these scenarios small) and the long runs of
`bench/faults.py` (docs/reliability.md). Scenarios (each returning a `FaultReport`):
- `db_outage`: the database stops in the middle of a crawl and comes back (a TCP proxy cut, a SIGTERM and a
  SIGKILL of the embedded server restarted on the same data dir and port);
- `crawler_kills`: the crawler is SIGKILLed at random moments, the site edited between trials; a follow-up crawl;
- `concurrent_crawls`: N crawls of one site at once, after edits;
- `misbehaving_site`: 5xx bursts, timeouts, slow drip, truncated bodies, charsets, a 20 MiB page, redirect loops,
  malformed HTML and JSON-LD, an empty 200;
- `fuzz_extractors` (mutated real pages): max time per page per extractor.

"Lost" is an article of the site that is not stored with its current content after the scenario (and its
follow-up run); "duplicated" is anything stored twice: two versions of an article with the same content in a
row, two changes of the same edit, a `seq` used twice, a teaser counted for more runs than ran.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import re
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.database import Database

from tests.support.crawling import PROJECT, crawl
from tests.support.localsite import LocalSite


# -- the ledger ----------------------------------------------------------------------------------------------------
@dataclass
class FaultReport:
    """What one scenario did: faults injected, survived (the crawl and the data came through), items lost and
    duplicated, and anything else the audit found inconsistent (`problems`, which must stay empty)."""

    scenario: str
    injected: int = 0
    survived: int = 0
    lost: int = 0
    duplicated: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        return (
            f"{self.scenario}: injected {self.injected}, survived {self.survived}, lost {self.lost}, "
            f"duplicated {self.duplicated} ({self.seconds:.1f}s)"
            + (f"; problems: {self.problems}" if self.problems else "")
        )

    def check(self) -> None:
        """The guarantee: nothing lost, nothing duplicated, nothing inconsistent, every fault survived."""
        print(self.line())
        assert (self.lost, self.duplicated, self.problems) == (0, 0, []), self.line()
        assert self.survived == self.injected, self.line()


@dataclass
class Audit:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def audit(db: Database, site: LocalSite, *, runs: int | None = None, skip: set[str] = frozenset()) -> Audit:
    """Compare the store with the site: every article stored with its current headline, versions dense and
    distinct in a row, changes once per edit with unique seq, teasers counted at most once per run.

    `skip`: article ids that are meant not to be stored (pages the scenario broke on purpose).
    `runs`: crawls that saw every listing (a teaser's `runs` may not exceed it).
    """
    result = Audit()
    expected = {f"merkur.de:{a.id}": a for a in site.articles}
    stored = {d["_id"]: d for d in db.articles.find({}, {"headline": 1, "version": 1, "content_hash": 1})}
    for aid, spec in expected.items():
        if aid in skip:
            continue
        doc = stored.get(aid)
        if doc is None:
            result.lost.append(f"{aid} not stored")
        elif doc.get("headline") != spec.headline:
            result.lost.append(f"{aid} stored as {doc.get('headline')!r}, site has {spec.headline!r}")
    for aid in set(stored) - set(expected):
        result.problems.append(f"{aid} stored but not on the site")
    for doc in db.articles.find({"$or": [{"headline": {"$regex": "Ã"}}, {"lead": {"$regex": "Ã"}}]}, {"_id": 1}):
        result.problems.append(f"{doc['_id']} stored with mojibake (UTF-8 read as Latin-1)")

    versions: dict[str, list[dict[str, Any]]] = {}
    for v in db.article_versions.find({}, {"article_id": 1, "version": 1, "content_hash": 1}):
        versions.setdefault(v["article_id"], []).append(v)
    for aid, found in versions.items():
        found.sort(key=lambda v: v["version"])
        numbers = [v["version"] for v in found]
        if numbers != list(range(1, len(numbers) + 1)):
            result.problems.append(f"{aid} versions not dense: {numbers}")
        for a, b in itertools.pairwise(found):
            if a["content_hash"] == b["content_hash"]:
                result.duplicated.append(f"{aid} v{a['version']} and v{b['version']} hold the same content")
        doc = stored.get(aid)
        if doc is not None and doc.get("version") != numbers[-1]:
            result.problems.append(f"{aid} is at version {doc.get('version')}, its last version is {numbers[-1]}")
        if doc is not None and doc.get("content_hash") != found[-1]["content_hash"]:
            result.problems.append(f"{aid} content differs from its last version")
    for aid in set(stored) - set(versions):
        result.problems.append(f"{aid} has no version")

    changes = list(db.changes.find({}, {"seq": 1, "article_id": 1, "version_from": 1, "version_to": 1, "field": 1}))
    seqs = Counter(c.get("seq") for c in changes)
    result.duplicated += [f"seq {s} used {n} times" for s, n in seqs.items() if n > 1]
    if None in seqs:
        result.problems.append(f"{seqs[None]} change(s) without seq")
    edits = Counter(
        (c.get("article_id"), c.get("version_from"), c.get("version_to"), c.get("field"))
        for c in changes
        if c.get("version_to") is not None
    )
    result.duplicated += [f"change {key} stored {n} times" for key, n in edits.items() if n > 1]
    committed = (db.counters.find_one({"_id": "changes"}) or {}).get("committed", 0)
    if changes and max(s for s in seqs if s is not None) > committed:
        result.problems.append(f"a change above the committed mark {committed}")

    if runs is not None:
        for teaser in db.teasers.find({"runs": {"$gt": runs}}, {"runs": 1}):
            result.duplicated.append(f"teaser {teaser['_id']} counted for {teaser['runs']} runs of {runs}")
    return result


def report_from(scenario: str, found: Audit, injected: int, survived: int, started: float, **details: Any):
    return FaultReport(
        scenario,
        injected=injected,
        survived=survived,
        lost=len(found.lost),
        duplicated=len(found.duplicated),
        seconds=time.monotonic() - started,
        problems=found.problems + found.lost[:5] + found.duplicated[:5],
        details=details,
    )


# -- helpers ---------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float = 60.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def article_requests(site: LocalSite) -> int:
    return sum(1 for r in site.requests if r.path.endswith(".html") and r.status == 200 and "/intern/" not in r.path)


# -- scenario: the site misbehaves -------------------------------------------------------------------------------
MISBEHAVIOURS: list[tuple[str, dict[str, Any], str]] = [
    # (kind, params, expected outcome: "stored" (after retries or despite the fault) or "reject:<reason prefix>")
    ("503", {"count": 2}, "stored"),
    ("500", {}, "reject:http 500"),
    ("502", {"count": 1}, "stored"),
    ("slow", {"delay": 4.0, "count": 1}, "stored"),
    ("slow", {"delay": 4.0}, "reject:fetch: DownloadTimeoutError"),
    ("drip", {"chunk": 8192, "interval": 0.05}, "stored"),
    ("drip", {"chunk": 2048, "interval": 0.5}, "reject:fetch: DownloadTimeoutError"),
    ("truncate", {"count": 1}, "stored"),
    ("truncate", {"fraction": 0.3}, "reject:fetch: ResponseDataLossError"),
    ("wrong_charset", {}, "stored"),
    ("unknown_charset", {}, "stored"),  # the bytes are UTF-8 and the page's meta says so
    ("huge", {}, "reject:fetch: DownloadCancelledError"),  # Content-Length above DOWNLOAD_MAXSIZE: not fetched
    ("huge", {"announce": False}, "reject:fetch: DownloadCancelledError"),  # cut at DOWNLOAD_MAXSIZE
    ("redirect_loop", {}, "reject:fetch: IgnoreRequest"),  # REDIRECT_MAX_TIMES
    ("redirect_loop", {"mode": "self"}, "reject:fetch: RedirectLoop"),
    ("malformed_html", {}, "reject:extraction: empty body"),  # no closing tag at all: the story's structure is gone
    ("malformed_jsonld", {}, "stored"),
    ("empty", {}, "reject:extraction: empty page"),
]
"""One fault per article page; the limits the crawl runs under are `MISBEHAVING_SETTINGS`."""

MISBEHAVING_SETTINGS = ("DOWNLOAD_TIMEOUT=3", "RETRY_TIMES=2")
LISTING_FAULTS: list[tuple[str, str, dict[str, Any]]] = [
    ("^/politik/$", "503", {"count": 2}),  # a burst on a section page: retried, its teasers still come in
    ("^/news.xml$", "truncate", {"count": 1}),
    ("^/rssfeed.rdf$", "empty", {"count": 1}),
]


def misbehaving_site(mongo_uri: str, db: Database, tmp_path: Path, *, articles: int = 24, seed: int = 7) -> FaultReport:
    """Each article page gets one fault of `MISBEHAVIOURS`; every other page is good and must be stored.

    A bad page must end as a reject with the expected reason, or be stored when a retry (or the extractor's
    tolerance) cures it; the crawl must finish within its time limit."""
    started = time.monotonic()
    site = LocalSite(n_articles=articles, seed=seed)
    assert articles >= len(MISBEHAVIOURS) + 4, "the site needs good pages beside the bad ones"
    victims = site.articles[2 : 2 + len(MISBEHAVIOURS)]
    expected: dict[str, tuple[str, str]] = {}
    for spec, (kind, params, outcome) in zip(victims, MISBEHAVIOURS, strict=True):
        params = dict(params)
        count = params.pop("count", None)
        site.set_fault(rf"-{spec.id}\.html$", kind, count=count, **params)
        expected[f"merkur.de:{spec.id}"] = (f"{kind} {params or ''}{' x' + str(count) if count else ''}", outcome)
    for pattern, kind, params in LISTING_FAULTS:
        params = dict(params)
        site.set_fault(pattern, kind, count=params.pop("count", None), **params)
    with site.serve(port=0) as base_url:
        settings = [a for s in MISBEHAVING_SETTINGS for a in ("-s", s)]
        began = time.monotonic()
        crawl(base_url, mongo_uri, db, tmp_path, *settings)
        crawl_seconds = time.monotonic() - began
    rejects = {}
    for r in db.rejects.find({}, {"url": 1, "reason": 1}):
        rejects.setdefault(r["url"].split("?")[0].rsplit("-", 1)[-1].removesuffix(".html"), []).append(r["reason"])
    stored = {d["_id"] for d in db.articles.find({}, {"_id": 1})}
    outcomes: dict[str, str] = {}
    survived = 0
    problems = []
    for aid, (fault, outcome) in expected.items():
        number = aid.split(":")[1]
        got = "stored" if aid in stored else "reject:" + "; ".join(rejects.get(number, ["none"]))
        outcomes[fault] = got
        ok = got == "stored" if outcome == "stored" else got.startswith(outcome) and aid not in stored
        survived += ok
        if not ok:
            problems.append(f"{fault}: expected {outcome}, got {got}")
    found = audit(db, site, skip={aid for aid, (_, outcome) in expected.items() if outcome != "stored"})
    found.problems += problems
    if crawl_seconds > 120:
        found.problems.append(f"the crawl took {crawl_seconds:.0f}s")
    listing_ok = all(db.teasers.count_documents({"placements": {"$exists": True}}) > 0 for _ in LISTING_FAULTS)
    return report_from(
        "misbehaving site",
        found,
        injected=len(expected) + len(LISTING_FAULTS),
        survived=survived + (len(LISTING_FAULTS) if listing_ok else 0),
        started=started,
        outcomes=outcomes,
        crawl_seconds=round(crawl_seconds, 1),
    )


# -- scenario: the database goes away -------------------------------------------------------------------------
class CuttableProxy:
    """A TCP proxy in front of the database that can drop every connection and refuse new ones, then heal.

    It stands for a network partition or a database restart the crawler cannot tell from one, and works the
    same in front of a real MongoDB."""

    def __init__(self, target_uri: str) -> None:
        from pymongo.uri_parser import parse_uri

        self.target_uri = target_uri
        self.target_port = int(parse_uri(target_uri)["nodelist"][0][1])
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def uri(self) -> str:
        """The target's URI (credentials and options kept) pointing at the proxy."""
        return self.target_uri.replace(f"127.0.0.1:{self.target_port}", f"127.0.0.1:{self.port}", 1)

    def cut(self) -> None:
        with self._lock:
            self.up = False
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def heal(self) -> None:
        with self._lock:
            self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                if not self.up:
                    client.close()
                    continue
                try:
                    server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                except OSError:
                    client.close()
                    continue
                server.settimeout(None)
                self._open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


OUTAGE_ENV = {
    "NEWSMON_STORE_RETRIES": "2",
    "NEWSMON_STORE_RETRY_BACKOFF": "0.2",
    "NEWSMON_STORE_TIMEOUT_MS": "500",
    "NEWSMON_STORE_BATCH_SIZE": "5",
}
"""Fail fast into the spool, so that an outage of a few seconds spools batches."""


@contextlib.contextmanager
def env(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def db_outage(
    mongo_uri: str,
    db: Database,
    tmp_path: Path,
    *,
    how: str = "proxy",
    articles: int = 30,
    seed: int = 11,
    down_seconds: float = 3.0,
) -> FaultReport:
    """The database goes away while the crawl runs and comes back `down_seconds` later.

    `how`: "proxy" (every connection cut and refused, in front of `mongo_uri`), "sigterm" or "sigkill" (a real
    embedded server of its own, stopped and restarted on the same data dir and port; `mongo_uri` is unused).
    Items written meanwhile are spooled to disk and replayed when the database answers; if the crawl ends
    first, a follow-up run replays them. Then every article must be stored once."""
    from crawler.store.embedded.launcher import embedded_status, ensure_embedded_server

    started = time.monotonic()
    site = LocalSite(n_articles=articles, seed=seed)
    site.set_fault(r"-\d{8}\.html$", "slow", delay=0.15)  # a crawl of several seconds, to fail in the middle of
    proxy: CuttableProxy | None = None
    server_dir = tmp_path / "own-server"
    if how == "proxy":
        proxy = CuttableProxy(mongo_uri)
        uri = proxy.uri
    else:
        server = ensure_embedded_server(server_dir, port=free_port())
        uri, port = server.uri, server.port
    own: MongoClient = MongoClient(uri.replace(f":{proxy.port}", f":{proxy.target_port}") if proxy else uri)
    target = own[db.name] if how != "proxy" else db
    spooled = replayed = 0
    try:
        with site.serve(port=0) as base_url, env(OUTAGE_ENV):
            process = crawl(base_url, uri, target, tmp_path, wait=False)
            assert wait_for(lambda: article_requests(site) >= 5, 120), "the crawl did not start"
            if proxy:
                proxy.cut()
            else:
                state = embedded_status(server_dir)
                assert state is not None
                os.kill(state.pid, signal.SIGTERM if how == "sigterm" else signal.SIGKILL)
                wait_for(lambda: embedded_status(server_dir) is None, 20)
            time.sleep(down_seconds)
            if proxy:
                proxy.heal()
            else:
                ensure_embedded_server(server_dir, port=port)
            code = process.wait(300)
            spool = tmp_path / "data" / "spool"
            left = len(list(spool.rglob("*.jsonl"))) if spool.is_dir() else 0
            follow_up = left > 0
            if follow_up:  # the crawl ended before the database came back: the next start replays the spool
                crawl(base_url, uri, target, tmp_path)
            for run in target.crawl_runs.find({}, {"counts": 1}):
                spooled += (run.get("counts") or {}).get("spooled", 0)
            left_after = len(list(spool.rglob("*.jsonl"))) if spool.is_dir() else 0
        found = audit(target, site, runs=2 if follow_up else 1)
        if code != 0:
            found.problems.append(f"the crawl exited with {code}")
        if left_after:
            found.problems.append(f"{left_after} spool file(s) left")
        if spooled == 0:
            found.problems.append("nothing was spooled: the outage missed the crawl")
        replayed = spooled
        return report_from(
            f"database outage ({how})",
            found,
            injected=1,
            survived=int(code == 0 and not found.lost and not found.duplicated),
            started=started,
            spooled=spooled,
            replayed=replayed,
            follow_up_run=follow_up,
        )
    finally:
        if proxy:
            proxy.close()
        if how != "proxy":
            from crawler.store.embedded.launcher import stop_embedded_server

            own.drop_database(db.name)
            stop_embedded_server(server_dir)
        own.close()


# -- scenario: the crawler is killed -----------------------------------------------------------------------------
def crawler_kills(
    mongo_uri: str, db: Database, tmp_path: Path, *, trials: int = 3, articles: int = 16, seed: int = 5
) -> FaultReport:
    """SIGKILL the crawler at a random moment of each trial, after editing a few articles; then a follow-up run.

    After each follow-up, every article must be stored with the site's current headline, its versions dense
    and distinct in a row, every version above 1 with its change, `seq` unique, and the killed run no longer
    `running` (the follow-up settles it as failed)."""
    started = time.monotonic()
    rng = random.Random(seed)
    site = LocalSite(n_articles=articles, seed=seed)
    site.set_fault(r"-\d{8}\.html$", "slow", delay=0.05)
    kill_times: list[float] = []
    runs = 0
    survived = 0
    found = Audit()
    with site.serve(port=0) as base_url:
        began = time.monotonic()
        crawl(base_url, mongo_uri, db, tmp_path)
        runs += 1
        duration = time.monotonic() - began
        for trial in range(trials):
            for spec in rng.sample(site.articles, 3):
                site.edit_article(spec.id, headline=f"{spec.headline.split(' (')[0]} ({trial + 1}. Fassung)")
            process = crawl(base_url, mongo_uri, db, tmp_path, wait=False)
            moment = rng.uniform(0.3, duration)
            time.sleep(moment)
            process.send_signal(signal.SIGKILL)
            process.wait(60)
            kill_times.append(round(moment, 2))
            crawl(base_url, mongo_uri, db, tmp_path)
            runs += 2
            now = audit(db, site, runs=runs)
            for run in db.crawl_runs.find({"status": "running"}, {"_id": 1}):
                now.problems.append(f"run {run['_id']} still running after its process was killed")
            for version in db.article_versions.find({"version": {"$gt": 1}}, {"article_id": 1, "version": 1}):
                if not db.changes.find_one({"article_id": version["article_id"], "version_to": version["version"]}):
                    now.lost.append(f"change of {version['article_id']} v{version['version']}")
            survived += not (now.lost or now.duplicated or now.problems)
            found = now
    return report_from(
        "crawler SIGKILL",
        found,
        injected=trials,
        survived=survived,
        started=started,
        kill_after_seconds=kill_times,
        versions=db.article_versions.count_documents({}),
        changes=db.changes.count_documents({}),
    )


# -- scenario: crawls at once ----------------------------------------------------------------------------------
def concurrent_crawls(
    mongo_uri: str, db: Database, tmp_path: Path, *, crawls: int = 2, articles: int = 16, seed: int = 9
) -> FaultReport:
    """`crawls` crawls of one site at once, after a first crawl and an edit of a quarter of the articles."""
    started = time.monotonic()
    site = LocalSite(n_articles=articles, seed=seed)
    with site.serve(port=0) as base_url:
        crawl(base_url, mongo_uri, db, tmp_path / "first")
        edited = site.articles[:: max(1, articles // 4)]
        for spec in edited:
            site.edit_article(spec.id, headline=spec.headline + " – Update")
        running = [crawl(base_url, mongo_uri, db, tmp_path / f"c{i}", wait=False) for i in range(crawls)]
        codes = [p.wait(300) for p in running]
    found = audit(db, site, runs=1 + crawls)
    versions = db.article_versions.count_documents({})
    if versions != articles + len(edited):
        found.problems.append(f"{versions} versions for {articles} articles and {len(edited)} edits")
    headline_changes = db.changes.count_documents({"field": "headline"})
    if headline_changes != len(edited):
        (found.duplicated if headline_changes > len(edited) else found.lost).append(
            f"{headline_changes} headline changes for {len(edited)} edits"
        )
    teaser_runs = {t["runs"] for t in db.teasers.find({}, {"runs": 1})}
    if teaser_runs - {1 + crawls}:
        found.problems.append(f"teaser run counts {sorted(teaser_runs)}, expected {1 + crawls}")
    if any(codes):
        found.problems.append(f"exit codes {codes}")
    return report_from(
        f"{crawls} crawls at once",
        found,
        injected=crawls,
        survived=sum(c == 0 for c in codes) if not (found.lost or found.duplicated) else 0,
        started=started,
        versions=versions,
        changes=db.changes.count_documents({}),
    )


# -- fuzzed pages ---------------------------------------------------------------------------------------------
def _cut(html: str, rng: random.Random) -> str:
    return html[: rng.randrange(len(html) + 1)]


def _drop_closing_tags(html: str, rng: random.Random) -> str:
    share = rng.random()
    return re.sub(r"</[a-zA-Z][a-zA-Z0-9]*>", lambda m: "" if rng.random() < share else m.group(0), html)


def _deep_nesting(html: str, rng: random.Random) -> str:
    at, depth = rng.randrange(len(html) + 1), rng.choice((200, 2000, 20000))
    return html[:at] + rng.choice(("<div>", "<p><span>", "<ul><li>", "<b>")) * depth + html[at:]


def _broken_jsonld(html: str, rng: random.Random) -> str:
    junk = rng.choice(('{"@type": "NewsArticle", "headline": ', "[" * 50000, '{"author": {"name": [[[', "\x00", "}"))
    return re.sub(r"(application/ld\+json[^>]*>)", lambda m: m.group(1) + junk, html)


def _splice(html: str, rng: random.Random) -> str:
    i = rng.randrange(len(html) + 1)
    j = min(len(html), i + rng.randrange(2000))
    bits = (
        "<",
        ">",
        "</",
        "<!--",
        "<script>",
        "&#0;",
        "\x00",
        "\ufffd",
        "<meta charset=x-unknown>",
        "]]>",
        "<![CDATA[",
    )
    return html[:i] + "".join(rng.choice(bits) for _ in range(rng.randrange(1, 30))) + html[j:]


def _duplicate(html: str, rng: random.Random) -> str:
    i = rng.randrange(len(html) + 1)
    j = min(len(html), i + rng.randrange(50000))
    return html[:j] + html[i:j] * rng.randrange(2, 20) + html[j:]


MUTATORS: tuple[Callable[[str, random.Random], str], ...] = (
    _cut,
    _drop_closing_tags,
    _deep_nesting,
    _broken_jsonld,
    _splice,
    _duplicate,
)


def mutate(html: str, rng: random.Random) -> str:
    """One to three mutations of a real page: cut, closing tags dropped, deep nesting, broken JSON-LD, garbage
    spliced in, a stretch repeated."""
    for _ in range(rng.randint(1, 3)):
        html = rng.choice(MUTATORS)(html, rng)
    return html


def extractors() -> dict[str, Callable[[str, str], Any]]:
    """Every extractor as `(html, url) -> result`; each may raise ExtractionError and nothing else."""
    from crawler.extract import generic, ippen, ippen_listing, link_listing

    article = re.compile(r"-\d{5,}\.html$|/\d{4}/")
    return {
        "ippen": lambda html, url: ippen.extract_article(html, url, "merkur.de"),
        "generic": lambda html, url: generic.extract_article(html, url),
        "ippen_listing": lambda html, url: ippen_listing.extract_teasers(html, url, "merkur.de"),
        "link_listing": lambda html, url: link_listing.extract_link_teasers(html, url, "example.org", article),
    }


def fixture_pages(root: Path | None = None) -> list[tuple[str, str]]:
    """(name, html) of every real page in the shared fixtures."""
    root = root or Path(os.environ.get("NEWSMON_FIXTURES_DIR", PROJECT.parent / "shared" / "fixtures"))
    paths = sorted([*root.glob("articles/**/*.html"), *root.glob("listings/*.html"), *root.glob("feeds/*.html")])
    return [(p.stem, p.read_text(encoding="utf-8", errors="replace")) for p in paths]


def fuzz_extractors(examples: int = 300, seed: int = 1) -> FaultReport:
    """`examples` mutated pages per extractor: anything but ExtractionError raised is a problem; the max and
    99th-percentile time per page are measured."""
    from crawler.extract.parsing import ExtractionError

    started = time.monotonic()
    rng = random.Random(seed)
    pages = fixture_pages()
    times: dict[str, list[float]] = {name: [] for name in extractors()}
    raised: Counter[str] = Counter()
    problems: list[str] = []
    for n in range(examples):
        name, html = pages[n % len(pages)]
        page = mutate(html, rng)
        for extractor, run in extractors().items():
            began = time.perf_counter()
            try:
                run(page, "https://www.merkur.de/welt/a-91234567.html")
            except ExtractionError:
                raised[extractor] += 1
            except Exception as exc:
                problems.append(f"{extractor} on a mutation of {name}: {type(exc).__name__}: {exc}"[:300])
            times[extractor].append(time.perf_counter() - began)
    timing = {
        name: {"max_s": round(max(t), 3), "p99_s": round(sorted(t)[int(len(t) * 0.99) - 1], 3)}
        for name, t in times.items()
    }
    return FaultReport(
        "fuzzed pages",
        injected=examples * len(times),
        survived=examples * len(times) - len(problems),
        seconds=time.monotonic() - started,
        problems=problems[:10],
        details={"time_per_page": timing, "extraction_errors": dict(raised), "pages": len(pages)},
    )
