"""Downloader middlewares that keep a misbehaving publisher from costing pages silently."""
