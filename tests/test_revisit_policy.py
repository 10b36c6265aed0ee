"""The revisit policy and the run's planner, offline: intervals by age, due times, signals, modes, budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response

from crawler.discover.revisit.planner import RevisitPlanner, refresh_mode
from crawler.discover.revisit.policy import Hint, Intervals, Known, RevisitPolicy, last_change, parse_duration
from spiders.ippen import MerkurSpider
from tests.support.localsite import LocalSite

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BASE = "http://127.0.0.1:8800"
H = timedelta(hours=1)
D = timedelta(days=1)


def known(n: int = 1, **fields) -> Known:
    values = {
        "article_id": f"merkur.de:{91000000 + n}",
        "url": f"{BASE}/welt/artikel-{91000000 + n}.html",
        "last_fetched": NOW - 2 * H,
        "published": NOW - 10 * D,
        "version": 1,
    }
    values.update(fields)
    return Known(**values)


def test_default_intervals_follow_newsdiffs():
    intervals = Intervals.parse()
    expected = [
        (timedelta(minutes=10), timedelta(minutes=15)),
        (2 * H + timedelta(minutes=59), timedelta(minutes=15)),
        (3 * H, H),
        (23 * H, H),
        (D, 3 * H),
        (6 * D, 3 * H),
        (7 * D, 3 * D),
        (29 * D, 3 * D),
        (30 * D, 30 * D),
        (900 * D, 30 * D),
    ]
    assert [intervals.interval(age) for age, _ in expected] == [interval for _, interval in expected]


@pytest.mark.parametrize(
    ("text", "message"),
    [("3h=15m", "end with"), ("3h=15m, 1h=5m, *=1d", "must increase"), ("3h", "age=interval"), ("*=soon", "not a")],
)
def test_bad_intervals_are_refused_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        Intervals.parse(text)


def test_durations():
    assert parse_duration("15m") == timedelta(minutes=15)
    assert parse_duration("1.5d") == timedelta(hours=36)
    assert parse_duration(" 2w ") == timedelta(days=14)


def test_next_visit_grows_with_the_time_since_the_last_change():
    policy = RevisitPolicy()
    assert policy.next_visit(NOW, NOW - H) == NOW + timedelta(minutes=15)
    assert policy.next_visit(NOW, NOW - 2 * D) == NOW + 3 * H
    assert policy.next_visit(NOW, NOW - 700 * D) == NOW + 30 * D
    assert policy.next_visit(NOW, None) == NOW + timedelta(minutes=15), "no date known: treated as new"


def test_the_last_change_is_publication_modification_or_a_stored_edit_not_the_first_fetch():
    old = known(published=NOW - 400 * D, modified=NOW - 300 * D, last_changed=NOW - H, version=1)
    assert last_change(old) == NOW - 300 * D, "a first version only says when newsmon first fetched it"
    edited = known(published=NOW - 400 * D, last_changed=NOW - H, version=2)
    assert last_change(edited) == NOW - H
    naive = known(published=datetime(2026, 11, 20, 11, 0), version=1)  # pymongo without tz_aware
    assert last_change(naive) == NOW - H


def test_due_from_the_stored_next_visit_else_from_the_last_fetch():
    policy = RevisitPolicy()
    assert policy.is_due(known(next_visit=NOW - timedelta(seconds=1)), NOW)
    assert not policy.is_due(known(next_visit=NOW + H), NOW)
    # stored before next_visit existed: last fetch + interval (10 days old: every 3 days)
    assert not policy.is_due(known(last_fetched=NOW - 2 * D), NOW)
    assert policy.is_due(known(last_fetched=NOW - 4 * D), NOW)
    assert policy.is_due(known(last_fetched=None), NOW)


def test_signals_teaser_headline_and_dates_moved_past_the_stored_ones():
    stored = known(teaser_headline="„Droht die Eskalation?“ Baerbock warnt", modified=NOW - D)
    assert RevisitPolicy.signal(stored, Hint(headline='"Droht die Eskalation?" Baerbock  warnt')) is None
    assert RevisitPolicy.signal(stored, Hint(headline="Baerbock reist nach Kiew")) == "teaser_headline"
    assert RevisitPolicy.signal(known(), Hint(headline="no stored teaser: nothing to compare")) is None
    assert RevisitPolicy.signal(stored, Hint(modified=NOW - D + timedelta(milliseconds=400))) is None
    assert RevisitPolicy.signal(stored, Hint(modified=NOW)) == "modified"
    acted = known(modified=NOW - D, hinted_modified=NOW)
    assert RevisitPolicy.signal(acted, Hint(modified=NOW)) is None, "a date already acted on does not repeat"
    assert RevisitPolicy.signal(known(published=None), Hint(modified=NOW)) == "modified"


def planner(mode: str = "due", budget: int = 500, *articles: Known) -> RevisitPlanner:
    plan = RevisitPlanner(None, "merkur.de", refresh=mode, budget=budget, store=False)
    plan.now = NOW
    plan.known = {k.article_id: k for k in articles}
    plan.by_url = {k.url: k.article_id for k in articles}
    return plan


def test_unknown_articles_are_always_fetched_and_known_ones_by_mode():
    fresh = known(1, next_visit=NOW + H)
    due = known(2, next_visit=NOW - H)
    new_url = f"{BASE}/welt/neu-92000000.html"
    plan = planner("due", 500, fresh, due)
    assert plan.admit(new_url).reason == "new"
    assert plan.admit(fresh.url + "?utm_source=x") is None
    assert plan.admit(due.url).reason == "due"
    assert plan.admit(due.url) is None, "once per run"
    assert planner("linked", 0, fresh).admit(fresh.url).reason == "linked"
    assert planner("all", 0, fresh).admit(fresh.url).reason == "refresh"
    assert planner("due", 0, fresh).admit(fresh.url, requested=True).reason == "requested"
    with pytest.raises(ValueError, match="use one of due, linked, all"):
        refresh_mode("everything")


def test_the_budget_goes_to_signals_and_the_most_overdue_linked_or_not():
    articles = [known(n, next_visit=NOW - n * H) for n in range(1, 7)]  # the last one is the most overdue
    plan = planner("due", 3, *articles)
    assert plan.admit(articles[0].url) is None, "due, but three are more overdue: the budget is theirs"
    assert plan.admit(articles[4].url).reason == "due"
    assert plan.admit(articles[1].url, Hint(modified=NOW)).reason == "modified", "a signal needs no turn"
    left = plan.leftovers()
    assert [a.known.article_id for a in left] == [articles[5].article_id], "one left in the budget: most overdue"
    assert plan.admit(articles[3].url) is None, "over budget"
    assert plan.admit(f"{BASE}/welt/neu-92000000.html") is not None, "new articles are never over budget"
    assert planner("due", -1, *articles).admit(articles[0].url).reason == "due", "no budget: every due one"
    everything = planner("all", 0, *articles)
    assert len(everything.leftovers()) == len(articles)


def test_validators_are_sent_back_on_a_refetch():
    article = known(1, next_visit=NOW - H, etag='"abc"', last_modified="Tue, 17 Nov 2026 08:00:00 GMT")
    plan = planner("due", 10, article)
    admission = plan.admit(article.url)
    assert plan.headers(admission) == {"If-None-Match": '"abc"', "If-Modified-Since": "Tue, 17 Nov 2026 08:00:00 GMT"}
    plan.conditional = False
    assert plan.headers(admission) == {}


def _spider(*articles: Known) -> MerkurSpider:
    spider = MerkurSpider(base_url=BASE, refresh="due")
    spider._revisit = planner("due", 500, *articles)
    return spider


def test_the_spider_skips_known_articles_not_due_and_a_later_signal_still_lets_them_in():
    article = known(1, next_visit=NOW + D, modified=NOW - 5 * D, etag='"v1"')
    spider = _spider(article)
    assert list(spider._article_requests([article.url])) == []
    (request,) = spider._article_requests([article.url], {article.url: Hint(modified=NOW)})
    assert request.headers.get("If-None-Match") == b'"v1"'
    assert request.meta["handle_httpstatus_list"] == [304]
    assert request.meta["newsmon_revisit"]["reason"] == "modified"


def test_a_304_is_not_parsed_and_a_fresh_page_carries_validators_and_next_visits(fixtures_dir):
    site = LocalSite(n_articles=2, seed=1, fixtures_dir=fixtures_dir)
    spec = site.article(site.seed_article_id)
    page = site.respond(spec.path)
    url = BASE + spec.path
    article = known(0, url=url, article_id=f"merkur.de:{spec.id}", next_visit=NOW - H, etag='"v1"')
    spider = _spider(article)
    (request,) = spider._article_requests([url])
    assert list(spider.parse_article(Response(url, status=304, request=request))) == []
    assert spider.revisit.crawler is None  # offline: nothing to write, the 304 is only counted

    response = HtmlResponse(url, body=page.body, headers={"ETag": '"v2"', "Last-Modified": "x"}, request=request)
    (item,) = spider.parse_article(response)
    assert (item.etag, item.last_modified) == ('"v2"', "x")
    age = item.fetched_at - max(d for d in (item.published, item.modified) if d)
    assert item.next_visit - item.fetched_at == RevisitPolicy().intervals.interval(age)
    assert item.next_visit_changed - item.fetched_at == timedelta(minutes=15), "an edit makes it young again"


def test_the_incremental_addon_comes_with_every_newsmon_spider():
    from scrapy.settings import Settings

    settings = Settings({"ADDONS": {"crawler.config.EnvSettingsAddon": 0}})
    MerkurSpider.update_settings(settings)
    addons = settings.getdict("ADDONS")
    assert addons == {"crawler.config.EnvSettingsAddon": 0, "crawler.discover.revisit.addon.IncrementalAddon": 20}


def test_requests_without_a_crawler_are_plain():
    spider = MerkurSpider(base_url=BASE)
    (request,) = spider._article_requests([f"{BASE}/welt/a-91234567.html"])
    assert isinstance(request, Request) and not request.headers.get("If-None-Match")
    assert request.meta["newsmon_revisit"]["reason"] == "new"
