"""Settings: defaults, then SANDBOX_* variables, then overrides; each one documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from rebilly_sandbox.config import SETTINGS, ConfigError, load_config
from rebilly_sandbox.settings_doc import settings_markdown


def test_defaults():
    config = load_config(environ={})

    assert config["host"] == "127.0.0.1"
    assert config["port"] == 8080
    assert config["db"] == "sandbox-data/db.json"
    assert config["rate_limit"] == 3000 and config["rate_window"] == 600
    assert config["strict"] is False and config["request_faults"] is True


def test_environment_beats_defaults_and_overrides_beat_the_environment():
    environ = {"SANDBOX_PORT": "9000", "SANDBOX_STRICT": "yes", "SANDBOX_API_KEYS": "a, b,",
               "SANDBOX_SEED": "7", "SANDBOX_DB": "memory"}

    config = load_config({"port": 9100, "strict": "false"}, environ=environ)

    assert config["port"] == 9100
    assert config["strict"] is False
    assert config["api_keys"] == ("a", "b")
    assert config["seed"] == 7
    assert config["db"] == "memory"


@pytest.mark.parametrize("environ, message", [
    ({"SANDBOX_PORT": "eighty"}, "SANDBOX_PORT"),
    ({"SANDBOX_PORT": "70000"}, "port must be between"),
    ({"SANDBOX_STRICT": "maybe"}, "SANDBOX_STRICT"),
    ({"SANDBOX_RATE_LIMIT": "-1"}, "rate_limit"),
    ({"SANDBOX_IDLE_TIMEOUT": "0"}, "idle_timeout"),
])
def test_unusable_values_are_named(environ, message):
    with pytest.raises(ConfigError, match=message):
        load_config(environ=environ)


def test_unknown_override_is_refused():
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config({"colour": "blue"}, environ={})


SETTINGS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_every_setting_is_in_the_settings_page():
    page = SETTINGS_PAGE.read_text(encoding="utf-8")

    for setting in SETTINGS:
        assert f"| `{setting.flag}` | `{setting.env}` |" in page, setting.name


def test_the_settings_page_is_what_make_docs_writes():
    assert SETTINGS_PAGE.read_text(encoding="utf-8") == settings_markdown(), \
        "docs/settings.md is stale: run `make docs`"


def test_the_settings_page_shows_defaults_as_typed():
    page = settings_markdown()

    assert "| `--port` | `SANDBOX_PORT` | `8080` |" in page
    assert "| `--strict` | `SANDBOX_STRICT` | off |" in page
    assert "| `--request-faults` | `SANDBOX_REQUEST_FAULTS` | on |" in page
    assert "| `--seed` | `SANDBOX_SEED` | none |" in page
    assert "| `--idle-timeout` | `SANDBOX_IDLE_TIMEOUT` | `75` |" in page
    assert "`--no-strict`" in page
