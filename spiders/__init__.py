"""Spiders: discovery and routing only; extraction lives in crawler.extract."""
