"""Revisiting: when a known article is due again, and conditional requests for listings."""
