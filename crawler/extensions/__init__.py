"""Scrapy extensions: run records and health."""
