"""The browser newsmon renders with: Debian's Chromium binary, launched by Playwright with flags from settings.

Settings: `NEWSMON_BROWSER_PATH` (the binary), `NEWSMON_BROWSER_ARGS` (extra command-line flags). Playwright
downloads no browser here: it launches the binary it is given, and :func:`find_browser` says what to install
when that binary is missing.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings

from crawler.config import default, option

DEFAULT_BROWSER_PATH = default("NEWSMON_BROWSER_PATH")
"""Debian's real Chromium binary (the /usr/bin/chromium wrapper adds flags and prints shell warnings)."""
DEFAULT_BROWSER_ARGS = default("NEWSMON_BROWSER_ARGS")
INSTALL_HINT = (
    "install Debian's Chromium (`apt-get install -y chromium`, or `make browser`), "
    "or set NEWSMON_BROWSER_PATH to a Chromium or Chrome binary"
)


class BrowserNotFound(RuntimeError):
    """No browser binary to render with; the message says what to install or set."""


def browser_path(settings: BaseSettings | None = None) -> str:
    """The setting, else the environment variable (callers without settings: tests, benchmarks), else Debian's."""
    configured = settings.get("NEWSMON_BROWSER_PATH") if settings is not None else None
    return str(configured or os.environ.get("NEWSMON_BROWSER_PATH") or default("NEWSMON_BROWSER_PATH"))


def find_browser(settings: BaseSettings | None = None) -> Path:
    """The browser binary from settings (default: Debian's Chromium); BrowserNotFound names what to install."""
    path = Path(browser_path(settings)).expanduser()
    if not path.is_file():
        raise BrowserNotFound(f"no browser at {path} (NEWSMON_BROWSER_PATH): {INSTALL_HINT}")
    if not os.access(path, os.X_OK):
        raise BrowserNotFound(f"{path} (NEWSMON_BROWSER_PATH) is not executable: {INSTALL_HINT}")
    return path


def launch_options(settings: BaseSettings) -> dict[str, Any]:
    """PLAYWRIGHT_LAUNCH_OPTIONS from newsmon's settings: the binary, headless, the flags."""
    return {
        "executable_path": browser_path(settings),
        "headless": True,
        "args": shlex.split(str(option(settings, "NEWSMON_BROWSER_ARGS"))),
    }
