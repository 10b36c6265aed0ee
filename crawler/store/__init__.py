"""Everything that speaks to MongoDB lives in this package."""
