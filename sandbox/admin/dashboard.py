"""``GET /__admin/``: one server-rendered page showing what the sandbox holds and was sent.

Read-only, built from the same state the admin API reads. A namespace is picked by its id (a
hash of the key salted per database, so the page gives nothing to test guessed keys against),
never by the key: a key in a URL would end up in logs and browser history. Each is shown by its
fingerprint, the first 12 hex digits of that id. The
templates are autoescaped, so stored data shows as text whatever it contains, and the page is
sent with a policy that allows no script at all.
"""

from __future__ import annotations

import json
import re
from itertools import islice
from typing import Any

from flask import Response, make_response, render_template, request

from ..auth import fingerprint
from ..problems import BadRequest
from ..seeding import SEEDED_KIND
from ..services.customers import CUSTOMERS
from ..services.events import DELIVERIES
from ..services.order_timeline import order_timeline
from ..services.tables import INVOICES, ORDERS
from ..services.tracking import TRACKING
from ..state import SandboxState, get_state
from . import operations

__all__ = ("dashboard",)

NAMESPACE_ID = re.compile(r"ns_[0-9a-f]{24}")
#: Newest customers and journal entries shown for a namespace.
SHOWN = 100
#: Newest orders and invoices shown for a namespace: a glance at its billing, not a report.
SHOWN_BILLING = 50
#: Kinds listed first; any other kind follows in name order.
KIND_ORDER = ("customers", "tokens", "payment-instruments", "tags", "lead-sources", "websites",
              "products", "plans", "coupons", "subscriptions", "invoices")
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "frame-ancestors 'none'; form-action 'self'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def dashboard() -> Response:
    state = get_state()
    selected = request.args.get("namespace", "").strip() or None
    if selected is not None and not NAMESPACE_ID.fullmatch(selected):
        raise BadRequest("'namespace' takes a namespace id (ns_ and 24 hex digits), as listed "
                         "on the dashboard; keys never go in URLs.")
    order_id = request.args.get("order", "").strip()[:50] or None
    namespaces = _namespaces(state)
    page = render_template(
        "dashboard.html", health=operations.health(state), namespaces=namespaces,
        kinds=_kinds(namespaces), selected=selected,
        customers=_customers(state, selected) if selected else None,
        billing=_billing(state, selected) if selected else None,
        timeline=_timeline(state, selected, order_id) if selected and order_id else None,
        order_id=order_id,
        requests=[_request(entry) for entry in state.journal.entries(selected, limit=SHOWN)]
        if selected else [],
        deliveries=_deliveries(state, selected) if selected else [],
        rules=_rules(state, selected), shown=SHOWN, shown_billing=SHOWN_BILLING)
    return make_response(page, 200, PAGE_HEADERS)


def _namespaces(state: SandboxState) -> list[dict[str, Any]]:
    listed = []
    for namespace, counts in sorted(state.store.namespaces().items()):
        if not NAMESPACE_ID.fullmatch(namespace):
            continue  # the database's own settings, not a credential's data
        counts = {kind: count for kind, count in counts.items() if kind != SEEDED_KIND}
        listed.append({"id": namespace, "fingerprint": fingerprint(namespace), "counts": counts,
                       "credential": _credential(state, namespace)})
    return listed


def _credential(state: SandboxState, namespace: str) -> str | None:
    """The redacted credential of the namespace's latest request (``sk_sandbox_…cdef``)."""
    for entry in state.journal.entries(namespace, limit=1):
        for name, value in entry["headers"].items():
            if name.lower() in ("reb-apikey", "authorization"):
                return value
    return None


def _kinds(namespaces: list[dict[str, Any]]) -> list[str]:
    present = {kind for namespace in namespaces for kind in namespace["counts"]}
    return [kind for kind in KIND_ORDER if kind in present] + sorted(present - set(KIND_ORDER))


def _customers(state: SandboxState, namespace: str) -> dict[str, Any]:
    """The newest customers, reading only the fields shown (the namespace may be large)."""
    with state.store.transaction() as tx:
        total = tx.count(namespace, CUSTOMERS)
        newest = [{
            "id": customer["id"], "email": customer.get("email"),
            "firstName": customer.get("firstName"), "lastName": customer.get("lastName"),
            "createdTime": customer.get("createdTime"),
            "tags": [tag["name"] for tag in customer.get("tags") or []],
        } for customer in islice(reversed(tx.view(namespace, CUSTOMERS)), SHOWN)]
    return {"total": total, "newest": newest}


def _billing(state: SandboxState, namespace: str) -> dict[str, Any]:
    """The newest orders and invoices, reading only those shown and only the fields shown, as
    for customers: a namespace may hold many of either."""
    with state.store.transaction() as tx:
        orders = [{
            "id": order["id"], "status": order.get("status"),
            "planIds": order.get("planId") or [], "renewalTime": order.get("renewalTime"),
        } for order in islice(reversed(tx.view(namespace, ORDERS)), SHOWN_BILLING)]
        invoices = [{key: invoice.get(key) for key in (
            "id", "type", "status", "currency", "amount", "amountDue")}
            for invoice in islice(reversed(tx.view(namespace, INVOICES)), SHOWN_BILLING)]
        return {"orders": orders, "ordersTotal": tx.count(namespace, ORDERS),
                "invoices": invoices, "invoicesTotal": tx.count(namespace, INVOICES)}


def _timeline(state: SandboxState, namespace: str, order_id: str) -> list[dict[str, Any]]:
    """One order's timeline (``?order=``): its invoices and payments by time; empty when the
    namespace has no such order."""
    with state.store.transaction() as tx:
        return order_timeline(tx, namespace, order_id) or []


#: A network fault as the journal describes it (``network truncate``, ``delay 5ms, network hang``).
NETWORK_FAULT = re.compile(r"\bnetwork (\w+)")


def status_tone(status: int | None, cut: str | None = None) -> str:
    """The colour class of an answer: 2xx green, 4xx amber, 5xx and cut connections red."""
    if status is None or cut:
        return "network"
    return f"{status // 100}xx"


def answer_cut(entry: dict[str, Any]) -> str | None:
    """How a network fault cut the answer (truncate, reset, close, hang), if one did.

    A truncated answer keeps the status its head carried, yet the client never got it whole.
    """
    found = NETWORK_FAULT.search((entry.get("fault") or {}).get("action") or "")
    return found.group(1) if found else None


def _request(entry: dict[str, Any]) -> dict[str, Any]:
    cut = answer_cut(entry)
    if entry["status"] is None:
        label = "dropped"
    else:
        label = f"{entry['status']} cut" if cut else str(entry["status"])
    return {**entry, "cut": cut, "label": label, "tone": status_tone(entry["status"], cut)}


def _deliveries(state: SandboxState, namespace: str) -> list[dict[str, Any]]:
    """The newest webhook deliveries, each with the receiver's answer to its latest attempt
    (status 0: none came), so a request's events show beside it in the journal."""
    with state.store.transaction() as tx:
        newest = [{key: delivery.get(key) for key in (
            "id", "createdTime", "eventType", "entityId", "method", "url", "attempt", "state",
            "failureReason")}
            for delivery in islice(reversed(tx.view(namespace, DELIVERIES)), SHOWN)]
        wanted = {delivery["id"] for delivery in newest}
        answered: dict[str, int] = {}
        for entry in tx.view(namespace, TRACKING):  # oldest first: the latest attempt wins
            if entry.get("deliveryId") in wanted:
                answered[entry["deliveryId"]] = entry["status"]
    for delivery in newest:
        status = answered.get(delivery["id"])
        delivery["status"] = status
        delivery["tone"] = "none" if status is None else status_tone(status or None)
    return newest


def _rules(state: SandboxState, namespace: str | None) -> list[dict[str, Any]]:
    """The rules that apply: the namespace's own, then the global ones."""
    shown = []
    for rule in state.faults.rules(namespace):
        listed = state.faults.shown(rule)
        match = listed.get("match") or {}
        shown.append({**listed, "action": rule.action.describe(),
                      "match": json.dumps(match, separators=(", ", ": ")) if match else "any"})
    return shown
