"""`scrapy crawl` with newsmon's checks and exit codes (see crawler.scrapy_commands.run_crawl)."""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler.scrapy_commands import run_crawl


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider name" if args else "")
        assert self.crawler_process is not None
        self.exitcode = run_crawl(self.crawler_process, args[0], opts.spargs, "scrapy crawl", self._create_crawler)
