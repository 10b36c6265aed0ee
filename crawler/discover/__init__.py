"""Discovery: the spider (listings, feeds, sitemaps), listing caps, and revisiting (policy, planner, HTTP cache)."""
