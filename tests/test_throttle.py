"""AutoThrottle lowers its delay on `304`s as on `200`s (an unchanged re-crawl is all 304s), and still not on
error pages; Scrapy's stock extension keeps the start delay on 304s (the slow re-crawl of issue 16)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from scrapy.extensions.throttle import AutoThrottle as ScrapyAutoThrottle
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawler.runtime.extensions.throttle import AutoThrottle


def delays(cls: type, status: int, answers: int = 10) -> list[float]:
    throttle = cls(get_crawler(settings_dict={"AUTOTHROTTLE_ENABLED": True, "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0}))
    throttle.mindelay, throttle.maxdelay = 0.0, 60.0
    slot = SimpleNamespace(delay=0.5)
    seen = []
    for _ in range(answers):
        throttle._adjust_delay(slot, 0.004, Response("http://127.0.0.1/a-12345678.html", status=status))
        seen.append(slot.delay)
    return seen


def test_a_fast_304_lowers_the_delay_like_a_fast_200():
    assert delays(AutoThrottle, 304) == delays(AutoThrottle, 200)
    assert delays(AutoThrottle, 304)[-1] < 0.01


def test_the_stock_extension_keeps_the_start_delay_on_304s():
    assert delays(ScrapyAutoThrottle, 304)[-1] == 0.5


@pytest.mark.parametrize("status", [404, 500, 302])
def test_error_pages_and_redirects_still_do_not_lower_it(status):
    assert delays(AutoThrottle, status)[-1] == 0.5


def test_the_project_uses_it_instead_of_scrapys():
    from crawler.config import load_settings

    extensions = load_settings().getdict("EXTENSIONS")
    assert extensions["scrapy.extensions.throttle.AutoThrottle"] is None
    assert "crawler.runtime.extensions.throttle.AutoThrottle" in extensions
