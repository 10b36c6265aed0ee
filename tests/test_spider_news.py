"""The generic `news` spider: site configs, feeds of every kind, sitemaps, and a crawl of the local site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import XmlResponse

from crawler.model.sites import SiteConfigError, load_site
from spiders.news import GenericNewsSpider
from tests.support.crawling import crawl, stored_ids


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_is_read_with_defaults(tmp_path):
    site = load_site(
        write_config(
            tmp_path,
            'key = "tagesschau.de"\nbase_url = "https://www.tagesschau.de"\narticle_pattern = "-\\\\d+\\\\.html$"\n'
            'feeds = ["/xml/rss2/"]\n',
        )
    )
    assert (site.key, site.feeds, site.start_pages, site.profile) == ("tagesschau.de", ("/xml/rss2/",), ("/",), "auto")
    assert site.article_regex.search("/inland/haushalt-100.html")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('key = "x"\n', "missing base_url, article_pattern"),
        ('key = "x"\nbase_url = "https://x"\narticle_pattern = "("\n', "article_pattern is not a regex"),
        ('key = "x"\nbase_url = "https://x"\narticle_pattern = "a"\nfeed = ["/rss"]\n', "unknown keys feed"),
        ('key = "x"\nbase_url = "ftp://x"\narticle_pattern = "a"\n', "base_url must be an http"),
        ("key = \n", "Invalid value"),
    ],
)
def test_bad_configs_say_what_is_wrong(tmp_path, text, message):
    with pytest.raises(SiteConfigError, match=message):
        load_site(write_config(tmp_path, text))


def test_the_news_spider_needs_a_config():
    with pytest.raises(ValueError, match="needs -a config=FILE"):
        GenericNewsSpider()


@pytest.mark.parametrize(
    ("feed", "host"),
    [
        ("tagesschau_rss2_2023_12_12", "www.tagesschau.de"),
        ("tagesschau_rdf_rss1", "www.tagesschau.de"),
        ("tagesschau_atom03_2023_12_12", "www.tagesschau.de"),
        ("ntv_rss2", "www.n-tv.de"),
    ],
)
def test_every_feed_format_yields_its_articles(tmp_path, fixtures_dir, feed, host):
    config = write_config(tmp_path, f'key = "{host}"\nbase_url = "https://{host}"\narticle_pattern = "\\\\.html$"\n')
    spider = GenericNewsSpider(config=str(config))
    body = (fixtures_dir / f"feeds/{feed}.xml").read_bytes()
    url = f"https://{host}/feed.xml"
    requests = list(spider.parse_feed(XmlResponse(url=url, body=body, request=Request(url))))
    expected = json.loads((fixtures_dir / f"feeds/{feed}.expected.json").read_text(encoding="utf-8"))
    links = [i["link"] for i in expected["expected_items"] if i["link"].endswith(".html")]
    assert [r.url for r in requests] == links


def test_news_sitemap_publication_dates_filter_with_since(tmp_path):
    config = write_config(tmp_path, 'key = "x.de"\nbase_url = "https://x.de"\narticle_pattern = "/artikel/"\n')
    spider = GenericNewsSpider(config=str(config), since="2026-11-20")
    body = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>https://x.de/artikel/alt</loc><news:news><news:publication_date>2026-11-01T08:00:00+01:00</news:publication_date></news:news></url>
      <url><loc>https://x.de/artikel/neu</loc><news:news><news:publication_date>2026-11-24T08:00:00+01:00</news:publication_date></news:news></url>
    </urlset>"""
    url = "https://x.de/news.xml"
    requests = list(spider.parse_sitemap(XmlResponse(url=url, body=body, request=Request(url))))
    assert [r.url for r in requests] == ["https://x.de/artikel/neu"]


@pytest.mark.parametrize("profile", ["generic", "auto"])
def test_generic_spider_crawls_the_local_site_from_a_config(tmp_path, mongo_uri, db, profile):
    from tests.support.localsite import LocalSite

    local = LocalSite(n_articles=12, seed=5)
    with local.serve(port=0) as base_url:
        config = write_config(
            tmp_path,
            f'key = "merkur.de"\nbase_url = "{base_url}"\narticle_pattern = "-\\\\d{{5,}}\\\\.html$"\n'
            f'start_pages = ["/", "/politik/"]\nsitemaps = ["/news.xml"]\nprofile = "{profile}"\n',
        )
        crawl(base_url, mongo_uri, db, tmp_path, "-a", f"config={config}", spider="news")
    assert stored_ids(db) == {f"merkur.de:{a.id}" for a in local.articles}
    seed = db.articles.find_one({"_id": f"merkur.de:{local.seed_article_id}"})
    assert "Baerbock" in seed["headline"]
    assert seed["published"] is not None
    assert db.teasers.count_documents({}) > 0
    assert db.crawl_runs.find_one()["args"]["config"] == str(config)


def test_every_profile_a_site_may_name_is_an_extraction_profile():
    """Sites name profiles as data (model) and extraction reads them: the two lists are one."""
    from crawler.extract.profiles import PROFILES
    from crawler.model.sites import PROFILE_NAMES

    assert set(PROFILE_NAMES) == set(PROFILES)
