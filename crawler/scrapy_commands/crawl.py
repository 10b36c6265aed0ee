"""`scrapy crawl` with newsmon's checks and exit codes (see crawler.scrapy_commands.run_crawl)."""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler.scrapy_commands import USAGE, check_crawl, run_crawl


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider name" if args else "")
        assert self.crawler_process is not None
        spidercls = check_crawl(self.crawler_process.settings, args[0], opts.spargs, "scrapy crawl")
        if spidercls is None:
            self.exitcode = USAGE
            return
        self.exitcode = run_crawl(self.crawler_process, spidercls, opts.spargs, self._create_crawler)
