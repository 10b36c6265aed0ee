import ast
import os
import re
from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler.config import OPTIONS, SettingError, default, env_overrides, load_settings, option, settings_table

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def test_env_values_take_the_type_of_their_default():
    found = env_overrides(
        {"NEWSMON_STORE_BATCH_SIZE": "50", "NEWSMON_STORE_FLUSH_SECONDS": "0.5", "MONGO_URI": "mongodb://x"}
    )
    assert found == {"NEWSMON_STORE_BATCH_SIZE": 50, "NEWSMON_STORE_FLUSH_SECONDS": 0.5, "MONGO_URI": "mongodb://x"}


def test_a_malformed_env_value_names_the_variable():
    with pytest.raises(ValueError, match="NEWSMON_STORE_BATCH_SIZE"):
        env_overrides({"NEWSMON_STORE_BATCH_SIZE": "many"})


def test_env_beats_project_defaults_and_explicit_overrides_beat_env(monkeypatch):
    monkeypatch.setenv("NEWSMON_STORE_BATCH_SIZE", "7")
    monkeypatch.setenv("NEWSMON_MONGO_DB", "from_env")
    settings = load_settings({"NEWSMON_MONGO_DB": "explicit"})
    assert settings.getint("NEWSMON_STORE_BATCH_SIZE") == 7
    assert settings.get("NEWSMON_MONGO_DB") == "explicit"


def test_project_settings_are_polite_and_quiet():
    settings = load_settings()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert "newsmon" in settings.get("USER_AGENT")


def test_documented_choices_are_the_ones_the_code_knows():
    from crawler.discover.revisit.planner import REFRESH_MODES
    from crawler.model.sites import RENDER_MODES
    from crawler.runtime.extensions.progress import LIVE_MODES

    choices = {opt.setting: opt.choices for opt in OPTIONS}
    assert set(choices["NEWSMON_PROGRESS_LIVE"]) == set(LIVE_MODES)
    assert set(choices["NEWSMON_REFRESH"]) == set(REFRESH_MODES)
    assert set(choices["NEWSMON_RENDER"]) == set(RENDER_MODES)


def test_readme_settings_table_is_current():
    assert settings_table() in README.read_text(encoding="utf-8"), "run `python -m crawler.config` and paste"
    assert len(OPTIONS) >= 5


def test_check_settings_types_command_line_text_and_refuses_what_it_cannot_use():
    from scrapy.settings import Settings

    from crawler.config import SettingError, check_settings

    settings = Settings({"NEWSMON_CONDITIONAL": "no", "NEWSMON_STORE_BATCH_SIZE": "50"}, priority="cmdline")
    check_settings(settings)
    assert settings["NEWSMON_CONDITIONAL"] is False and settings["NEWSMON_STORE_BATCH_SIZE"] == 50
    assert settings.getpriority("NEWSMON_CONDITIONAL") == settings.getpriority("NEWSMON_STORE_BATCH_SIZE") == 40
    for name, value, says in [
        ("NEWSMON_RENDER", "sometimes", "expects one of auto, never, always"),
        ("NEWSMON_STORE_BATCH_SIZE", "0", "greater than 0"),
        ("NEWSMON_ALERT_WEBHOOK_TIMEOUT", "0", "greater than 0"),
        ("NEWSMON_PROGRESS_INTERVAL", "-1", "of 0 or more"),
        ("NEWSMON_ALERT_JSONL_FSYNC", "maybe", "expects true or false"),
        ("NEWSMON_REVISIT_INTERVALS", "3h=15m", "end with `*=<interval>`"),
    ]:
        with pytest.raises(SettingError, match=re.escape(says)) as refused:
            check_settings(Settings({name: value}, priority="cmdline"))
        assert str(refused.value).startswith(f"{name}={value!r} (setting)") and "\n" not in str(refused.value)


def test_option_reads_a_setting_typed_with_the_default_of_options():
    assert option(None, "NEWSMON_STORE_BATCH_SIZE") == 50 == default("NEWSMON_STORE_BATCH_SIZE")
    assert option(Settings(), "NEWSMON_CONDITIONAL") is True and option({}, "NEWSMON_REDIS_PREFIX") == "newsmon"
    assert option({"NEWSMON_STORE_BATCH_SIZE": "7"}, "NEWSMON_STORE_BATCH_SIZE") == 7
    assert option({"NEWSMON_STORE_FLUSH_SECONDS": 1}, "NEWSMON_STORE_FLUSH_SECONDS") == 1.0
    assert option({"NEWSMON_ALERT_AB_FLIPS": "yes"}, "NEWSMON_ALERT_AB_FLIPS") is True
    assert option({"NEWSMON_RENDER": " Never "}, "NEWSMON_RENDER") == "never"
    # Unset: None, or an empty text where text cannot be the value; empty browser flags stay empty.
    assert option({"NEWSMON_STORE_TIMEOUT_MS": ""}, "NEWSMON_STORE_TIMEOUT_MS") == 5000
    assert option({"NEWSMON_PROGRESS_LIVE": ""}, "NEWSMON_PROGRESS_LIVE") == "auto"
    assert option({"NEWSMON_RENDER_BLOCK_TYPES": ""}, "NEWSMON_RENDER_BLOCK_TYPES") == ""
    with pytest.raises(SettingError, match=r"NEWSMON_STORE_RETRIES='some' \(setting\) expects an integer"):
        option({"NEWSMON_STORE_RETRIES": "some"}, "NEWSMON_STORE_RETRIES")
    with pytest.raises(KeyError):
        option({}, "NEWSMON_NOT_DECLARED")


# -- defaults only in OPTIONS: every read of a declared setting in crawler/ and spiders/, found with ast ----------
READERS = {"get", "getint", "getfloat", "getbool", "getlist", "getdict", "getdictorlist", "getwithbase", "option"}
DECLARED = {opt.setting for opt in OPTIONS} | {opt.env for opt in OPTIONS}
SETTING_NAME = re.compile(r"^NEWSMON_[A-Z0-9_]+$")


def setting_reads(source: str) -> list[tuple[int, str, str | None]]:
    """(line, setting, how the call site gives its own default or None) for each read of a NEWSMON_ or declared
    setting: `settings.getint(NAME, 50)`, `settings.get(NAME) or 50`, `... if settings else 50`, `option(s, NAME)`;
    NAME a string or a module constant holding one. Every whole NEWSMON_ string is reported too (as a read
    without default), so a setting only written or passed on must be declared as well."""
    tree = ast.parse(source)
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Constant)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found: list[tuple[int, str, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SETTING_NAME.match(node.value):
            found.append((node.lineno, node.value, None))
        if not isinstance(node, ast.Call):
            continue
        called = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        args = node.args[1:] if called == "option" else node.args
        if called not in READERS or not args:
            continue
        first = args[0]
        name = first.value if isinstance(first, ast.Constant) else constants.get(getattr(first, "id", ""))
        if not isinstance(name, str) or not (SETTING_NAME.match(name) or name in DECLARED):
            continue
        read, parent = node, parents.get(node)
        while isinstance(parent, ast.Call) and getattr(parent.func, "id", None) in ("int", "float", "str", "bool"):
            read, parent = parent, parents.get(parent)
        how = None
        if len(args) > 1 or node.keywords:
            how = f"{called}(..., {ast.unparse(args[1] if len(args) > 1 else node.keywords[0])})"
        elif _default_of(name) is None or _is_default(fallback := _fallback(read, parent)):
            pass  # "unset" means something of its own there (`NEWSMON_MONGO_DB`: the URI's database)
        elif fallback is not None:
            how = ast.unparse(fallback)
        found.append((node.lineno, name, how))
    return found


def _fallback(read: ast.expr, parent: ast.AST | None) -> ast.expr | None:
    """What stands in for the read when it gives nothing: `read or X`, `read if ... else X` (not `else None`)."""
    if isinstance(parent, ast.BoolOp) and isinstance(parent.op, ast.Or) and parent.values[-1] is not read:
        return parent.values[-1]
    if isinstance(parent, ast.IfExp) and parent.body is read:
        orelse = parent.orelse
        return None if isinstance(orelse, ast.Constant) and orelse.value is None else orelse
    return None


def _is_default(node: ast.expr | None) -> bool:
    """`default("NAME")`: the default of OPTIONS, where `option()` cannot serve (an env variable in between)."""
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) == "default"


def _default_of(name: str) -> object:
    return next((opt.default for opt in OPTIONS if name in (opt.setting, opt.env)), None)


def test_the_setting_reads_scan_finds_a_default_given_at_a_call_site():
    source = """
BATCH = "NEWSMON_STORE_BATCH_SIZE"
a = settings.getint("NEWSMON_STORE_BATCH_SIZE", 50)
b = int(settings.get(BATCH) or 50)
c = settings.getint(BATCH) if settings is not None else 50
d = option(settings, "NEWSMON_STORE_TIMEOUT_MS")
e = settings.get("NEWSMON_STORE_TIMEOUT_MS") if settings is not None else None
f = os.environ.get("NEWSMON_USER_AGENT", "me")
g = settings.getbool("NEWSMON_SOMETHING_NEW")
h = settings.get("NEWSMON_STORE_RETRIES") or default("NEWSMON_STORE_RETRIES")
i = settings.get("NEWSMON_MONGO_DB") or uri_database(uri)
"""
    assert set(setting_reads(source)) >= {
        (3, "NEWSMON_STORE_BATCH_SIZE", "getint(..., 50)"),
        (4, "NEWSMON_STORE_BATCH_SIZE", "50"),
        (5, "NEWSMON_STORE_BATCH_SIZE", "50"),
        (6, "NEWSMON_STORE_TIMEOUT_MS", None),
        (7, "NEWSMON_STORE_TIMEOUT_MS", None),
        (8, "NEWSMON_USER_AGENT", "get(..., 'me')"),
        (9, "NEWSMON_SOMETHING_NEW", None),
        (10, "NEWSMON_STORE_RETRIES", None),
        (11, "NEWSMON_MONGO_DB", None),
    }
    assert not any(how for line, _, how in setting_reads(source) if line in (6, 7, 9, 10, 11))
    assert "NEWSMON_SOMETHING_NEW" not in DECLARED


def test_defaults_are_given_only_by_options_and_every_setting_read_is_declared():
    """A call site that passes its own default repeats (and may contradict) OPTIONS: read with `option()`."""
    config = ROOT / "crawler" / "config.py"
    sources = [p for folder in ("crawler", "spiders") for p in sorted((ROOT / folder).rglob("*.py")) if p != config]
    assert len(sources) > 50
    defaulted, undeclared = [], []
    for path in sources:
        where = path.relative_to(ROOT)
        for line, name, how in setting_reads(path.read_text(encoding="utf-8")):
            if how is not None and name in DECLARED:
                defaulted.append(f"{where}:{line} {name}: {how}")
            if name not in DECLARED:
                undeclared.append(f"{where}:{line} {name}")
    assert not defaulted, "defaults given at call sites (use crawler.config.option):\n" + "\n".join(defaulted)
    assert not undeclared, "settings not declared in crawler/config.py OPTIONS:\n" + "\n".join(undeclared)


def test_the_progress_display_is_a_project_extension_not_part_of_the_revisit_addon():
    from crawler.discover.revisit.addon import IncrementalAddon

    assert load_settings().getdict("EXTENSIONS").get("crawler.runtime.extensions.progress.Progress") == 500
    settings = Settings({"NEWSMON_CONDITIONAL": True})
    IncrementalAddon().update_settings(settings)
    assert settings.getbool("HTTPCACHE_ENABLED") and not settings.getdict("EXTENSIONS")


def test_the_project_settings_take_every_declared_default_from_options():
    """crawler/settings.py sets no declared setting by name: OPTIONS' defaults are copied in, once."""
    tree = ast.parse((ROOT / "crawler" / "settings.py").read_text(encoding="utf-8"))
    assigned = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if hasattr(t, "id")}
    assert assigned and not assigned & DECLARED
    settings = load_settings()
    assert all(settings.get(opt.setting) == opt.default for opt in OPTIONS if opt.env not in os.environ)
