"""Failure injection on API requests: decide, delay, fail, or fail after storing.

Three sources, first one that applies wins: the ``X-Sandbox-Fault`` request header, a magic
email address in the body (for browser-driven tests that cannot set headers), and the fault
rules of the namespace. Only API routes pass through here, so admin routes are never faulted.
Network faults are carried out by the server's connection handler (``rebilly_sandbox.serving``),
which owns the socket; this module only marks the request.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import gevent
from flask import Response, abort, g, request

from ..errors import problem_response
from ..faults import Action, Decision, action_from_email, parse_fault_header
from ..problems import BadRequest
from ..serving import NETWORK_FAULT_KEY
from ..state import SandboxState

__all__ = ("inject_before", "inject_after")

FAULT_HEADER = "X-Sandbox-Fault"


def _json_body() -> Any:
    try:
        return json.loads(request.get_data())
    except (ValueError, RecursionError):
        return None


#: Contacts whose ``emails`` are read for magic addresses: a customer's, and a token's (a
#: browser's card form sends no top-level email, only the billing address).
_CONTACT_KEYS = ("primaryAddress", "billingAddress")


def _emails(body: dict[str, Any]) -> list[Any]:
    """The top-level ``email``, then each contact's listed email values."""
    emails = [body.get("email")]
    for key in _CONTACT_KEYS:
        contact = body.get(key)
        listed = contact.get("emails") if isinstance(contact, dict) else None
        if isinstance(listed, list):
            emails += [entry.get("value") for entry in listed if isinstance(entry, dict)]
    return emails


def _email_action() -> Action | None:
    req = request._get_current_object()
    if req.method not in ("POST", "PUT") or b"fault." not in req.get_data().lower():
        return None
    body = _json_body()
    if not isinstance(body, dict):
        return None
    for email in _emails(body):
        if isinstance(email, str) and (action := action_from_email(email)):
            return action
    return None


def _one_off(action: Action, source: str) -> Decision:
    """A fault asked for by the request itself (header or email): a fixed delay, if any."""
    return Decision(action, source, delay_ms=action.delay_ms[0] if action.delay_ms else 0)


def _decide(state: SandboxState, namespace: str) -> Decision | None:
    req = request._get_current_object()
    if state.config["request_faults"]:
        header = req.headers.get(FAULT_HEADER)
        if header is not None:
            try:
                action = parse_fault_header(header)
            except ValueError as exc:
                raise BadRequest(f"{FAULT_HEADER}: {exc}.") from None
            return _one_off(action, "header")
        action = _email_action()
        if action is not None:
            return _one_off(action, "email")
    return state.faults.decide(namespace, req.method, req.path, req.headers, _json_body)


def _mark_network_fault(state: SandboxState, action: Action) -> None:
    cap = state.config["max_fault_seconds"]
    hang = cap if action.hang_seconds is None else min(action.hang_seconds, cap)
    request.environ[NETWORK_FAULT_KEY] = (action.network, hang)


def _error_answer(decision: Decision) -> Response:
    action = decision.action
    if action.body is not None:
        body = action.body if isinstance(action.body, str) else json.dumps(action.body)
        return Response(body, action.status, dict(action.headers), mimetype="application/json")
    origin = f"fault rule {decision.rule_id}" if decision.rule_id else f"the {decision.source}"
    try:
        title = HTTPStatus(action.status).phrase
    except ValueError:  # a status without a registered name, such as 599
        title = "Error"
    return problem_response(action.status, title, f"Injected by {origin}.",
                            headers=dict(action.headers))


def _after_commit(action: Action) -> bool:
    """A truncated body cuts a real answer short, so the request always runs first."""
    return action.after_commit or action.network == "truncate"


def inject_before(state: SandboxState, namespace: str) -> None:
    """Before the view: delay, then answer with the fault unless it waits for the commit.

    The fault's answer leaves through ``abort(response)``, which no error handler rewrites.
    """
    decision = _decide(state, namespace)
    if decision is None:
        return
    g.fault = decision
    if decision.delay_ms:
        # gevent's sleep: only this request's greenlet waits, also in a server whose thread was
        # not monkey-patched (the in-process server of the pytest plugin).
        gevent.sleep(min(decision.delay_ms / 1000, state.config["max_fault_seconds"]))
    action = decision.action
    if _after_commit(action) or not (action.status or action.network):
        return
    # The view never runs, so nothing is stored, whatever status the fault answers with.
    g.stored_before_fault = False
    if action.network:
        _mark_network_fault(state, action)
        abort(problem_response(500, "Network fault", "The server was to drop this connection; "
                               "only the sandbox's own server can do that."))
    abort(_error_answer(decision))


def inject_after(state: SandboxState, response: Response) -> Response:
    """After the view: replace a stored request's answer when the fault says after commit."""
    decision = g.get("fault")
    if decision is None or not _after_commit(decision.action):
        return response
    g.stored_before_fault = request.method in ("POST", "PUT", "PATCH", "DELETE") \
        and response.status_code < 300
    if decision.action.network:
        _mark_network_fault(state, decision.action)
        return response
    return _error_answer(decision)
