"""`scrapy crawl` with newsmon's checks and exit codes (see crawler.apps.scrapy_commands.run_crawl)."""

from __future__ import annotations

import argparse
import sys

from scrapy import Spider
from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler.apps.scrapy_commands import USAGE, check_crawl, run_crawl


class Command(ScrapyCrawl):
    _spidercls: type[Spider] | None = None

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        """Check spider, settings and arguments here, before Scrapy starts its logging and its banner: a mistake
        is the only line printed."""
        super().process_options(args, opts)
        if len(args) != 1:
            raise UsageError("give one spider name" if args else "")
        assert self.settings is not None
        self._spidercls = check_crawl(self.settings, args[0], opts.spargs, "scrapy crawl")
        if self._spidercls is None:
            sys.exit(USAGE)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.crawler_process is not None and self._spidercls is not None
        self.exitcode = run_crawl(self.crawler_process, self._spidercls, opts.spargs, self._create_crawler)
