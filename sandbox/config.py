"""Settings: documented defaults, then ``SANDBOX_*`` environment variables, then overrides.

One table (``SETTINGS``) is the source of truth for the CLI flags, the environment variables,
the README's settings table and the defaults the app factory starts from.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ("SETTINGS", "Setting", "ConfigError", "load_config")

ENV_PREFIX = "SANDBOX_"


class ConfigError(ValueError):
    """A setting has a value that cannot be used; the message says which and why."""


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _parse_optional_int(raw: str) -> int | None:
    return None if raw.strip().lower() in ("", "none") else int(raw)


def _parse_optional_str(raw: str) -> str | None:
    return raw.strip() or None


def _parse_token(raw: str) -> str:
    """A blank token would silently leave the admin routes open, so it is refused."""
    if not raw.strip():
        raise ValueError("a blank admin token would leave /__admin open; give a token or "
                         "leave the setting out")
    return raw.strip()


def _parse_key_list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _parse_day_list(raw: str) -> tuple[float, ...]:
    """``1,3,7`` -> (1.0, 3.0, 7.0), rising and positive; ``none`` or blank -> ()."""
    if raw.strip().lower() in ("", "none"):
        return ()
    days = tuple(float(part) for part in raw.split(","))
    if any(not math.isfinite(day) or day <= 0 for day in days) \
            or list(days) != sorted(set(days)):
        raise ValueError(f"expected rising positive numbers of days such as 1,3,7, got {raw!r}")
    return days


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default, parser for text values and a one-line description."""

    name: str
    default: Any
    parse: Callable[[str], Any]
    help: str

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "127.0.0.1", str, "Address to bind; use 0.0.0.0 only inside a container."),
    Setting("port", 8080, int, "TCP port to listen on (0 picks a free one)."),
    Setting(
        "db",
        "sandbox-data/db.json",
        str,
        "TinyDB snapshot file (a journal sits beside it), or 'memory' to keep nothing on disk.",
    ),
    Setting("max_connections", 1000, int,
            "Connections served at once; when full, the one idle or sending its headers for "
            "longest is closed to let a new one in, else new ones wait in the listen backlog."),
    Setting("idle_timeout", 75.0, float,
            "Seconds a connection may send nothing before it is closed."),
    Setting("head_timeout", 10.0, float,
            "Seconds a request's line and headers may take, from their first byte (408 after)."),
    Setting("body_timeout", 30.0, float,
            "Seconds a request body may take to arrive in full (408 after)."),
    Setting("max_connections_per_address", None, _parse_optional_int,
            "Connections one client address may hold; default: half of max_connections, "
            "at least 64."),
    Setting("strict", False, _parse_bool, "Reject unknown request fields with a 422."),
    Setting(
        "api_keys",
        (),
        _parse_key_list,
        "Comma-separated secret keys to accept; empty accepts any well-formed sandbox key.",
    ),
    Setting("seed", None, _parse_optional_int, "Make generated ids repeatable from this seed."),
    Setting("max_body_bytes", 2 * 1024 * 1024, int, "Largest request body accepted (413 above)."),
    Setting("max_body_bytes_in_flight", 64 * 1024 * 1024, int,
            "Request-body bytes all connections may hold at once; a body that does not fit is "
            "a 503 with Retry-After, its bytes unread."),
    Setting("max_json_depth", 32, int, "Deepest JSON nesting accepted in a request body."),
    Setting("rate_limit", 3000, int, "Non-GET requests per window and namespace; 0 disables."),
    Setting("rate_window", 600, int, "Rate-limit window in seconds (Rebilly's sandbox: 600)."),
    Setting(
        "journal_compact_bytes",
        64 * 1024 * 1024,
        int,
        "Fold the journal into the snapshot once it grows past this many bytes.",
    ),
    Setting("fsync", False, _parse_bool, "fsync the journal on every write (power-loss safety)."),
    Setting("fixtures", None, _parse_optional_str,
            "Fixture set every namespace starts with, and returns to on reset."),
    Setting("fixtures_dir", None, _parse_optional_str,
            "Folder of fixture sets (*.json); default: the sets shipped with the sandbox."),
    Setting("admin_token", None, _parse_token,
            "When set, /__admin routes need 'Authorization: Bearer <token>'."),
    Setting("journal_entries", 1000, int, "Requests kept in each namespace's request journal."),
    Setting("request_faults", True, _parse_bool,
            "Honour X-Sandbox-Fault headers and magic fault email addresses."),
    Setting("max_fault_seconds", 60.0, float, "Longest injected delay or hang, in seconds."),
    Setting("max_fault_rules", 100, int,
            "Fault rules one namespace may hold at once; global rules have the same cap apart."),
    Setting("max_snapshots", 20, int,
            "Saved snapshots one namespace may hold at once (each is a full copy on disk)."),
    Setting("log_level", "info", str, "Logging level: debug, info, warning or error."),
    Setting("dunning_retries", (1.0, 3.0, 7.0), _parse_day_list,
            "Days after a declined renewal invoice's due time at which autopay charges it "
            "again (the sandbox's own dunning schedule); after the last, the invoice is "
            "abandoned and the order canceled. none: no retries."),
    Setting("webhook_attempts", 5, int,
            "Attempts per webhook delivery (the sandbox's own policy) before it is failed."),
    Setting("webhook_backoff_seconds", 10.0, float,
            "Sandbox-clock seconds before the second attempt, doubling for each next one."),
    Setting("webhook_timeout", 5.0, float,
            "Seconds one outbound attempt (a webhook delivery or a notification) may take in "
            "all, connecting, a digest challenge and the answer included, before it failed."),
    Setting("webhook_allow", (), _parse_key_list,
            "Comma-separated hosts (*.example.com) and CIDRs deliveries and notifications may "
            "go to; empty: any but link-local and metadata addresses, and loopback only when "
            "the sandbox listens on loopback."),
    Setting("webhook_max_pending", 1000, int,
            "Deliveries one namespace may have waiting; a new one beyond it is failed at once."),
    Setting("webhook_max_stored_bytes", 32 * 1024 * 1024, int,
            "Bytes of webhook bodies one namespace's deliveries may hold; finished ones are "
            "forgotten oldest first to make room, a new one that still does not fit is failed "
            "at once. 32 MiB: one event to 25 webhooks with 1 MiB bodies, or thousands of plain "
            "ones."),
    Setting("peers", (), _parse_key_list,
            "Comma-separated base URLs of the other replicas of a cluster: an admin write "
            "without REB-APIKEY (global reset, clock, faults) is made on each of them too."),
    Setting("admin_hosts", (), _parse_key_list,
            "Comma-separated host names (*.example.com) a browser may reach the admin API and "
            "dashboard by, besides IP addresses and localhost (against DNS rebinding)."),
    Setting("cors_origins", ("http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"),
            _parse_key_list,
            "Comma-separated browser origins that may call the API cross-origin (a checkout "
            "page's FramePay or SDK); ':*' is any port, '*' any origin. The admin API never "
            "answers another origin."),
)

_BY_NAME = {setting.name: setting for setting in SETTINGS}


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Return the settings: defaults, then ``SANDBOX_*`` variables, then ``overrides``.

    :raises ConfigError: for an unknown override or a value that does not parse.
    """
    environ = os.environ if environ is None else environ
    config = {setting.name: setting.default for setting in SETTINGS}
    for setting in SETTINGS:
        if setting.env in environ:
            config[setting.name] = _parse(setting, environ[setting.env], source=setting.env)
    for name, value in (overrides or {}).items():
        if name not in _BY_NAME:
            raise ConfigError(f"unknown setting {name!r}")
        if isinstance(value, str) and _BY_NAME[name].parse is not str:
            value = _parse(_BY_NAME[name], value, source=name)
        config[name] = value
    _check(config)
    return config


def _parse(setting: Setting, raw: str, *, source: str) -> Any:
    try:
        return setting.parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _check(config: dict[str, Any]) -> None:
    if not 0 <= config["port"] <= 65535:
        raise ConfigError(f"port must be between 0 and 65535, got {config['port']}")
    if str(config["log_level"]).lower() not in ("debug", "info", "warning", "error", "critical"):
        raise ConfigError(f"log_level must be debug, info, warning or error, "
                          f"got {config['log_level']!r}")
    for name in ("idle_timeout", "head_timeout", "body_timeout"):
        _check_seconds(config, name, allow_zero=False)
    _check_seconds(config, "max_fault_seconds", allow_zero=True)
    _check_seconds(config, "webhook_timeout", allow_zero=False)
    _check_seconds(config, "webhook_backoff_seconds", allow_zero=True)
    per_address = config["max_connections_per_address"]
    if per_address is not None and per_address < 1:
        raise ConfigError(f"max_connections_per_address must be at least 1, got {per_address}")
    for name in ("max_connections", "max_body_bytes", "max_json_depth", "rate_window",
                 "journal_entries", "max_fault_rules", "webhook_attempts",
                 "webhook_max_pending"):
        if config[name] < 1:
            raise ConfigError(f"{name} must be at least 1, got {config[name]}")
    if config["webhook_max_stored_bytes"] < 1:
        raise ConfigError(f"webhook_max_stored_bytes must be at least 1, "
                          f"got {config['webhook_max_stored_bytes']}")
    if config["max_body_bytes_in_flight"] < config["max_body_bytes"]:
        raise ConfigError(f"max_body_bytes_in_flight must be at least max_body_bytes "
                          f"({config['max_body_bytes']}), got {config['max_body_bytes_in_flight']}")
    if config["max_snapshots"] < 1:
        raise ConfigError(f"max_snapshots must be at least 1, got {config['max_snapshots']}")
    if config["rate_limit"] < 0:
        raise ConfigError(f"rate_limit must be 0 (off) or more, got {config['rate_limit']}")


def _check_seconds(config: dict[str, Any], name: str, *, allow_zero: bool) -> None:
    """Refuse NaN, infinities and negatives: a NaN deadline never fires and never compares."""
    value = config[name]
    if not (isinstance(value, (int, float)) and math.isfinite(value)
            and (value > 0 or (allow_zero and value == 0))):
        bound = "0 or more" if allow_zero else "above 0"
        raise ConfigError(f"{name} must be a finite number of seconds, {bound}; got {value}")
