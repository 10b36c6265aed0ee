"""Crawl-time Scrapy components: extensions, middlewares, and the render, distributed and health add-ons."""
