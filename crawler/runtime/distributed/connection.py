"""The Redis client of distributed mode, with timeouts that suit a reactor thread."""

from __future__ import annotations

import re
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from scrapy.settings import BaseSettings
from scrapy_redis import defaults
from scrapy_redis.connection import get_redis

CONNECT_TIMEOUT = 2.0
SOCKET_TIMEOUT = 5.0
REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError, redis.ReadOnlyError)
"""Errors of an unreachable, restarting or failing-over Redis: the crawl pauses on these and goes on after."""


def client_params(settings: BaseSettings) -> dict[str, Any]:
    """REDIS_PARAMS for scrapy-redis' client factory.

    Why not its defaults: they wait 30 s to connect and redis-py retries each command with backoff; every call is
    made on Scrapy's reactor thread, so a Redis that went away would freeze the crawl for that long each time.
    Here a call fails within seconds and newsmon pauses the crawl itself (`crawler.runtime.distributed.worker`).
    """
    params: dict[str, Any] = {
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "socket_timeout": SOCKET_TIMEOUT,
        "retry_on_timeout": False,
        "retry": Retry(NoBackoff(), 0),
        "health_check_interval": 10,
    }
    params.update(settings.getdict("REDIS_PARAMS"))
    return params


def redis_from_settings(settings: BaseSettings) -> redis.Redis:
    """A client for `REDIS_URL` through scrapy-redis' factory (responses stay bytes: requests are pickled)."""
    return get_redis(url=settings.get("REDIS_URL"), **{**defaults.REDIS_PARAMS, **client_params(settings)})


def redact(url: str | None) -> str:
    """A Redis URL fit for a log line: no password."""
    return re.sub(r"(?<=://)([^@/]*)@", lambda m: "***@" if m.group(1) else "@", url or "")
