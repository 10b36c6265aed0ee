"""Rendering decisions, offline: the policy per run/site/kind/request, the fallback, the memory, request
blocking, the add-on's settings and the browser lookup. Crawls with a real browser: test_crawl_rendered.py."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.settings import Settings

from crawler.config import OPTIONS
from crawler.model.sites import IPPEN_SITES, Site, SiteConfigError, site_from_dict
from crawler.runtime.render import BrowserNotFound, RenderMemory, RenderPolicy, find_browser
from crawler.runtime.render.addon import HANDLER, RenderAddon
from crawler.runtime.render.blocking import RequestBlocker, is_third_party
from crawler.runtime.render.browser import DEFAULT_BROWSER_ARGS, DEFAULT_BROWSER_PATH, launch_options
from crawler.runtime.render.policy import FALLBACK_META, RENDER_META, SAMPLE_META
from spiders.ippen import MerkurSpider
from tests.support.localsite import LocalSite

BASE = "http://127.0.0.1:8800"
SITE = IPPEN_SITES["merkur.de"]


def response(url: str, body: str, request: Request | None = None, rendered: bool = False) -> HtmlResponse:
    return HtmlResponse(
        url=url,
        body=body.encode(),
        encoding="utf-8",
        request=request or Request(url),
        flags=["playwright"] if rendered else [],
    )


# -- modes -----------------------------------------------------------------------------------------------------
def test_site_render_setting_is_a_mode_or_a_mode_per_page_kind():
    base = {"key": "example.org", "base_url": "https://example.org", "article_pattern": r"/\d+$"}
    assert site_from_dict(base).render == "auto"
    assert site_from_dict({**base, "render": "always"}).render == "always"
    assert site_from_dict({**base, "render": {"listing": "always"}}).render == {"listing": "always"}
    for bad in ("sometimes", {"listing": "maybe"}, {"frontpage": "always"}, 3):
        with pytest.raises(SiteConfigError, match="render"):
            site_from_dict({**base, "render": bad})


def test_the_run_mode_overrides_the_site_and_auto_follows_it():
    per_kind = Site("example.org", "https://example.org", render={"listing": "always", "article": "never"})
    auto = RenderPolicy(per_kind)
    assert auto.meta("listing") == {"playwright": True, RENDER_META: True}
    assert auto.meta("article") == {}
    assert RenderPolicy(per_kind, "never").meta("listing") == {}
    assert RenderPolicy(per_kind, "always").meta("article")["playwright"] is True
    assert RenderPolicy(SITE).meta("listing") == {}, "auto sites start plain"
    assert RenderPolicy(SITE, "never").meta("article", render=True) == {}, "never means no browser at all"
    with pytest.raises(ValueError, match="NEWSMON_RENDER"):
        RenderPolicy(SITE, "sometimes")


def test_a_plain_page_without_teasers_is_fetched_again_rendered_and_the_site_remembered():
    policy = RenderPolicy(SITE)
    plain = response(f"{BASE}/js/", "<html></html>")
    extra = policy.retry_rendered("listing", plain, "no teasers")
    assert extra is not None and extra[FALLBACK_META] == "no teasers"
    assert not policy.should_render("listing"), "remembered only once rendering helped"

    again = Request(f"{BASE}/js/", meta={**policy.meta("listing", True), **extra})
    rendered = response(f"{BASE}/js/", "<html></html>", again, rendered=True)
    assert policy.retry_rendered("listing", rendered, "no teasers") is None, "a rendered page is not retried"
    policy.rendered_page_read("listing", rendered)
    assert policy.should_render("listing") and not policy.should_render("article")


def test_no_fallback_when_the_site_or_the_request_says_so():
    plain = response(f"{BASE}/js/", "<html></html>")
    assert RenderPolicy(Site("a.de", "https://a.de", render="never")).retry_rendered("listing", plain, "x") is None
    assert RenderPolicy(SITE, "always").retry_rendered("listing", plain, "x") is None
    refused = response(f"{BASE}/js/", "<html></html>", Request(f"{BASE}/js/", meta={RENDER_META: False}))
    assert RenderPolicy(SITE).retry_rendered("listing", refused, "x") is None


def test_spider_renders_the_scripted_listing_then_its_articles():
    """Routing on the local site's real pages, offline: plain /js/ has no teasers, rendered it has (simulated by
    the plain page's teasers, as a browser shows them)."""
    site = LocalSite(n_articles=4)
    spider = MerkurSpider(base_url=BASE)
    scripted = site.respond("/js/").body.decode()
    (again,) = list(spider.parse_listing(response(f"{BASE}/js/", scripted)))
    assert isinstance(again, Request) and again.meta["playwright"] and again.meta[FALLBACK_META] == "no teasers"

    shown = site.respond("/").body.decode()  # what a browser shows: teasers in the page
    out = list(spider.parse_listing(response(f"{BASE}/js/", shown, again, rendered=True)))
    articles = [r for r in out if isinstance(r, Request)]
    assert articles and not any(r.meta.get("playwright") for r in articles), "articles start plain"
    assert spider.render.should_render("listing") and spider.listing_request(f"{BASE}/").meta["playwright"]


# -- memory ----------------------------------------------------------------------------------------------------
def test_memory_is_kept_in_the_data_dir_and_forgotten_when_old(tmp_path: Path):
    path = tmp_path / "render.json"
    memory = RenderMemory(path, timedelta(days=7))
    assert memory.remember("merkur.de", "article") and not memory.remember("merkur.de", "article")
    memory.save()
    assert RenderMemory(path, timedelta(days=7)).needs("merkur.de", "article")
    assert not RenderMemory(path, timedelta(days=7)).needs("merkur.de", "listing")

    old = (datetime.now(UTC) - timedelta(days=8)).isoformat()
    path.write_text(json.dumps({"merkur.de": {"article": old}, "tz.de": {"listing": "garbage"}}))
    assert RenderMemory(path, timedelta(days=7)).as_dict() == {}

    other = RenderMemory(path, timedelta(days=7))
    other.remember("tz.de", "listing")
    memory.remember("fr.de", "listing")
    other.save()
    memory.save()  # merges: what another crawl wrote meanwhile stays
    assert set(RenderMemory(path, timedelta(days=7)).as_dict()) == {"merkur.de", "tz.de", "fr.de"}


def test_a_page_rendering_did_not_help_is_not_rendered_again_while_its_plain_page_stays_the_same(tmp_path: Path):
    path, url, week = tmp_path / "render.json", f"{BASE}/sport/", timedelta(days=7)
    empty, other = response(url, "<html><p>Keine Artikel</p></html>"), response(url, "<html><p>Leer</p></html>")
    counted: Counter[str] = Counter()
    policy = RenderPolicy(
        SITE, memory=RenderMemory(path, week), stats=SimpleNamespace(inc_value=lambda key: counted.update([key]))
    )
    extra = policy.retry_rendered("listing", empty, "no teasers")
    assert extra is not None
    again = Request(url, meta={**policy.meta("listing", True), **extra})
    policy.rendered_page_failed("listing", response(url, "<html></html>", again, rendered=True))
    assert policy.retry_rendered("listing", empty, "no teasers") is None, "not again in the same run"
    assert counted["newsmon/render/fallback_skipped/listing"] == 1 and not policy.should_render("listing")
    policy.close()

    later = RenderPolicy(SITE, memory=RenderMemory(path, week))
    assert later.retry_rendered("listing", empty, "no teasers") is None, "nor in the next run"
    assert later.retry_rendered("listing", other, "no teasers") is not None, "a changed plain page is tried"
    assert RenderPolicy(SITE, memory=RenderMemory()).retry_rendered("listing", empty, "x"), "memory in the data dir"

    data = json.loads(path.read_text())
    data["_fruitless"][url]["at"] = (datetime.now(UTC) - timedelta(days=1, minutes=1)).isoformat()
    path.write_text(json.dumps(data))
    aged = RenderPolicy(SITE, memory=RenderMemory(path, week))
    assert aged.retry_rendered("listing", empty, "no teasers"), "at most a day, whatever NEWSMON_RENDER_MEMORY_DAYS"


def test_a_page_rendering_helped_after_all_leaves_the_fruitless_pages(tmp_path: Path):
    path, url, week = tmp_path / "render.json", f"{BASE}/politik/", timedelta(days=7)
    first = RenderPolicy(SITE, memory=RenderMemory(path, week))
    empty = response(url, "<html></html>")
    meta = {**first.meta("listing", True), **(first.retry_rendered("listing", empty, "no teasers") or {})}
    first.rendered_page_failed("listing", response(url, "<html></html>", Request(url, meta=meta), rendered=True))
    first.close()

    second = RenderPolicy(SITE, memory=RenderMemory(path, week))
    scripted = response(url, "<html><script src=teasers.js></script></html>")  # the page changed
    meta = {**second.meta("listing", True), **(second.retry_rendered("listing", scripted, "no teasers") or {})}
    second.rendered_page_read("listing", response(url, "<html>...</html>", Request(url, meta=meta), rendered=True))
    second.close()
    assert "_fruitless" not in json.loads(path.read_text()), "merged away, not put back from the file"
    assert RenderMemory(path, week).needs("merkur.de", "listing")


# -- sampling listing pages that have teasers ---------------------------------------------------------------------
def sampling_policy(path: Path, pages: int = 2, browser: object = lambda: None, site: Site = SITE) -> RenderPolicy:
    memory = RenderMemory(path, timedelta(days=7))
    return RenderPolicy(site, memory=memory, sample_pages=pages, sample_every=timedelta(days=7), browser=browser)


def teaser(url: str) -> SimpleNamespace:
    return SimpleNamespace(url=url, position=1)


def test_sampling_is_bounded_per_run_and_due_again_only_after_its_interval(tmp_path: Path):
    path = tmp_path / "render.json"
    policy = sampling_policy(path)
    plain = [teaser(f"{BASE}/politik/a-91000001.html")]
    pages = [response(f"{BASE}/{slug}/", "<html></html>") for slug in ("", "politik", "welt", "sport")]
    samples = [policy.sample_listing(page, plain) for page in pages]
    assert [bool(s) for s in samples] == [True, True, False, False], "the budget: 2 listing pages"
    assert samples[0] == {SAMPLE_META: {"teasers": plain}}
    assert policy.sample_listing(pages[0], []) is None, "a page without teasers takes the fallback instead"
    policy.close()
    assert set(json.loads(path.read_text())["_sampled"]) == {"merkur.de"}
    assert sampling_policy(path).sample_listing(pages[2], plain) is None, "sampled within 7 days: not again"

    old = (datetime.now(UTC) - timedelta(days=8)).isoformat()
    path.write_text(json.dumps({"_sampled": {"merkur.de": old}}))
    assert sampling_policy(path).sample_listing(pages[2], plain) is not None, "due again after 7 days"
    assert RenderMemory(path, timedelta(days=7)).as_dict() == {}, "`_sampled` is no site"


def test_no_sampling_when_off_never_rendered_or_already_rendering(tmp_path: Path):
    plain = [teaser(f"{BASE}/politik/a-91000001.html")]
    page = response(f"{BASE}/politik/", "<html></html>")
    assert sampling_policy(tmp_path / "a.json", pages=0).sample_listing(page, plain) is None
    never = Site("merkur.de", BASE, render={"listing": "never"})
    assert sampling_policy(tmp_path / "b.json", site=never).sample_listing(page, plain) is None
    rendering = sampling_policy(tmp_path / "c.json")
    rendering.memory.remember("merkur.de", "listing")
    assert rendering.sample_listing(page, plain) is None
    rendered = response(f"{BASE}/politik/", "<html></html>", rendered=True)
    assert sampling_policy(tmp_path / "d.json").sample_listing(rendered, plain) is None


def test_without_a_browser_sampling_is_skipped_with_one_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    def missing() -> None:
        raise BrowserNotFound("no browser at /nowhere (NEWSMON_BROWSER_PATH): install it")

    policy = sampling_policy(tmp_path / "render.json", browser=missing)
    plain = [teaser(f"{BASE}/politik/a-91000001.html")]
    with caplog.at_level("INFO"):
        for slug in ("politik", "welt", "sport"):
            assert policy.sample_listing(response(f"{BASE}/{slug}/", "<html></html>"), plain) is None
    assert [r.getMessage() for r in caplog.records if "sampling" in r.getMessage()] == [
        "Not sampling merkur.de's listing pages rendered: no browser at /nowhere (NEWSMON_BROWSER_PATH): install it"
    ]
    policy.close()
    assert not (tmp_path / "render.json").exists(), "not noted as sampled: the next run with a browser samples"


def test_a_sample_that_adds_teasers_makes_the_site_render_its_listings(tmp_path: Path):
    policy = sampling_policy(tmp_path / "render.json")
    url = f"{BASE}/politik/"
    plain = [teaser(f"{BASE}/politik/a-9100000{n}.html") for n in range(3)]
    meta = policy.sample_listing(response(url, "<html></html>"), plain)
    assert meta is not None
    request = Request(url, meta={**policy.meta("listing", True), **meta})
    same = policy.sample_read(response(url, "<html></html>", request, rendered=True), list(plain), key=lambda t: t.url)
    assert same == plain and not policy.should_render("listing"), "nothing added: the site stays plain"

    added = [teaser(f"{BASE}/politik/b-9200000{n}.html") for n in range(2)]
    got = policy.sample_read(response(url, "", request, rendered=True), [*plain, *added], key=lambda t: t.url)
    assert got == [*plain, *added] and policy.should_render("listing")

    lost = policy.sample_read(response(url, "", request, rendered=True), [plain[0], *added], key=lambda t: t.url)
    assert lost == [*plain, *added], "rendering lost plain teasers: they are kept, the added ones after them"
    assert [t.position for t in added] == [4, 5]


def test_unreadable_memory_file_is_ignored(tmp_path: Path):
    path = tmp_path / "render.json"
    path.write_text("{not json")
    assert RenderMemory(path, timedelta(days=1)).as_dict() == {}


# -- what the browser may load ---------------------------------------------------------------------------------
def fake_request(url: str, kind: str, page_url: str, navigation: bool = False, child_frame: bool = False):
    main = SimpleNamespace(url=page_url)
    frame = SimpleNamespace(parent_frame=main if child_frame else None, page=SimpleNamespace(main_frame=main))
    return SimpleNamespace(url=url, resource_type=kind, frame=frame, is_navigation_request=lambda: navigation)


def test_images_fonts_media_and_other_sites_are_blocked():
    block = RequestBlocker.from_settings(Settings({}))
    page = "https://www.merkur.de/politik/x-91234567.html"
    assert block(fake_request(page, "document", "about:blank", navigation=True)) is False
    assert block(fake_request("https://www.merkur.de/bilder/a.jpg", "image", page)) is True
    assert block(fake_request("https://www.merkur.de/f.woff2", "font", page)) is True
    assert block(fake_request("https://www.merkur.de/v.mp4", "media", page)) is True
    assert block(fake_request("https://www.merkur.de/app.js", "script", page)) is False
    assert block(fake_request("https://static.merkur.de/app.js", "script", page)) is False
    assert block(fake_request("https://securepubads.g.doubleclick.net/tag.js", "script", page)) is True
    assert block(fake_request("https://www.youtube.com/embed/x", "document", page, True, child_frame=True)) is True
    assert is_third_party("http://127.0.0.2/x", "http://127.0.0.1/") and not is_third_party("data:x", "http://a/")

    lenient = RequestBlocker.from_settings(
        Settings({"NEWSMON_RENDER_ALLOW_THIRD_PARTY": True, "NEWSMON_RENDER_BLOCK_TYPES": "image"})
    )
    assert lenient(fake_request("https://securepubads.g.doubleclick.net/tag.js", "script", page)) is False
    assert lenient(fake_request("https://www.merkur.de/f.woff2", "font", page)) is False


# -- settings and browser --------------------------------------------------------------------------------------
def test_addon_registers_the_handler_and_maps_settings_unless_rendering_is_off():
    settings = Settings({"NEWSMON_BROWSER_PATH": "/opt/chrome", "NEWSMON_RENDER_MAX_PAGES": 2})
    settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", 5000, priority="project")
    RenderAddon().update_settings(settings)
    assert settings.getdict("DOWNLOAD_HANDLERS") == {"http": HANDLER, "https": HANDLER}
    options = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
    assert options["executable_path"] == "/opt/chrome" and "--disable-quic" in options["args"]
    assert settings.getint("PLAYWRIGHT_MAX_CONTEXTS") == 2, "one in use, one retiring"
    assert settings.getint("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT") == 2
    assert settings.getint("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT") == 5000, "a project's own setting wins"

    off = Settings({"NEWSMON_RENDER": "never"})
    RenderAddon().update_settings(off)
    assert not off.getdict("DOWNLOAD_HANDLERS") and off.get("PLAYWRIGHT_LAUNCH_OPTIONS") is None
    with pytest.raises(ValueError, match="NEWSMON_RENDER"):
        RenderAddon().update_settings(Settings({"NEWSMON_RENDER": "sometimes"}))


def test_launch_defaults_are_the_documented_ones():
    defaults = {opt.setting: opt.default for opt in OPTIONS}
    assert defaults["NEWSMON_BROWSER_PATH"] == DEFAULT_BROWSER_PATH
    assert defaults["NEWSMON_BROWSER_ARGS"] == DEFAULT_BROWSER_ARGS
    assert launch_options(Settings({}))["args"] == DEFAULT_BROWSER_ARGS.split()


def test_a_missing_browser_names_what_to_install(tmp_path: Path):
    with pytest.raises(BrowserNotFound, match=r"apt-get install -y chromium.*NEWSMON_BROWSER_PATH"):
        find_browser(Settings({"NEWSMON_BROWSER_PATH": str(tmp_path / "chromium")}))
    not_executable = tmp_path / "chrome"
    not_executable.write_text("")
    with pytest.raises(BrowserNotFound, match="not executable"):
        find_browser(Settings({"NEWSMON_BROWSER_PATH": str(not_executable)}))


def test_chromium_is_installed_for_rendering():
    """CI installs Debian's chromium (`make browser`, a dependency of `make test`)."""
    try:
        find_browser()
    except BrowserNotFound as exc:
        pytest.fail(f"rendering needs a browser: {exc}")
