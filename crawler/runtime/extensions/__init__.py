"""Scrapy extensions: run records and health."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from scrapy.utils.defer import maybe_deferred_to_future

T = TypeVar("T")


def awaitable_handler(method: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """A signal handler that returns a Deferred, as a coroutine: Scrapy 2.19 deprecates (and warns in every crawl
    about) handlers returning Deferreds, and the store's writes are Twisted threads, so ours are built that way."""

    wanted = inspect.signature(method).parameters

    @functools.wraps(method)
    async def handler(*args: Any, **kwargs: Any) -> Any:
        # Scrapy's dispatcher passes every signal argument to a handler taking **kwargs: only the method's own.
        mine = {name: value for name, value in kwargs.items() if name in wanted}
        return await maybe_deferred_to_future(method(*args, **mine))

    return handler
