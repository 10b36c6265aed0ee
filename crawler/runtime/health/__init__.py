"""Crawl health: what a run read (field coverage, rejects, HTTP errors, pages per minute), compared with the
site's recent runs, so that a silently broken crawl raises an alert instead of exiting 0 with nothing new.

| module | job |
|---|---|
| `coverage.py` | share of articles that have each field (pure) |
| `metrics.py` | the run's health figures from Scrapy stats and the coverage (pure) |
| `baseline.py` | compare a run's figures with the site's recent runs: alerts (pure) |
| `history.py` | read the site's recent runs' figures from `crawl_runs` |
| `monitors.py` | the close-of-run spidermon suite: spidermon's own monitors and the baseline comparison |
| `extension.py` | the Scrapy extension that runs it all at the run's end and records `crawl_runs.health` |
| `report.py` | `newsmon health`: the latest runs' health in short |
"""
