"""robots.txt obeyed for every request (crawler/runtime/middlewares/robotstxt.py): a site that disallows everything gets
no request but `/robots.txt`, from every spider and entry point, plain, rendered and distributed; a robots.txt
that fails to load is read as Scrapy reads it (any answer is parsed, so an error page allows everything; a
download error allows everything)."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import pytest
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler

from crawler.runtime.middlewares.robotstxt import RobotsTxtMiddleware
from crawler.runtime.render import BrowserNotFound, find_browser
from tests.support.crawling import PROJECT, crawl, crawl_command, stored_ids
from tests.support.localsite import LocalSite
from tests.test_distributed_crawl import finish, local_redis, worker  # noqa: F401 (local_redis: a fixture)

DISALLOW_ALL = "User-agent: *\nDisallow: /\n"


def needs_browser() -> None:
    try:
        find_browser()
    except BrowserNotFound as exc:
        pytest.skip(str(exc))


def news_config(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(
        f'key = "merkur.de"\nbase_url = "{base_url}"\narticle_pattern = "-\\\\d{{5,}}\\\\.html$"\n'
        'start_pages = ["/", "/politik/"]\nsitemaps = ["/news.xml", "/sitemap-index.xml"]\n'
        'feeds = ["/rssfeed.rdf"]\nprofile = "ippen"\n',
        encoding="utf-8",
    )
    return path


def newsmon_crawl(
    spider: str, base_url: str, mongo_uri: str, db_name: str, tmp_path: Path, *args: str, exit_code: int = 0
) -> None:
    """`newsmon crawl` (crawler.apps.cli) with the same environment and arguments as `tests.support.crawling.crawl`."""
    import subprocess

    tmp_path.mkdir(parents=True, exist_ok=True)
    log = tmp_path / "crawl-0.log"
    command, env = crawl_command(base_url, mongo_uri, db_name, tmp_path / "data", log, *args, spider=spider)
    command = [sys.executable, "-m", "crawler.apps.cli", "crawl", *command[4:]]
    done = subprocess.run(command, env=env, cwd=PROJECT, timeout=300, check=False)
    assert done.returncode == exit_code, log.read_text(encoding="utf-8")[-3000:]


@pytest.mark.parametrize(
    ("spider", "entry", "render"),
    [
        ("merkur", "scrapy", "auto"),
        ("ippen", "scrapy", "auto"),
        ("news", "scrapy", "auto"),
        ("merkur", "newsmon", "auto"),
        ("news", "newsmon", "auto"),
        ("merkur", "scrapy", "always"),
        ("news", "newsmon", "always"),
    ],
)
def test_a_site_that_disallows_everything_gets_only_its_robots_txt(spider, entry, render, mongo_uri, db, tmp_path):
    if render == "always":
        needs_browser()
    site = LocalSite(n_articles=6, seed=3)
    site.robots_txt = DISALLOW_ALL
    with site.serve(port=0) as base_url:
        args = ["-s", f"NEWSMON_RENDER={render}"]
        if spider == "news":
            args += ["-a", f"config={news_config(tmp_path, base_url)}"]
        # nothing the crawl was asked could be fetched: a failed crawl (exit 1), as when every start answers 404
        if entry == "scrapy":
            crawl(base_url, mongo_uri, db, tmp_path, *args, spider=spider, exit_code=1)
        else:
            newsmon_crawl(spider, base_url, mongo_uri, db.name, tmp_path, *args, exit_code=1)
    assert [r.path for r in site.requests] == ["/robots.txt"]
    run = db.crawl_runs.find_one()
    assert run["status"] == "finished"
    # every start request (homepage, sections, feeds, sitemaps) was refused, not only the first
    forbidden = run["counts"]["robots_forbidden"]
    assert forbidden >= 4
    assert stored_ids(db) == set()
    # the site's policy obeyed: no page failed, none is a reject, and it is said once, plainly
    assert db.rejects.count_documents({}) == 0
    http = run["health"]["metrics"]["http"]
    assert (http["errors"], http["error_rate"], http["robots_forbidden"]) == (0, 0.0, forbidden)
    assert {a["kind"] for a in run["health"]["alerts"]}.isdisjoint({"errors_up", "rejects_up"})
    log = (tmp_path / "crawl-0.log").read_text(encoding="utf-8")
    assert f"robots.txt of merkur.de forbids {forbidden} page(s)" in log
    assert "Giving up on" not in log
    assert "Crawl failed: every start request failed" in log


def test_every_worker_of_a_distributed_crawl_obeys_it(mongo_uri, db, tmp_path, local_redis):  # noqa: F811
    site = LocalSite(n_articles=6, seed=4)
    site.robots_txt = DISALLOW_ALL
    prefix = f"t{uuid.uuid4().hex[:8]}"
    with site.serve(port=0) as base_url:
        a = worker(base_url, mongo_uri, db, tmp_path, "a", local_redis.url, prefix)
        b = worker(base_url, mongo_uri, db, tmp_path, "b", local_redis.url, prefix)
        # a worker that drew a start request had every one forbidden (exit 1); one that drew none exits 0
        codes = finish(a, b, exit_codes=frozenset({0, 1}))
    assert 1 in codes
    paths = {r.path for r in site.requests}
    assert paths == {"/robots.txt"}
    assert sum(run["counts"]["robots_forbidden"] for run in db.crawl_runs.find()) >= 4


@pytest.mark.parametrize("failure", ["500", "404", "timeout"])
def test_a_robots_txt_that_fails_to_load_allows_everything_as_in_scrapy(failure, mongo_uri, db, tmp_path):
    """Scrapy parses whatever answer robots.txt gets (an error page has no rules: all allowed) and allows
    everything when the download itself fails (`robotstxt/exception_count/...`)."""
    site = LocalSite(n_articles=6, seed=5)
    args: list[str] = []
    if failure == "timeout":
        site.set_fault(r"^/robots\.txt$", "slow", delay=3.0)
        args += ["-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=0"]
    else:
        site.set_fault(r"^/robots\.txt$", failure)
    with site.serve(port=0) as base_url:
        crawl(base_url, mongo_uri, db, tmp_path, *args, "-s", "NEWSMON_RENDER=never")
    assert stored_ids(db) == {f"merkur.de:{a.id}" for a in site.articles}
    log = (tmp_path / "crawl-0.log").read_text(encoding="utf-8")
    if failure == "timeout":
        assert "robotstxt/exception_count/" in log
    else:
        assert f"'robotstxt/response_status_count/{failure}'" in log


# -- the middleware itself, against Scrapy's ----------------------------------------------------------------------
def waiters_allowed(middleware_class: type[ScrapyRobotsTxtMiddleware], waiters: int) -> int:
    """How many of `waiters` requests arriving while robots.txt (`Disallow: /`) downloads are let through."""
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True})
    crawler.stats.open_spider()

    async def download(request: Request) -> TextResponse:
        await asyncio.sleep(0.05)
        return TextResponse(request.url, body=DISALLOW_ALL.encode(), request=request)

    crawler.engine = type("Engine", (), {"download_async": staticmethod(download)})()
    middleware = middleware_class.from_crawler(crawler)

    async def one(path: str) -> bool:
        try:
            await middleware.process_request(Request(f"http://127.0.0.1:1/{path}"))
        except IgnoreRequest:
            return False
        return True

    async def all_of_them() -> list[bool]:
        return await asyncio.gather(*(one(f"page-{i}") for i in range(waiters)))

    return sum(asyncio.run(all_of_them()))


def test_every_waiter_gets_the_parser():
    assert waiters_allowed(RobotsTxtMiddleware, 15) == 0


def test_scrapy_still_lets_later_waiters_through():
    """The upstream regression this middleware works around; when this fails, Scrapy is fixed and
    crawler/runtime/middlewares/robotstxt.py can go."""
    # the request that fetched robots.txt and the first waiter are checked; the other 13 get None
    assert waiters_allowed(ScrapyRobotsTxtMiddleware, 15) == 13
