"""The applications: the newsmon CLI, the schedule, the summary, the demo, Scrapy command overrides."""
