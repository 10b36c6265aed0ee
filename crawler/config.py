"""The settings a user changes, in one table, and the one place env variables map onto them.

Each :class:`Option` names a Scrapy setting, its environment variable and its default. The README's
settings table is generated from :data:`OPTIONS` (``python -m crawler.config``) and a test checks that
it is current, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings, Settings
from scrapy.utils.misc import load_object
from scrapy.utils.project import get_project_settings


@dataclass(frozen=True)
class Option:
    setting: str
    env: str
    default: Any
    doc: str
    choices: tuple[str, ...] = ()
    """The values a text setting accepts (checked case-insensitively); empty: any."""
    check: Callable[[Any], Any] | str | None = None
    """Parses a text setting's value and raises ValueError when it is not acceptable. A stage's own parser is named
    by dotted path (as Scrapy settings name components), so this module imports no stage (docs/architecture.md)."""


def _check_mongo_uri(value: Any) -> Any:
    if not str(value).startswith(("mongodb://", "mongodb+srv://")):
        raise ValueError("expects a MongoDB URI (mongodb://host[:port][/database])")
    return value


OPTIONS: tuple[Option, ...] = (
    Option(
        "MONGO_URI",
        "MONGO_URI",
        None,
        "MongoDB connection string. Unset: newsmon starts (or reuses) its embedded server.",
        check=_check_mongo_uri,
    ),
    Option(
        "NEWSMON_MONGO_DB",
        "NEWSMON_MONGO_DB",
        None,
        "Database name. Unset: the database of `MONGO_URI` (`mongodb://host/mydesk`: `mydesk`; not `admin`), "
        "else `newsmon`.",
    ),
    Option(
        "NEWSMON_DATA_DIR",
        "NEWSMON_DATA_DIR",
        None,
        "Where the embedded database and the write spool live. Default: `$XDG_DATA_HOME/newsmon` "
        "(`~/.local/share/newsmon`).",
    ),
    Option(
        "NEWSMON_EMBEDDED_PORT",
        "NEWSMON_EMBEDDED_PORT",
        0,
        "Port of the embedded server when newsmon starts it (0: a free port, recorded in the data dir).",
    ),
    Option(
        "NEWSMON_STORE_BATCH_SIZE",
        "NEWSMON_STORE_BATCH_SIZE",
        50,
        "Items per bulk write (the store writes while the crawl runs instead of catching up after it).",
    ),
    Option(
        "NEWSMON_ALERT_JSONL",
        "NEWSMON_ALERT_JSONL",
        None,
        "Append every alerted change and health alert to this JSON-lines file.",
    ),
    Option("NEWSMON_ALERT_JSONL_FSYNC", "NEWSMON_ALERT_JSONL_FSYNC", False, "fsync the alert file after each line."),
    Option(
        "NEWSMON_ALERT_WEBHOOK",
        "NEWSMON_ALERT_WEBHOOK",
        None,
        "POST alerts as Slack-compatible JSON to this URL (retried in the background; never blocks the crawl).",
    ),
    Option("NEWSMON_ALERT_WEBHOOK_RETRIES", "NEWSMON_ALERT_WEBHOOK_RETRIES", 3, "Attempts per webhook alert."),
    Option("NEWSMON_ALERT_WEBHOOK_TIMEOUT", "NEWSMON_ALERT_WEBHOOK_TIMEOUT", 10.0, "Seconds per webhook attempt."),
    Option(
        "NEWSMON_ALERT_WEBHOOK_QUEUE",
        "NEWSMON_ALERT_WEBHOOK_QUEUE",
        1000,
        "Alerts waiting for the webhook; when full, new ones are dropped (and logged), the crawl goes on.",
    ),
    Option(
        "NEWSMON_ALERT_MIN_WORDS",
        "NEWSMON_ALERT_MIN_WORDS",
        1,
        "Alert only on changes of at least this many words (the change is stored either way).",
    ),
    Option(
        "NEWSMON_ALERT_FIELDS",
        "NEWSMON_ALERT_FIELDS",
        None,
        "Comma-separated fields to alert on, e.g. `headline,kicker` (a name covers its sub-fields). Unset: all.",
    ),
    Option(
        "NEWSMON_ALERT_CLASSES",
        "NEWSMON_ALERT_CLASSES",
        None,
        "Comma-separated edit classes to alert on. Unset: all but `metadata` and `ab_flip`.",
    ),
    Option(
        "NEWSMON_ALERT_AB_FLIPS",
        "NEWSMON_ALERT_AB_FLIPS",
        False,
        "Alert on `ab_flip` changes too (a teaser's A/B test showing another of its wordings).",
    ),
    Option(
        "NEWSMON_AB_WINDOW_DAYS",
        "NEWSMON_AB_WINDOW_DAYS",
        7.0,
        "A teaser wording that returns to one seen within this many days is an A/B test flip (`ab_flip`).",
    ),
    Option(
        "NEWSMON_DRIFT_MIN_ARTICLES",
        "NEWSMON_DRIFT_MIN_ARTICLES",
        5,
        "Articles of a site compared in a run before a field going empty (or appearing) on most can count as drift.",
    ),
    Option(
        "NEWSMON_DRIFT_THRESHOLD",
        "NEWSMON_DRIFT_THRESHOLD",
        0.5,
        "Share of those articles whose field flipped at which the flips are drift (health alert), not edits.",
    ),
    Option(
        "NEWSMON_TEASER_BUFFER",
        "NEWSMON_TEASER_BUFFER",
        5000,
        "Teased articles gathered in memory per run before their teaser records are written early.",
    ),
    Option(
        "NEWSMON_STORE_FLUSH_SECONDS",
        "NEWSMON_STORE_FLUSH_SECONDS",
        2.0,
        "Longest time an item waits in memory before its batch is written.",
    ),
    Option(
        "NEWSMON_STORE_RETRIES",
        "NEWSMON_STORE_RETRIES",
        3,
        "Attempts per batch (with backoff) before it is spooled to disk.",
    ),
    Option(
        "NEWSMON_STORE_RETRY_BACKOFF",
        "NEWSMON_STORE_RETRY_BACKOFF",
        1.0,
        "Seconds before the first retry; doubles on each attempt.",
    ),
    Option(
        "NEWSMON_STORE_TIMEOUT_MS",
        "NEWSMON_STORE_TIMEOUT_MS",
        5000,
        "Server selection / connect timeout of the MongoDB client, in milliseconds.",
    ),
    Option(
        "NEWSMON_CRAWL_RUNS_ENABLED",
        "NEWSMON_CRAWL_RUNS_ENABLED",
        True,
        "Record each run in `crawl_runs` (its counts and stop reason; health compares runs with these records).",
    ),
    Option(
        "NEWSMON_HEALTH_ENABLED",
        "NEWSMON_HEALTH_ENABLED",
        True,
        "Judge each run's health when it ends (field coverage, error rates, staleness, drift; docs/reliability.md).",
    ),
    Option(
        "NEWSMON_HEALTH_HISTORY_RUNS",
        "NEWSMON_HEALTH_HISTORY_RUNS",
        10,
        "Recent runs of a site each run's health figures are compared with (medians); see docs/reliability.md.",
    ),
    Option(
        "NEWSMON_HEALTH_COVERAGE_DROP",
        "NEWSMON_HEALTH_COVERAGE_DROP",
        0.5,
        "Health alert when a field's share of articles falls below this fraction of its usual share.",
    ),
    Option(
        "NEWSMON_HEALTH_MAX_ERROR_RATE",
        "NEWSMON_HEALTH_MAX_ERROR_RATE",
        0.1,
        "Health alert when at least this share of requests fails (5xx, 403, 408, 429, download errors), or of "
        "pages is rejected, and it is more than twice the usual share.",
    ),
    Option(
        "NEWSMON_HEALTH_STALE_HOURS",
        "NEWSMON_HEALTH_STALE_HOURS",
        24.0,
        "Health alert when a site's runs found no new article and no new version for longer than this.",
    ),
    Option(
        "NEWSMON_HEALTH_MIN_ARTICLES",
        "NEWSMON_HEALTH_MIN_ARTICLES",
        5,
        "Articles a run needs before its field coverage is compared (smaller runs are too small a sample).",
    ),
    Option(
        "USER_AGENT",
        "NEWSMON_USER_AGENT",
        "newsmon/0.1 (news monitoring crawler; set NEWSMON_USER_AGENT to add a contact address)",
        "User-Agent sent to publishers (also by the browser).",
    ),
    Option(
        "NEWSMON_RENDER",
        "NEWSMON_RENDER",
        "auto",
        "JavaScript rendering: `auto` (each site's `render`; plain pages without teasers or body are fetched again "
        "rendered), `never` (no browser at all) or `always`. See docs/rendering.md.",
        choices=("auto", "never", "always"),
    ),
    Option(
        "NEWSMON_BROWSER_PATH",
        "NEWSMON_BROWSER_PATH",
        "/usr/lib/chromium/chromium",
        "Chromium binary that renders pages (Debian: `apt-get install -y chromium`).",
    ),
    Option(
        "NEWSMON_BROWSER_ARGS",
        "NEWSMON_BROWSER_ARGS",
        "--no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking "
        "--disable-component-update --disable-sync --no-first-run --disable-quic",
        "Command-line flags of the browser.",
    ),
    Option(
        "NEWSMON_RENDER_MAX_PAGES",
        "NEWSMON_RENDER_MAX_PAGES",
        4,
        "Pages rendered at once (one browser context).",
    ),
    Option(
        "NEWSMON_RENDER_CONTEXT_PAGES",
        "NEWSMON_RENDER_CONTEXT_PAGES",
        100,
        "Pages after which the browser context is replaced by a fresh one (memory stays flat); 0: never.",
    ),
    Option(
        "NEWSMON_RENDER_TIMEOUT_MS",
        "NEWSMON_RENDER_TIMEOUT_MS",
        15000,
        "Longest time a rendered page may take to load, in milliseconds.",
    ),
    Option(
        "NEWSMON_RENDER_BLOCK_TYPES",
        "NEWSMON_RENDER_BLOCK_TYPES",
        "image font media",
        "Resource types the browser does not load (Playwright's names, space-separated).",
    ),
    Option(
        "NEWSMON_RENDER_ALLOW_THIRD_PARTY",
        "NEWSMON_RENDER_ALLOW_THIRD_PARTY",
        False,
        "Let the browser load from other sites than the page's (ads, trackers, embeds); off by default.",
    ),
    Option(
        "NEWSMON_RENDER_MEMORY_DAYS",
        "NEWSMON_RENDER_MEMORY_DAYS",
        7.0,
        "Days a site found to need rendering is remembered (in the data dir); 0: for the run only.",
    ),
    Option(
        "NEWSMON_RENDER_SAMPLE_PAGES",
        "NEWSMON_RENDER_SAMPLE_PAGES",
        2,
        "`auto`: listing pages (with teasers) per site also fetched rendered on its first run and then every "
        "`NEWSMON_RENDER_SAMPLE_DAYS`, to see whether scripts add teasers (then listings are rendered); 0: never.",
    ),
    Option(
        "NEWSMON_RENDER_SAMPLE_DAYS",
        "NEWSMON_RENDER_SAMPLE_DAYS",
        7.0,
        "Days after which a site's listing pages are sampled rendered again (kept in the data dir's render.json).",
    ),
    Option(
        "NEWSMON_LISTING_MAX_LINKS",
        "NEWSMON_LISTING_MAX_LINKS",
        2000,
        "Most teasers (and article links) taken from one listing page, first ones first; the cut is reported "
        "in the run's counts and health. 0: no limit.",
    ),
    Option(
        "NEWSMON_REFRESH",
        "NEWSMON_REFRESH",
        "linked",
        "Stored articles fetched again by a run without `-a refresh=`: `due` (the revisit policy), `linked` (every "
        "one a listing, feed or sitemap links) or `all`. `newsmon schedule` runs `due`. See docs/scheduling.md.",
        choices=("due", "linked", "all"),
    ),
    Option(
        "NEWSMON_REVISIT_INTERVALS",
        "NEWSMON_REVISIT_INTERVALS",
        "3h=15m, 1d=1h, 7d=3h, 30d=3d, *=30d",
        "Revisit policy: `age=interval` pairs, youngest first (age since the article last changed); `*` for older.",
        check="crawler.discover.revisit.policy.parse_intervals",
    ),
    Option(
        "NEWSMON_REVISIT_BUDGET",
        "NEWSMON_REVISIT_BUDGET",
        500,
        "Re-fetches of stored articles per run with `refresh=due` (signalled ones first, then the most overdue); "
        "-1: no limit. New articles never count.",
    ),
    Option(
        "NEWSMON_CONDITIONAL",
        "NEWSMON_CONDITIONAL",
        True,
        "Conditional requests: stored ETag / Last-Modified sent with article re-fetches, listings, feeds and "
        "sitemaps revalidated through an HTTP cache in the data dir; a `304` is neither parsed nor stored.",
    ),
    Option(
        "NEWSMON_PROGRESS_INTERVAL",
        "NEWSMON_PROGRESS_INTERVAL",
        60.0,
        "Seconds between progress lines in the log (0: none).",
    ),
    Option(
        "NEWSMON_PROGRESS_LIVE",
        "NEWSMON_PROGRESS_LIVE",
        "auto",
        "Live progress line on stderr: `auto` (when it is a terminal), `on` or `off`.",
        choices=("auto", "on", "off"),
    ),
    Option(
        "NEWSMON_SCHEDULE",
        "NEWSMON_SCHEDULE",
        None,
        "The TOML schedule `newsmon schedule` runs when not given `--config` (docs/scheduling.md).",
    ),
    Option(
        "REDIS_URL",
        "REDIS_URL",
        None,
        "Distributed mode: every crawler process of a site shares one request queue and seen-set in this Redis "
        "(`redis://host:6379/0`), see docs/deployment.md. Unset: one process, Scrapy's own scheduler.",
    ),
    Option(
        "NEWSMON_REDIS_PREFIX",
        "NEWSMON_REDIS_PREFIX",
        "newsmon",
        "Prefix of newsmon's Redis keys (deployments sharing one Redis each need their own).",
    ),
    Option(
        "NEWSMON_REDIS_WORKER_TIMEOUT",
        "NEWSMON_REDIS_WORKER_TIMEOUT",
        30.0,
        "Seconds without a heartbeat after which a crawler process counts as dead and its in-flight requests "
        "go back to the shared queue.",
    ),
    Option(
        "MAX_IDLE_TIME_BEFORE_CLOSE",
        "NEWSMON_REDIS_MAX_IDLE",
        5,
        "Distributed mode: seconds a process waits with nothing queued or in flight anywhere before it stops "
        "(0: waits for new work forever).",
    ),
)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_KINDS = {bool: "true or false (1/0, yes/no, on/off)", int: "an integer", float: "a number"}
_NOT_NEGATIVE = {"NEWSMON_EMBEDDED_PORT", "NEWSMON_STORE_RETRY_BACKOFF", "NEWSMON_PROGRESS_INTERVAL"}
_POSITIVE = {
    "NEWSMON_STORE_BATCH_SIZE",
    "NEWSMON_STORE_TIMEOUT_MS",
    "NEWSMON_RENDER_MAX_PAGES",
    "NEWSMON_RENDER_TIMEOUT_MS",
    "NEWSMON_ALERT_WEBHOOK_QUEUE",
    "NEWSMON_ALERT_WEBHOOK_TIMEOUT",
}


ENV_PRIORITY = 25
"""Env's priority: above the project's settings (20), which `scrapy crawl` copies onto a crawler again after the
spider's `update_settings`, below a spider's own (30) and the command line's `-s` (40)."""


class SettingError(ValueError):
    """A setting's value newsmon cannot use; the message is one line naming it and what it accepts."""


def _coerce(raw: Any, opt: Option) -> Any:
    """A setting's value (an env or `-s` string, or a typed value) as its default's type, checked.

    Raises ValueError saying what the option accepts."""
    kind = type(opt.default) if opt.default is not None else str
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ValueError(f"expects {_KINDS[bool]}")
    if kind in (int, float):
        try:
            value = kind(raw) if not isinstance(raw, bool) else None
        except (TypeError, ValueError):
            value = None
        if value is None:
            raise ValueError(f"expects {_KINDS[kind]}")
        if opt.setting in _POSITIVE and value <= 0:
            raise ValueError(f"expects {_KINDS[kind]} greater than 0")
        if opt.setting in _NOT_NEGATIVE and value < 0:
            raise ValueError(f"expects {_KINDS[kind]} of 0 or more")
        if opt.setting == "NEWSMON_EMBEDDED_PORT" and value > 65535:
            raise ValueError("expects a port, 0 to 65535 (0: a free one)")
        return value
    if opt.choices:
        text = str(raw).strip().lower()
        if text not in opt.choices:
            raise ValueError(f"expects one of {', '.join(opt.choices)}")
        return text
    if opt.check is not None:
        (load_object(opt.check) if isinstance(opt.check, str) else opt.check)(raw)
    return raw


def _refuse(opt: Option, raw: Any, exc: ValueError, source: str) -> SettingError:
    return SettingError(f"{opt.setting}={raw!r} ({source}) {exc}; see the settings table in the README")


_BY_SETTING = {opt.setting: opt for opt in OPTIONS}


def default(name: str) -> Any:
    """The default of the setting `name` as OPTIONS declares it (KeyError for a setting OPTIONS does not declare)."""
    return _BY_SETTING[name].default


def option(settings: Mapping[str, Any] | BaseSettings | None, name: str) -> Any:
    """The setting `name` from `settings` (any `.get(name)`, or None), typed like its default; its default when unset.

    The one way code reads a setting OPTIONS declares, so a default is written in one place: a call site passes
    none (tests/test_config.py refuses one, and a setting read that OPTIONS does not declare). Unset is None, or
    an empty text where text cannot be the value (a number, a flag, a choice); an empty list of browser flags stays
    empty. KeyError for a name OPTIONS does not declare; SettingError for a value it cannot use."""
    opt = _BY_SETTING[name]
    raw = settings.get(name) if settings is not None else None
    if raw is None:
        return opt.default
    if raw == "":
        return "" if isinstance(opt.default, str | None) and not opt.choices else opt.default
    try:
        return _coerce(raw, opt)
    except ValueError as exc:
        raise _refuse(opt, raw, exc, "setting") from None


def env_overrides(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings that environment variables set, typed like their defaults and checked."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for opt in OPTIONS:
        raw = environ.get(opt.env)
        if raw not in (None, ""):
            try:
                found[opt.setting] = _coerce(raw, opt)
            except ValueError as exc:
                raise _refuse(opt, raw, exc, f"environment variable {opt.env}") from None
    return found


def apply_env(settings: BaseSettings) -> None:
    """Map env variables onto settings: env beats the project's defaults, `-s NAME=value` still beats env."""
    for name, value in env_overrides().items():
        settings.set(name, value, priority=ENV_PRIORITY)


def check_settings(settings: BaseSettings) -> None:
    """Refuse a setting newsmon cannot use before anything starts, and type the ones given as text (`-s`).

    Run on every crawler (the spider's `update_settings`, which Scrapy calls before it builds the spider) and
    by the CLI, so `scrapy crawl`, `newsmon crawl`, `newsmon schedule` and scrapyd refuse alike."""
    for opt in OPTIONS:
        raw = settings.get(opt.setting)
        if raw in (None, ""):
            continue
        try:
            value = _coerce(raw, opt)
        except ValueError as exc:
            raise _refuse(opt, raw, exc, "setting") from None
        if value is not raw and not settings.frozen:
            settings.set(opt.setting, value, priority=settings.getpriority(opt.setting) or "project")


class EnvSettingsAddon:
    """Scrapy add-on that maps env variables onto settings when a crawler starts (not at import).

    Env beats the project's defaults; `-s NAME=value` on the command line still beats env. newsmon's spiders
    apply env earlier too (Scrapy builds the spider before add-ons run); this covers other spiders."""

    def update_settings(self, settings: BaseSettings) -> None:
        apply_env(settings)
        check_settings(settings)


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """newsmon's settings outside a crawl (CLI, consumers): project settings, then env, then overrides."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    apply_env(settings)
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    check_settings(settings)
    return settings


def data_dir(settings: Mapping[str, Any] | BaseSettings | None = None) -> Path:
    """The data directory: setting or env, else the XDG data home."""
    configured = (settings.get("NEWSMON_DATA_DIR") if settings is not None else None) or os.environ.get(
        "NEWSMON_DATA_DIR"
    )
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "newsmon"


def check_data_dir(settings: Mapping[str, Any] | BaseSettings | None = None) -> Path:
    """The data directory, created if missing; SettingError (one line) when it is a file or not writable."""
    directory = data_dir(settings)
    if directory.exists() and not directory.is_dir():
        raise SettingError(f"NEWSMON_DATA_DIR {directory}: is a file, not a directory; give a writable directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingError(
            f"NEWSMON_DATA_DIR {directory}: cannot create it ({exc.strerror or exc}); give a writable directory"
        ) from None
    if not directory.is_dir():
        raise SettingError(f"NEWSMON_DATA_DIR {directory}: is not a directory; give a writable directory")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise SettingError(f"NEWSMON_DATA_DIR {directory}: is not writable; give a writable directory")
    return directory


def settings_table() -> str:
    """The README's settings table, in Markdown."""
    rows = ["| setting | env | default | what it does |", "|---|---|---|---|"]
    for opt in OPTIONS:
        default = "unset" if opt.default is None else f"`{opt.default}`"
        rows.append(f"| `{opt.setting}` | `{opt.env}` | {default} | {opt.doc} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_table())
