"""Everything that speaks to MongoDB lives in this package. Crawl components come in by one door,
`facade.Store` (and `facade.enabled`); consumers read with `connection.connect` and the names in `schema`."""
