import re
from pathlib import Path

import pytest

from crawler.config import OPTIONS, env_overrides, load_settings, settings_table

README = Path(__file__).resolve().parent.parent / "README.md"


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


def test_documented_defaults_are_the_ones_the_code_uses():
    from crawler.discover.revisit.planner import DEFAULT_REFRESH, REFRESH_MODES
    from crawler.discover.revisit.policy import DEFAULT_INTERVALS
    from crawler.discover.sites import RENDER_MODES
    from crawler.runtime.extensions.progress import LIVE_MODES

    defaults = {opt.setting: opt.default for opt in OPTIONS}
    assert defaults["NEWSMON_REVISIT_INTERVALS"] == DEFAULT_INTERVALS
    assert defaults["NEWSMON_REFRESH"] == DEFAULT_REFRESH and defaults["NEWSMON_PROGRESS_LIVE"] in LIVE_MODES
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
        ("NEWSMON_PROGRESS_INTERVAL", "-1", "of 0 or more"),
        ("NEWSMON_ALERT_JSONL_FSYNC", "maybe", "expects true or false"),
        ("NEWSMON_REVISIT_INTERVALS", "3h=15m", "end with `*=<interval>`"),
    ]:
        with pytest.raises(SettingError, match=re.escape(says)) as refused:
            check_settings(Settings({name: value}, priority="cmdline"))
        assert str(refused.value).startswith(f"{name}={value!r} (setting)") and "\n" not in str(refused.value)
