"""Discovery: the spider, the sites it reads, and revisiting (policy, planner, HTTP cache)."""
