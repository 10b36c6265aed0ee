"""What newsmon's contained mongoeco overrides share (`mongoeco_fastpath`, `mongoeco_wire`): a mongoeco function
found by its qualified name, and the hash of its stock source.

Each override records the hashes of the stock code it replaces or relies on; when an upgrade changes any of it the
override stays off (stock behaviour, with a warning) instead of misbehaving. See docs/embedded-database.md.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any


def resolve(qualified: str) -> Any:
    """`module.path:Class.attr` (or `module.path:function`) as the object the module holds, static methods and
    class methods unwrapped to their function."""
    module_name, _, attr_path = qualified.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr_path.split("."):
        obj = inspect.getattr_static(obj, part) if isinstance(obj, type) else getattr(obj, part)
    if isinstance(obj, staticmethod | classmethod):
        obj = obj.__func__
    return obj


def hash_source(obj: Any) -> str:
    """sha256 (first 16 hex digits) of `inspect.getsource(obj)`."""
    return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()[:16]


def changed(recorded: Mapping[str, str], source_hash: Callable[[str], str]) -> list[str]:
    """The recorded functions whose stock source no longer hashes as recorded."""
    return [name for name, expected in recorded.items() if source_hash(name) != expected]


def print_hashes(recorded: Mapping[str, str], source_hash: Callable[[str], str]) -> None:
    """The hashes of today's installed mongoeco, as lines to paste into an override's table."""
    for qualified in recorded:
        print(f'    "{qualified}": "{source_hash(qualified)}",')
