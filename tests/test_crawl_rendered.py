"""End to end with Chromium: `scrapy crawl` in a subprocess against the local site's script-rendered pages
(`/js/`, tests.support.localsite.scripted), into a throwaway database. Needs Debian's chromium (`make browser`)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.runtime.render import BrowserNotFound, find_browser
from tests.support.crawling import crawl, stored_ids
from tests.support.localsite import LocalSite
from tests.support.localsite.teasers import kicker_place


@pytest.fixture(scope="module", autouse=True)
def browser() -> None:
    try:
        find_browser()
    except BrowserNotFound as exc:
        pytest.fail(f"rendering tests need a browser: {exc}")


@pytest.fixture
def site() -> Iterator[tuple[LocalSite, str]]:
    local = LocalSite(n_articles=8, seed=5)
    with local.serve(port=0) as base_url:
        yield local, base_url


def config(tmp_path: Path, base_url: str, start_page: str, render: str = "") -> str:
    path = tmp_path / "site.toml"
    path.write_text(
        f'key = "merkur.de"\nbase_url = "{base_url}"\nstart_pages = ["{start_page}"]\n'
        f"article_pattern = '-\\d{{5,}}\\.html$'\nprofile = \"ippen\"\n{render}",
        encoding="utf-8",
    )
    return str(path)


def crawl_log(tmp_path: Path) -> str:
    return max(tmp_path.glob("crawl-*.log"), key=lambda p: p.stat().st_mtime).read_text(encoding="utf-8")


def stats(log: str) -> dict[str, int]:
    """The integer stats Scrapy dumps at the end of the log."""
    dump = log[log.rindex("Dumping Scrapy stats") :]
    return {k: int(v) for k, v in re.findall(r"'([^']+)': (\d+)[,}]", dump)}


def paths(local: LocalSite) -> list[str]:
    return [r.path for r in local.requests]


def test_scripted_pages_are_read_rendered_and_plain_pages_stay_plain(site, mongo_uri, db, tmp_path):
    local, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path, "-a", f"config={config(tmp_path, base_url, '/js/mixed/')}", spider="news")

    assert stored_ids(db) == {f"merkur.de:{a.id}" for a in local.articles}
    for spec in local.articles:
        stored = db.articles.find_one({"_id": f"merkur.de:{spec.id}"})
        assert stored["headline"] == spec.headline
        assert len(stored["body"]) >= len([b for b in spec.body if b.kind == "paragraph"]), spec.path
    assert db.teasers.count_documents({}) == len(local.articles)
    assert db.rejects.count_documents({}) == 0

    seen = paths(local)
    scripted = [p for p in seen if p.startswith("/js/") and p != "/js/mixed/"]
    plain = [a.path for a in local.articles if a.path in seen]
    assert seen.count("/js/mixed/") == 2, "the listing: plain, then rendered"
    assert len(scripted) == 2 * len(set(scripted)) == len(local.articles), "each scripted article: plain + rendered"
    assert plain and all(seen.count(p) == 1 for p in plain), "plain articles are fetched once, plain"
    images = tuple(a.image.path.removesuffix(".jpg") for a in local.articles if a.image)
    assert images and not [p for p in seen if p.startswith(images)], "the browser loads no images"
    assert all("newsmon" in r.headers.get("User-Agent", "") for r in local.requests), "the browser says who it is"

    log = crawl_log(tmp_path)
    numbers = stats(log)
    assert numbers["newsmon/render/fallback/listing"] == 1
    assert numbers["newsmon/render/fallback/article"] == len(set(scripted))
    assert numbers["playwright/page_count"] == numbers["playwright/page_count/closed"] == 1 + len(set(scripted))
    assert numbers["playwright/page_count/max_concurrent"] <= 4
    assert numbers["playwright/request_count/aborted"] > 0, "the real page's ads and trackers are not loaded"
    assert numbers["playwright/browser_count"] == 1 and log.count("Starting download handler") == 1
    remembered = json.loads((tmp_path / "data" / "render.json").read_text())
    assert set(remembered["merkur.de"]) == {"listing", "article"}


def test_a_remembered_site_is_rendered_at_once_in_the_next_run(site, mongo_uri, db, tmp_path):
    local, base_url = site
    site_config = config(tmp_path, base_url, "/js/")
    crawl(base_url, mongo_uri, db, tmp_path, "-a", f"config={site_config}", spider="news")
    first = paths(local)
    assert first.count("/js/") == 2
    local.clear_requests()

    crawl(base_url, mongo_uri, db, tmp_path, "-a", f"config={site_config}", spider="news")
    second = paths(local)
    assert second.count("/js/") == 1
    articles = [p for p in second if p.endswith(".html")]
    assert len(articles) == len(set(articles)) == len(local.articles), "rendered at once, no plain attempt"
    numbers = stats(crawl_log(tmp_path))
    assert "newsmon/render/fallback/listing" not in numbers and "newsmon/render/fallback/article" not in numbers
    assert numbers["newsmon/render/requests/article"] == len(local.articles)
    runs = list(db.crawl_runs.find().sort("started_at", 1))
    assert len(runs) == 2 and runs[1]["counts"]["new_versions"] == 0, "rendered pages give the same versions"


def test_plain_crawls_start_no_browser(site, mongo_uri, db, tmp_path):
    local, base_url = site
    crawl(base_url, mongo_uri, db, tmp_path, "-a", "section=politik")
    assert stored_ids(db) == {f"merkur.de:{a.id}" for a in local.articles if a.section == "politik"}
    log = crawl_log(tmp_path)
    assert "scrapy-playwright" not in log and "playwright/" not in log

    crawl(base_url, mongo_uri, db, tmp_path / "never", "-a", f"config={config(tmp_path, base_url, '/js/')}",
          "-s", "NEWSMON_RENDER=never", spider="news")  # fmt: skip
    log = crawl_log(tmp_path / "never")
    assert "scrapy-playwright" not in log and "RenderingDownloadHandler" not in log
    assert not (tmp_path / "never" / "data" / "render.json").exists()


def test_site_setting_always_failed_pages_closed_and_contexts_recycled(site, mongo_uri, db, tmp_path):
    local, base_url = site
    broken, slow = local.articles[1], local.articles[2]
    local.set_fault(rf"{broken.id}\.html$", "500")
    local.set_fault(rf"{slow.id}\.html$", "slow", delay=4)
    site_config = config(tmp_path, base_url, "/js/", 'render = "always"\n')
    args = ("-a", f"config={site_config}", "-s", "NEWSMON_RENDER_TIMEOUT_MS=1500", "-s", "RETRY_TIMES=0")
    args += ("-s", "NEWSMON_RENDER_CONTEXT_PAGES=3")
    crawl(base_url, mongo_uri, db, tmp_path, *args, spider="news")

    healthy = {f"merkur.de:{a.id}" for a in local.articles} - {f"merkur.de:{broken.id}", f"merkur.de:{slow.id}"}
    assert stored_ids(db) == healthy
    reasons = {r["url"].rsplit("-", 1)[-1]: r["reason"] for r in db.rejects.find()}
    assert reasons[f"{broken.id}.html"] == "http 500"
    assert reasons[f"{slow.id}.html"].startswith("fetch: "), reasons
    assert local.requests and paths(local).count("/js/") == 1, "always: no plain attempt"
    numbers = stats(crawl_log(tmp_path))
    assert numbers["playwright/page_count"] == numbers["playwright/page_count/closed"] == 1 + len(local.articles)
    assert numbers["newsmon/render/contexts_recycled"] >= 2, "a fresh context every 3 pages"
    assert numbers["playwright/context_count/max_concurrent"] <= 2


def test_without_a_browser_the_log_names_what_to_install_and_pages_become_rejects(site, mongo_uri, db, tmp_path):
    _, base_url = site
    args = ("-a", f"config={config(tmp_path, base_url, '/js/')}", "-s", f"NEWSMON_BROWSER_PATH={tmp_path}/chromium")
    crawl(base_url, mongo_uri, db, tmp_path, *args, spider="news")
    log = crawl_log(tmp_path)
    assert log.count("Cannot render pages: no browser at") == 1 and "apt-get install -y chromium" in log
    (reject,) = list(db.rejects.find())
    assert reject["reason"] == "fetch: BrowserNotFound (rendered; the plain page had no teasers)"
    assert "Starting download handler" not in log


SAMPLE = ("-s", "NEWSMON_RENDER_SAMPLE_PAGES=2")


def test_teasers_a_script_adds_are_found_by_sampling_and_their_articles_stored(site, mongo_uri, db, tmp_path):
    local, base_url = site
    lazy = {f"merkur.de:{a.id}" for a in local.lazy_articles}
    plain = {f"merkur.de:{a.id}" for a in local.articles if a.section == "politik"}
    assert lazy and plain, "the politik page has plain teasers and a script-filled block"
    crawl(base_url, mongo_uri, db, tmp_path, "-a", "section=politik", *SAMPLE)

    assert stored_ids(db) == plain | lazy, "the articles only script-added teasers link are crawled"
    for spec in local.lazy_articles:
        teaser = db.teasers.find_one({"article_id": f"merkur.de:{spec.id}"})
        assert teaser is not None and teaser["headline"] == spec.teaser_headline
        assert teaser["kicker"] == spec.kicker
        assert [p["page"].rstrip("/") for p in teaser["placements"].values()] == ["https://www.merkur.de/politik"]
    assert db.teasers.count_documents({}) == len(plain | lazy)
    places = set()
    for stored in db.teasers.find():  # kicker inside the h3 or beside it: stored apart, plain or rendered
        spec = local.article(int(stored["article_id"].split(":")[1]))
        assert (stored["headline"], stored["kicker"]) == (spec.teaser_headline, spec.kicker)
        places.add(kicker_place(spec))
    assert places == {"inside", "beside"}
    assert db.rejects.count_documents({}) == 0
    assert paths(local).count("/politik/") == 2, "plain, then rendered as a sample"
    log = crawl_log(tmp_path)
    numbers = stats(log)
    assert numbers["newsmon/render/sample/listing"] == 1 and numbers["newsmon/render/sample_added/listing"] == 1
    assert f"rendering adds {len(lazy)} teasers to {base_url}/politik/" in log
    remembered = json.loads((tmp_path / "data" / "render.json").read_text())
    assert set(remembered["merkur.de"]) == {"listing"} and set(remembered["_sampled"]) == {"merkur.de"}

    local.clear_requests()
    crawl(base_url, mongo_uri, db, tmp_path, "-a", "section=politik", *SAMPLE)
    assert paths(local).count("/politik/") == 1, "remembered: rendered at once, no plain attempt, no sample"
    numbers = stats(crawl_log(tmp_path))
    assert "newsmon/render/sample/listing" not in numbers and numbers["newsmon/render/requests/listing"] == 1
    assert stored_ids(db) == plain | lazy
    runs = list(db.crawl_runs.find().sort("started_at", 1))
    assert runs[1]["counts"]["new_versions"] == 0


def test_a_sample_that_adds_nothing_leaves_the_site_plain_until_the_next_sample(site, mongo_uri, db, tmp_path):
    local, base_url = site
    section = next(a.section for a in local.articles if a.section != "politik")
    crawl(base_url, mongo_uri, db, tmp_path, "-a", f"section={section}", *SAMPLE)
    assert stored_ids(db) == {f"merkur.de:{a.id}" for a in local.articles if a.section == section}
    assert paths(local).count(f"/{section}/") == 2
    numbers = stats(crawl_log(tmp_path))
    assert numbers["newsmon/render/sample_same/listing"] == 1 and "newsmon/render/sample_added/listing" not in numbers
    remembered = json.loads((tmp_path / "data" / "render.json").read_text())
    assert "merkur.de" not in remembered and set(remembered["_sampled"]) == {"merkur.de"}

    local.clear_requests()
    crawl(base_url, mongo_uri, db, tmp_path, "-a", "section=politik", *SAMPLE)
    assert paths(local).count("/politik/") == 1, "sampled within NEWSMON_RENDER_SAMPLE_DAYS: not again"
    assert "playwright/" not in crawl_log(tmp_path), "no browser started"


def test_without_a_browser_sampling_is_skipped_with_one_line(site, mongo_uri, db, tmp_path):
    local, base_url = site
    args = ("-a", "section=politik", "-s", f"NEWSMON_BROWSER_PATH={tmp_path}/chromium", *SAMPLE)
    crawl(base_url, mongo_uri, db, tmp_path, *args)
    log = crawl_log(tmp_path)
    assert log.count("Not sampling merkur.de's listing pages rendered: no browser at") == 1
    assert "Starting download handler" not in log and "playwright/" not in log
    assert stored_ids(db) == {f"merkur.de:{a.id}" for a in local.articles if a.section == "politik"}
    assert db.rejects.count_documents({}) == 0
