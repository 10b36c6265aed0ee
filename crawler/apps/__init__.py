"""The applications: the newsmon CLI, the schedule, the summary, Scrapy command overrides.

(`make demo` runs from a checkout, tests/support/demo.py: it serves the local site, which is not installed.)
"""
