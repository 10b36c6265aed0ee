"""Rendered vs plain crawling: pages/s and peak memory, the browser included.

Serves the local site (tests/support/localsite) with `--pages` articles and crawls it three ways with the real `news`
spider in a subprocess (store pipeline off, AutoThrottle off, 4 requests at a time as newsmon's default):

- plain: every article page plain (found through the sitemap index);
- rendered: the script-rendered variants under `/js/` with `render = "always"` (one browser page per article);
- auto: the same `/js/` pages with `render = "auto"` on a first run: each page plain first, then rendered.

Memory is sampled every 0.1 s as the sum over the crawler's process tree (the Scrapy process, the Playwright
driver, every Chromium process): RSS, and PSS (which counts shared pages once). `--long N` adds a rendered run of
N pages and reports the peak PSS in each quarter of it, to show whether memory grows over a long run. `--bomb`
adds a rendered run of the same pages where one article serves a gzip bomb (`--bomb-mib` MiB unpacked, about
1/1000 of it packed; the local site's `gzip_bomb` fault), which the rendering handler must cut at DOWNLOAD_MAXSIZE
(crawler/runtime/render/limits.py), and with `--bomb-peer` once more without a cap (`DOWNLOAD_MAXSIZE=0`, as every
rendered page was fetched before; needs several GB); `--only-rendered` skips the plain and auto runs. Usage:

    .venv/bin/python bench/render.py [--pages 60] [--long 300] [--bomb] [--json bench/results/render.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:  # run as `python bench/render.py`: the checkout's tests.support must import
    sys.path.insert(0, str(PROJECT))

from tests.support.localsite import LocalSite  # noqa: E402

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_memory_kb(root: int) -> tuple[int, int, int]:
    """(RSS, PSS, processes) summed over `root` and its descendants, in KiB."""
    tree = _children()
    todo, rss, pss, count = [root], 0, 0, 0
    while todo:
        pid = todo.pop()
        todo += tree.get(pid, [])
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        count += 1
        fields = dict(re.findall(r"^(\w+):\s+(\d+) kB", rollup, re.M))
        rss += int(fields.get("Rss", 0))
        pss += int(fields.get("Pss", 0))
    return rss, pss, count


@dataclass
class Run:
    name: str
    pages: int
    elapsed_s: float
    wall_s: float
    pages_per_s: float
    peak_rss_mb: float
    peak_pss_mb: float
    peak_processes: int
    rendered_pages: int
    quarters_pss_mb: list[float] = field(default_factory=list)


def crawl(
    name: str,
    base_url: str,
    start_pages: list[str],
    sitemaps: list[str],
    render: str,
    work: Path,
    settings: tuple[str, ...] = (),
) -> Run:
    config = work / f"{name}.toml"
    config.write_text(
        f'key = "merkur.de"\nbase_url = "{base_url}"\nstart_pages = {json.dumps(start_pages)}\n'
        f"sitemaps = {json.dumps(sitemaps)}\narticle_pattern = '-\\d{{5,}}\\.html$'\nprofile = \"ippen\"\n"
        f'render = "{render}"\n',
        encoding="utf-8",
    )
    log, out = work / f"{name}.log", work / f"{name}.jsonl"
    env = {**os.environ, "NEWSMON_DATA_DIR": str(work / f"{name}-data"), "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"config={config}", "-O", str(out)]
    for setting in ("ITEM_PIPELINES={}", "EXTENSIONS={}", "AUTOTHROTTLE_ENABLED=False", f"LOG_FILE={log}", *settings):
        command += ["-s", setting]
    samples: list[tuple[float, int, int, int]] = []
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, cwd=PROJECT)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.monotonic() - started, *tree_memory_kb(process.pid)))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    process.wait()
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    text = log.read_text(encoding="utf-8")
    if process.returncode != 0 or "Dumping Scrapy stats" not in text:
        raise SystemExit(f"{name}: crawl failed, see {log}")
    stats = dict(re.findall(r"'([^']+)': ([\d.]+)[,}]", text[text.rindex("Dumping Scrapy stats") :]))
    pages = sum(1 for line in out.read_text(encoding="utf-8").splitlines() if '"body"' in line)
    elapsed = float(stats["elapsed_time_seconds"])
    quarters = []
    if samples:
        end = samples[-1][0]
        for q in range(4):
            window = [s[2] for s in samples if q * end / 4 <= s[0] <= (q + 1) * end / 4]
            quarters.append(round(max(window, default=0) / 1024, 1))
    return Run(
        name=name,
        pages=pages,
        elapsed_s=round(elapsed, 2),
        wall_s=round(wall, 2),
        pages_per_s=round(pages / elapsed, 1),
        peak_rss_mb=round(max(s[1] for s in samples) / 1024, 1),
        peak_pss_mb=round(max(s[2] for s in samples) / 1024, 1),
        peak_processes=max(s[3] for s in samples),
        rendered_pages=int(stats.get("playwright/page_count", 0)),
        quarters_pss_mb=quarters,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=60, help="articles of the site (>= 50 for the figures)")
    parser.add_argument("--long", type=int, default=0, help="also a rendered run over this many pages")
    parser.add_argument("--bomb", action="store_true", help="also a rendered run with one gzip-bomb article")
    parser.add_argument("--bomb-peer", action="store_true", help="and the same with no size cap (GBs of memory)")
    parser.add_argument("--bomb-mib", type=int, default=256, help="the bomb's unpacked size in MiB")
    parser.add_argument("--only-rendered", action="store_true", help="skip the plain and auto runs")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()

    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-render-") as tmp:
        work = Path(tmp)
        site = LocalSite(n_articles=args.pages, seed=7)
        site.warm()
        with site.serve(port=0) as base:
            if not args.only_rendered:
                runs.append(crawl("plain", base, [], ["/sitemap-index.xml"], "auto", work))
            runs.append(crawl("rendered", base, ["/js/"], [], "always", work))
            if not args.only_rendered:
                runs.append(crawl("auto", base, ["/js/"], [], "auto", work))
            if args.bomb:
                bombed = site.articles[len(site.articles) // 2]
                site.set_fault(rf"^/js{re.escape(bombed.path)}$", "gzip_bomb", size=args.bomb_mib * 2**20)
                runs.append(crawl("rendered, one gzip bomb", base, ["/js/"], [], "always", work))
                if args.bomb_peer:  # DOWNLOAD_MAXSIZE=0: no cap, as every rendered page had before
                    peer = ("DOWNLOAD_MAXSIZE=0", "DOWNLOAD_WARNSIZE=0", "RETRY_TIMES=0")
                    runs.append(crawl("rendered, one gzip bomb, no cap", base, ["/js/"], [], "always", work, peer))
        if args.long:
            site = LocalSite(n_articles=args.long, seed=7)
            with site.serve(port=0) as base:
                runs.append(crawl(f"rendered-{args.long}", base, ["/js/"], [], "always", work))

    print("| run | article pages | rendered pages | crawl s | pages/s | peak RSS MB | peak PSS MB | processes |")
    print("|---|---|---|---|---|---|---|---|")
    for r in runs:
        print(
            f"| {r.name} | {r.pages} | {r.rendered_pages} | {r.elapsed_s} | {r.pages_per_s} | {r.peak_rss_mb} "
            f"| {r.peak_pss_mb} | {r.peak_processes} |"
        )
    for r in runs:
        if r.name.startswith("rendered-"):
            print(f"\n{r.name}: peak PSS per quarter of the run (MB): {' / '.join(map(str, r.quarters_pss_mb))}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
