"""The webhook tracking log: one ``hook_log_…`` document per delivery attempt, and resend.

Each attempt the delivery worker makes (or a delivery fault stands in for) is written here in
Rebilly's ``WebhookTracking`` shape, with the receiver's status (0 when none came), the duration,
what was sent and what came back. The ``Authorization`` header is shown with its scheme only:
the credential's password is write-only. Each namespace keeps its newest ``MAX_ENTRIES``, and
no more than ``MAX_BYTES`` of request and response text in all, the oldest going first.
"""

from __future__ import annotations

import json
import operator
from typing import Any

from ..ids import format_time
from ..problems import NotFound
from ..resources import WEBHOOK_TRACKING
from ..store import Transaction
from .context import Context, default_organization
from .events import DELIVERIES, EVENT_TYPES, render_within
from .listing import Page, list_documents
from .paging import ListQuery
from .retention import Room, sizes_of

__all__ = ("TRACKING", "MAX_ENTRIES", "MAX_BYTES", "record_attempt", "list_entries", "all_entries",
           "get_entry", "resend", "preview", "redacted_headers")

TRACKING = WEBHOOK_TRACKING.table
#: Tracking entries kept per namespace; the oldest go first.
MAX_ENTRIES = 1000
#: Bytes of request and response text the entries of a namespace keep, the oldest going first
#: (the newest is always kept). A constant, like ``MAX_ENTRIES``: the worker records attempts
#: without the app's settings, and a body sent is capped by the delivery budget already. 32 MiB
#: keeps the last 25 attempts of 1 MiB, or all 1000 entries of ordinary deliveries.
MAX_BYTES = 32 * 1024 * 1024
#: The event a preview sends when the webhook listens to every event type.
PREVIEW_EVENT = "customer-created"
_REQUEST, _RESPONSE = operator.itemgetter("request"), operator.itemgetter("response")


def redacted_headers(headers: dict[str, str]) -> dict[str, str]:
    """Headers as the log shows them: ``Authorization`` keeps its scheme, never its secret."""
    shown = {}
    for name, value in headers.items():
        if name.lower() == "authorization":
            value = f"{value.split(' ', 1)[0]} [redacted]"
        shown[name] = value
    return shown


def record_attempt(tx: Transaction, namespace: str, entry_id: str,
                   delivery: dict[str, Any], attempt: dict[str, Any]) -> dict[str, Any]:
    """Write one attempt's entry; ``attempt`` holds what the worker saw (status, duration, times,
    request body and headers, response body and headers)."""
    entry = {
        "id": entry_id,
        "status": attempt["status"],
        "duration": attempt["duration"],
        "initiatedTime": attempt["initiatedTime"],
        "sentTime": attempt["sentTime"],
        "url": delivery["url"],
        "method": delivery["method"],
        "request": attempt["request"],
        "response": attempt["response"],
        "requestHeaders": redacted_headers(attempt["requestHeaders"]),
        "responseHeaders": attempt["responseHeaders"],
        "entityId": delivery["entityId"],
        "eventType": delivery["eventType"],
        "source": "webhooks",
        "attempt": attempt["attempt"],
        "organizationId": delivery.get("organizationId") or default_organization(namespace),
        "webhookId": delivery["webhookId"],
        "deliveryId": delivery["id"],
    }
    tx.insert(namespace, TRACKING, entry)
    _forget_oldest(tx, namespace)
    return entry


def _forget_oldest(tx: Transaction, namespace: str) -> None:
    """Delete the oldest entries beyond ``MAX_ENTRIES`` or ``MAX_BYTES``, never the newest.
    Sizes are read in C loops: this runs on every attempt, with the store held."""
    entries = tx.view(namespace, TRACKING)
    sizes = list(map(operator.add, sizes_of(list(map(_REQUEST, entries))),
                     sizes_of(list(map(_RESPONSE, entries)))))
    extra = len(sizes) - MAX_ENTRIES
    over = sum(sizes) - MAX_BYTES
    if extra <= 0 and over <= 0:
        return
    gone = []
    for entry, size in zip(entries, sizes[:-1], strict=False):  # the newest stays
        if extra <= 0 and over <= 0:
            break
        gone.append(entry["id"])
        extra -= 1
        over -= size
    for entry_id in gone:
        tx.delete(namespace, TRACKING, entry_id)


def list_entries(ctx: Context, query: ListQuery) -> Page:
    """The page of the namespace's entries ``query`` asks for (newest first unless sorted)."""
    return list_documents(ctx.store, ctx.namespace, query)


def all_entries(ctx: Context, event_type: str | None = None) -> list[dict[str, Any]]:
    """Every entry the namespace keeps, newest first; only those of ``event_type`` when given.
    The stored documents themselves, as on a list page: never change one."""
    filters = () if event_type is None else (lambda entry: entry["eventType"] == event_type,)
    query = ListQuery(WEBHOOK_TRACKING, limit=MAX_ENTRIES, filters=filters)
    return list_documents(ctx.store, ctx.namespace, query).documents


def get_entry(ctx: Context, entry_id: str) -> dict[str, Any]:
    with ctx.store.transaction() as tx:
        entry = tx.get(ctx.namespace, TRACKING, entry_id)
    if entry is None:
        raise NotFound(f"No webhook tracking entry {entry_id}.")
    return entry


def resend(ctx: Context, entry_id: str) -> None:
    """Schedule one more attempt of the entry's delivery now, whatever became of it."""
    now = format_time(ctx.clock.now())
    with ctx.store.transaction() as tx:
        entry = tx.get(ctx.namespace, TRACKING, entry_id)
        delivery = entry and tx.get(ctx.namespace, DELIVERIES, entry["deliveryId"])
        if delivery is None:
            raise NotFound(f"No webhook tracking entry {entry_id} with a delivery to send "
                           "again.")
        delivery.update(state="pending", dueTime=now, lastAttempt=delivery["attempt"] + 1)
        delivery.pop("heldAttempt", None)
        tx.put(ctx.namespace, DELIVERIES, delivery)
        if ctx.outbox is not None:
            ctx.outbox(ctx.namespace, delivery["id"], now)


def preview_payload(event_type: str, entity_id: str) -> dict[str, Any]:
    """What a preview sends: the default payload's shape, its resource holding only its id, and
    ``"preview": true`` so a receiver can tell it from a real event."""
    kind = EVENT_TYPES[event_type]
    return {kind.root: entity_id, "eventType": event_type,
            "_embedded": {kind.embeds[0]: {"id": entity_id}}, "_links": [], "preview": True}


def preview(ctx: Context, webhook: dict[str, Any]) -> str:
    """Write a one-attempt delivery of a sample event to the webhook in ``webhook`` (a
    ``GlobalWebhook`` body, not stored) and hand it to the worker; returns its id."""
    listened = [name for name in webhook.get("eventsFilter") or () if name in EVENT_TYPES]
    event_type = listened[0] if listened else PREVIEW_EVENT
    entity_id = ctx.ids.new("preview")
    payload = preview_payload(event_type, entity_id)
    now = format_time(ctx.clock.now())
    delivery = {
        "id": ctx.ids.new("whd"), "webhookId": webhook.get("id") or "preview",
        "eventType": event_type, "entityId": entity_id, "method": webhook["method"],
        "url": webhook["url"],
        "headers": [{"name": header["name"], "value": header["value"]}
                    for header in webhook.get("headers") or ()
                    if header.get("status", "active") == "active"],
        "credentialId": webhook["credentialHash"], "createdTime": now,
        "dueTime": now, "attempt": 0, "state": "pending", "lastAttempt": 1,
        "organizationId": ctx.organization_id,
    }
    with ctx.store.transaction() as tx:
        room = Room.of(tx, ctx)
        room.write(delivery, lambda left: _preview_body(webhook, payload, left))
        room.settle()
    return delivery["id"]


def _preview_body(webhook: dict[str, Any], payload: dict[str, Any], room: int) -> str | None:
    if webhook.get("body") is None:
        return json.dumps(payload, separators=(",", ":"))
    return render_within(webhook["body"], payload, room)
