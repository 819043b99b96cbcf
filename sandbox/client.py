"""A typed Python client for the sandbox's ``/__admin`` API, for test suites and scripts.

One method per admin operation, so a suite reads ``client.add_fault(status=503, times=1)``
instead of hand-built URLs and JSON; the admin route table (``rebilly_sandbox.admin.routes``) names
the methods that call each operation, and a test holds the two together. A method that sends a body
takes its fields as keywords checked against the route's own body schema, so it accepts whatever
the route does and names a misspelt field before anything is sent. Built on ``requests``; any
non-2xx answer raises ``SandboxAPIError`` carrying the problem body, so a failed set-up step names
its cause.

The namespace is the one of ``api_key`` (sent as ``REB-APIKEY``); without a key, operations
that can apply to every namespace (reset, clock, faults, clearing the journal) do.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from functools import cache
from typing import Any
from urllib.parse import quote

import requests

__all__ = ("SandboxClient", "SandboxClientError", "SandboxAPIError", "SandboxConnectionError")

ADMIN = "/__admin"


class SandboxClientError(Exception):
    """Base of the client's errors (distinct from ``rebilly_sandbox.errors``, the server's own)."""


class SandboxConnectionError(SandboxClientError):
    """The sandbox could not be reached, or did not answer in time."""


class SandboxAPIError(SandboxClientError):
    """The sandbox answered with a non-2xx status; ``problem`` is its RFC 9457 body."""

    def __init__(self, status: int, problem: Mapping[str, Any], *, method: str = "",
                 path: str = ""):
        self.status = status
        self.problem = dict(problem)
        self.method = method
        self.path = path
        super().__init__(self._message())

    @property
    def invalid_fields(self) -> list[dict[str, str]]:
        return list(self.problem.get("invalidFields") or [])

    @property
    def detail(self) -> str | None:
        return self.problem.get("detail")

    def _message(self) -> str:
        where = f" on {self.method} {self.path}" if self.method else ""
        title = self.problem.get("title") or "Error"
        text = f"{self.status} {title}{where}"
        if self.detail:
            text += f": {self.detail}"
        fields = "; ".join(f"{entry.get('field')}: {entry.get('message')}"
                           for entry in self.invalid_fields)
        if fields and fields not in text:
            text += f" [{fields}]"
        return text


def _segment(value: str) -> str:
    """One URL path segment: a name with a ``/`` must not reach another route."""
    return quote(value, safe="")


def _iso(at: datetime | str) -> str:
    """ISO 8601 text for the admin API; a naive ``datetime`` is taken as UTC."""
    if isinstance(at, str):
        return at
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.isoformat()


def _snake(name: str) -> str:
    """``expiresInSeconds`` as ``expires_in_seconds``: the Python spelling of a field."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@cache
def _keywords(schema: type) -> dict[str, str]:
    """The keywords a helper takes for ``schema``'s body, each to its JSON name: the JSON name
    itself, and the snake_case of the field's attribute (``global_rule`` for ``global``)."""
    keywords: dict[str, str] = {}
    for attribute, field in schema().fields.items():
        if not field.dump_only:
            name = field.data_key or attribute
            keywords.update({name: name, _snake(attribute): name})
    return keywords


def _accepted(keywords: Mapping[str, str]) -> str:
    """``on, delaySeconds (delay_seconds), ...``: each JSON name with its other spelling."""
    spellings: dict[str, list[str]] = {}
    for keyword, name in keywords.items():
        spellings.setdefault(name, [])
        if keyword != name:
            spellings[name].append(keyword)
    return ", ".join(f"{name} ({', '.join(others)})" if others else name
                     for name, others in spellings.items())


def _payload(schema: type, given: Mapping[str, Any], helper: str) -> dict[str, Any]:
    """``given`` keywords as the JSON body ``schema`` declares; a name the schema lacks is a
    TypeError here, before anything is sent. ``None`` means left out."""
    keywords = _keywords(schema)
    unknown = [key for key in given if key not in keywords]
    if unknown:
        raise TypeError(f"{helper}() got unknown keyword(s) {', '.join(map(repr, unknown))}; "
                        f"it takes {_accepted(keywords)}")
    body: dict[str, Any] = {}
    for key, value in given.items():
        name = keywords[key]
        if name in body:
            raise TypeError(f"{helper}() got {name!r} twice; give one spelling of it")
        if value is not None:
            body[name] = _iso(value) if isinstance(value, datetime) else value
    return body


def _fault_rule_schema() -> type:
    # Imported on first use, so importing the client (as the pytest plugin does) stays cheap.
    from .schemas.fault import FaultRuleSchema
    return FaultRuleSchema


def _clock_schema() -> type:
    from .schemas.admin import ClockSchema
    return ClockSchema


class SandboxClient:
    """The admin API of one sandbox, seen from one namespace (``api_key``) or from all."""

    def __init__(self, base_url: str, api_key: str | None = None, admin_token: str | None = None,
                 timeout: float = 10, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.admin_token = admin_token
        self.timeout = timeout
        self.session = session or requests.Session()

    def __repr__(self) -> str:
        return f"SandboxClient({self.base_url!r})"

    def for_key(self, api_key: str | None) -> SandboxClient:
        """The same sandbox and session, seen from another namespace."""
        return SandboxClient(self.base_url, api_key, self.admin_token, self.timeout, self.session)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> SandboxClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- transport ------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, json: Any = None, params: Any = None,
              namespace: bool = True) -> Any:
        headers = {}
        if namespace and self.api_key:
            headers["REB-APIKEY"] = self.api_key
        if self.admin_token:
            headers["Authorization"] = f"Bearer {self.admin_token}"
        try:
            response = self.session.request(method, self.base_url + ADMIN + path, json=json,
                                            params=params, headers=headers,
                                            timeout=self.timeout)
        except requests.RequestException as exc:
            raise SandboxConnectionError(
                f"{method} {ADMIN}{path}: the sandbox at {self.base_url} did not answer: "
                f"{exc}") from exc
        if not 200 <= response.status_code < 300:
            raise SandboxAPIError(response.status_code, _problem(response), method=method,
                                  path=ADMIN + path)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def _namespace_key(self, operation: str) -> None:
        if not self.api_key:
            raise SandboxClientError(f"{operation} works on one namespace: give the client an "
                                     "api_key.")

    # -- health, reset, fixtures, snapshots ---------------------------------------------

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health", namespace=False)

    def wait_until_ready(self, timeout: float = 10) -> dict[str, Any]:
        """Poll ``/health`` until the sandbox answers; for a server started a moment ago."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.health()
            except SandboxConnectionError as exc:
                if time.monotonic() >= deadline:
                    raise SandboxConnectionError(
                        f"the sandbox at {self.base_url} was not ready within {timeout}s"
                    ) from exc
                time.sleep(0.05)

    def reset(self, all_namespaces: bool = False) -> dict[str, Any]:
        """Clear this namespace (or, with ``all_namespaces``, every one) back to its start."""
        if not all_namespaces:
            self._namespace_key("reset")
        return self._call("POST", "/reset", namespace=not all_namespaces)

    def fixtures(self) -> list[dict[str, Any]]:
        return self._call("GET", "/fixtures", namespace=False)

    def load_fixtures(self, name: str | None = None, *,
                      inline: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Load a named fixture set, or an ``inline`` one; all of it or, on a 422, nothing."""
        if (name is None) == (inline is None):
            raise ValueError("give a fixture set name or inline data, not both or neither")
        self._namespace_key("load_fixtures")
        if inline is not None:
            return self._call("POST", "/fixtures", json=dict(inline))
        return self._call("POST", f"/fixtures/{_segment(name)}")

    def export(self) -> dict[str, Any]:
        self._namespace_key("export")
        return self._call("GET", "/export")

    def save_snapshot(self, name: str) -> dict[str, Any]:
        self._namespace_key("save_snapshot")
        return self._call("POST", f"/snapshots/{_segment(name)}")

    def restore_snapshot(self, name: str) -> dict[str, Any]:
        self._namespace_key("restore_snapshot")
        return self._call("POST", f"/snapshots/{_segment(name)}/restore")

    def snapshots(self) -> list[str]:
        self._namespace_key("snapshots")
        return self._call("GET", "/snapshots")

    def delete_snapshot(self, name: str) -> None:
        self._namespace_key("delete_snapshot")
        self._call("DELETE", f"/snapshots/{_segment(name)}")

    # -- clock ----------------------------------------------------------------------------

    def clock(self) -> dict[str, Any]:
        return self._call("GET", "/clock")

    def move_clock(self, action: str, **change: Any) -> dict[str, Any]:
        """Any body ``POST /__admin/clock`` takes (``time``, ``seconds``…); the methods below
        are its usual forms. A ``datetime`` is sent as ISO 8601, a naive one as UTC."""
        body = _payload(_clock_schema(), {"action": action, **change}, "move_clock")
        return self._call("POST", "/clock", json=body)

    def freeze_clock(self, at: datetime | str | None = None) -> dict[str, Any]:
        """Stop the clock, at ``at`` or now; a naive ``datetime`` is UTC."""
        return self.move_clock("freeze", time=at)

    def set_clock(self, at: datetime | str) -> dict[str, Any]:
        return self.move_clock("set", time=at)

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return self.move_clock("advance", seconds=seconds)

    def advance(self, *, days: float = 0, hours: float = 0, minutes: float = 0,
                seconds: float = 0) -> dict[str, Any]:
        """Move the clock forward and answer once the orders, invoices and pauses it made due
        have renewed, retried and ended: the answer's ``billing`` counts what they did."""
        return self.advance_clock(days * 86400 + hours * 3600 + minutes * 60 + seconds)

    def resume_clock(self) -> dict[str, Any]:
        return self.move_clock("resume")

    def real_clock(self) -> dict[str, Any]:
        return self.move_clock("real")

    # -- faults ---------------------------------------------------------------------------

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule (docs/faults.md, docs/webhooks.md): every field of
        ``POST /__admin/faults``, by its JSON name or in snake_case (``delay_seconds``,
        ``global_rule`` for ``global``); keywords left out or ``None`` are not sent."""
        return self._call("POST", "/faults", json=_payload(_fault_rule_schema(), rule,
                                                           "add_fault"))

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/faults")

    def fault(self, rule_id: str) -> dict[str, Any]:
        return self._call("GET", f"/faults/{_segment(rule_id)}")

    def delete_fault(self, rule_id: str) -> None:
        self._call("DELETE", f"/faults/{_segment(rule_id)}")

    def clear_faults(self) -> dict[str, int]:
        return self._call("DELETE", "/faults")

    # -- request journal --------------------------------------------------------------------

    def requests(self, method: str | None = None, path: str | None = None,
                 status: int | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """This namespace's journaled API requests, newest first."""
        self._namespace_key("requests")
        params = {key: value for key, value in
                  dict(method=method, path=path, status=status, limit=limit).items()
                  if value is not None}
        return self._call("GET", "/requests", params=params)

    def clear_requests(self) -> dict[str, int]:
        return self._call("DELETE", "/requests")

    # -- webhooks ---------------------------------------------------------------------------

    def deliver_webhooks(self) -> dict[str, int]:
        """Send the webhook deliveries due now (this namespace's, or all without a key) and
        wait until those attempts end; then deliveries by state (``delivered``, ``failed``,
        ``pending``) and ``attempts`` made in all."""
        return self._call("POST", "/webhooks/deliver")

    def webhook_tracking(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """This namespace's webhook delivery attempts, newest first."""
        self._namespace_key("webhook_tracking")
        params = {"eventType": event_type} if event_type else None
        return self._call("GET", "/webhooks/tracking", params=params)

    # -- the document -----------------------------------------------------------------------

    def openapi(self) -> dict[str, Any]:
        """The sandbox's OpenAPI document, its server being the URL this client called."""
        return self._call("GET", "/openapi.json", namespace=False)


def _problem(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    return {"title": response.reason or "Error", "status": response.status_code,
            "detail": response.text[:500] or None}
