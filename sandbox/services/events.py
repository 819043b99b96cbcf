"""Events and their webhook deliveries, written in the transaction of the change that caused them.

``emit`` is an outbox: it writes one ``webhook-deliveries`` document per active webhook that wants
the event, inside the store transaction of the change itself, so the change and its deliveries
commit (or roll back) together and a crash can never keep one without the other. Sending is not
done here: ``ctx.outbox`` is told of each delivery written, and the delivery worker takes it from
there.

The default payload is Rebilly's: the root id field of the event type, ``eventType``,
``_embedded`` with each resource exactly as a GET shows it, and ``_links`` to them. How a resource
is shown belongs to the API layer, which registers its presenters here
(``register_presenter``), so this module imports nothing of Flask.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..ids import format_time
from ..resources import (
    COUPONS,
    CUSTOMERS,
    INVOICES,
    PAYMENT_INSTRUMENTS,
    SUBSCRIPTIONS,
    TRANSACTIONS,
    ListedResource,
)
from ..store import Transaction, copy_document
from .context import Context
from .filters import FilterRefused, Predicate, all_of, compile_filter
from .retention import DELIVERIES, Room
from .tables import LEAD_SOURCES

__all__ = ("DELIVERIES", "WEBHOOKS", "EVENT_TYPES", "EventType", "emit", "register_presenter",
           "render_template", "render_within", "filter_fields", "matches_filter", "default_payload",
           "MAX_RENDERED_BODY")

#: Registered webhooks, as the API answers them minus ``_links``.
WEBHOOKS = "webhooks"


@dataclass(frozen=True)
class EventType:
    """What an event type's default payload holds and what its ``filter`` is matched against."""

    #: The payload's root id field.
    root: str
    #: ``_embedded`` names, the first being the main resource (the one ``filter`` reads).
    embeds: tuple[str, ...]
    #: The listed resource whose filterable fields ``filter`` may name.
    resource: ListedResource
    #: More root id fields, each the id of an ``_embedded`` document: (field, embedded name).
    more_ids: tuple[tuple[str, str], ...] = ()


_CUSTOMER = EventType("customerId", ("customer",), CUSTOMERS)
_CARD = EventType("paymentCardId", ("paymentCard",), PAYMENT_INSTRUMENTS)
_INSTRUMENT = EventType("paymentInstrumentId", ("paymentInstrument",), PAYMENT_INSTRUMENTS)
_TRANSACTION = EventType("transactionId", ("transaction",), TRANSACTIONS)
_CHILD = EventType("transactionId", ("transaction", "childTransaction"), TRANSACTIONS)
_INVOICE = EventType("invoiceId", ("invoice",), INVOICES)
_ORDER = EventType("subscriptionId", ("subscription",), SUBSCRIPTIONS)
_PAUSE = EventType("subscriptionId", ("subscription", "pause"), SUBSCRIPTIONS,
                   (("subscriptionPauseId", "pause"),))
_RENEWAL_INVOICE = EventType("subscriptionId", ("subscription", "invoice"), SUBSCRIPTIONS,
                             (("invoiceId", "invoice"),))
_INVOICE_PAYMENT = EventType("transactionId", ("transaction", "invoice"), TRANSACTIONS,
                             (("invoiceId", "invoice"),))
_COUPON = EventType("couponId", ("coupon",), COUPONS)
_REDEMPTION = EventType("couponId", ("coupon", "redemption", "customer"), COUPONS,
                        (("redemptionId", "redemption"), ("customerId", "customer")))

#: The event types the sandbox fires, in the order the docs list them.
EVENT_TYPES: Mapping[str, EventType] = {
    "customer-created": _CUSTOMER,
    "customer-updated": _CUSTOMER,
    "payment-card-created": _CARD,
    "payment-instrument-modified": _INSTRUMENT,
    "transaction-processed": _TRANSACTION,
    "transaction-declined": _TRANSACTION,
    "offsite-payment-completed": _TRANSACTION,
    "transaction-refunded": _CHILD,
    "transaction-partially-refunded": _CHILD,
    "transaction-voided": _CHILD,
    "invoice-created": _INVOICE,
    "invoice-modified": _INVOICE,
    "invoice-issued": _INVOICE,
    "invoice-paid": _INVOICE,
    "invoice-partially-paid": _INVOICE,
    "invoice-voided": _INVOICE,
    "invoice-abandoned": _INVOICE,
    "invoice-refunded": _INVOICE,
    "invoice-partially-refunded": _INVOICE,
    "invoice-past-due": _INVOICE,
    "invoice-reissued": _INVOICE,
    "subscription-created": _ORDER,
    "subscription-activated": _ORDER,
    "subscription-modified": _ORDER,
    "subscription-items-changed": _ORDER,
    "subscription-upgraded": _ORDER,
    "subscription-downgraded": _ORDER,
    "subscription-renewed": _ORDER,
    "subscription-canceled": _ORDER,
    "subscription-churned": _ORDER,
    "subscription-reactivated": _ORDER,
    "subscription-trial-converted": _ORDER,
    "subscription-trial-ended": _ORDER,
    "order-abandoned": _ORDER,
    "order-completed": _ORDER,
    "order-delinquency-reached": _ORDER,
    "subscription-pause-created": _PAUSE,
    "subscription-pause-modified": _PAUSE,
    "subscription-pause-revoked": _PAUSE,
    "subscription-paused": _PAUSE,
    "subscription-resumed": _PAUSE,
    "renewal-invoice-issued": _RENEWAL_INVOICE,
    "renewal-invoice-payment-declined": _INVOICE_PAYMENT,
    "coupon-issued": _COUPON,
    "coupon-modified": _COUPON,
    "coupon-expiration-modified": _COUPON,
    "coupon-expired": _COUPON,
    "coupon-redeemed": _REDEMPTION,
    "coupon-applied": _REDEMPTION,
    "coupon-application-removed": _REDEMPTION,
    "coupon-redemption-canceled": _REDEMPTION,
}

#: Each ``_embedded`` name: the kind of resource it is and the path a link to it takes.
_EMBED_KINDS = {
    "customer": ("customer", "customers"),
    "paymentCard": ("payment-instrument", "payment-instruments"),
    "paymentInstrument": ("payment-instrument", "payment-instruments"),
    "transaction": ("transaction", "transactions"),
    "childTransaction": ("transaction", "transactions"),
    "invoice": ("invoice", "invoices"),
    "subscription": ("subscription", "subscriptions"),
    "pause": ("subscription-pause", "subscription-pauses"),
    "coupon": ("coupon", "coupons"),
    "redemption": ("coupon-redemption", "coupons-redemptions"),
}

#: kind -> ``presenter(document, base_url, **facts)``: the resource as the API answers it.
Presenter = Callable[..., dict[str, Any]]
_PRESENTERS: dict[str, Presenter] = {}


def register_presenter(kind: str, presenter: Presenter) -> None:
    """Let payloads show a ``kind`` of resource (customer, payment-instrument, transaction) as
    the API does. Without one, a payload embeds the stored document as it is."""
    _PRESENTERS[kind] = presenter


def emit(tx: Transaction, ctx: Context, event_type: str, entity_id: str,
         embedded: dict[str, dict[str, Any]]) -> list[str]:
    """Write a delivery of ``event_type`` to each active webhook of the namespace that wants it.

    Call inside the transaction of the change that caused the event, after the change is written,
    with the resources of the payload as stored (an instrument as shown at this moment). Returns
    the ids of the deliveries written; one whose body does not fit the namespace's byte budget is
    written failed (``retention.Room``). Costs one count when the namespace has no webhooks.
    """
    kind = EVENT_TYPES[event_type]
    ctx.events_fired += 1
    if not tx.count(ctx.namespace, WEBHOOKS):
        return []
    main = embedded[kind.embeds[0]]
    hooks = [hook for hook in tx.view(ctx.namespace, WEBHOOKS)
             if hook.get("status") == "active"
             and (not hook.get("eventsFilter") or event_type in hook["eventsFilter"])
             and matches_filter(hook.get("filter"), kind.resource, main)]
    if not hooks:
        return []
    bodies = _Bodies(default_payload(tx, ctx, event_type, entity_id, embedded))
    room = Room.of(tx, ctx)
    now = format_time(ctx.clock.now())
    written = []
    for hook in hooks:
        delivery = {
            "id": ctx.ids.new("whd"),
            "webhookId": hook["id"],
            "eventType": event_type,
            "entityId": entity_id,
            "method": hook["method"],
            "url": hook["url"],
            "headers": [{"name": header["name"], "value": header["value"]}
                        for header in hook.get("headers", [])
                        if header.get("status", "active") == "active"],
            "credentialId": hook["credentialHash"],
            "createdTime": now,
            "dueTime": now,
            "attempt": 0,
            "state": "pending",
        }
        room.write(delivery, functools.partial(bodies.made, hook.get("body")))
        written.append(delivery["id"])
    room.settle()
    return written


class _Bodies:
    """The bodies of one event: the default payload encoded once, each template rendered once
    however many webhooks share it (the same string stored for each), and each value a template
    reads encoded once for all of them."""

    def __init__(self, payload: dict[str, Any]):
        self.payload = payload
        self._texts = _Texts(payload)
        self._made: dict[str | None, tuple[int, str | None]] = {}

    def made(self, template: str | None, room: int) -> str | None:
        """The body for a webhook with ``template`` (None: the default payload), or None when
        it would take more than ``room`` characters (a template's rendering stops there)."""
        made = self._made.get(template)
        if made is not None and (made[1] is not None or made[0] >= room):
            return made[1]  # a body, whatever the room; or too big for as much room or more
        if template is None:
            body: str | None = json.dumps(self.payload, separators=(",", ":"))
        else:
            body = _render(template, self._texts, room)
        self._made[template] = (room, body)
        return body


def default_payload(tx: Transaction, ctx: Context, event_type: str, entity_id: str,
                    embedded: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Rebilly's default payload: root id, ``eventType``, ``_embedded`` and ``_links``.

    Links are absolute from the request's root URL; outside a request (fixtures loading) they are
    paths from the API root.
    """
    base_url = ctx.base_url or ""
    shown: dict[str, Any] = {}
    links = []
    for name, document in embedded.items():
        kind, path = _EMBED_KINDS[name]
        shown[name] = _present(tx, ctx, kind, document, base_url)
        links.append({"rel": name, "href": f"{base_url}/{path}/{document['id']}"})
    kind = EVENT_TYPES[event_type]
    ids = {field: embedded[name]["id"] for field, name in kind.more_ids}
    return {kind.root: entity_id, **ids, "eventType": event_type, "_embedded": shown,
            "_links": links}


def _present(tx: Transaction, ctx: Context, kind: str, document: dict[str, Any],
             base_url: str) -> dict[str, Any]:
    presenter = _PRESENTERS.get(kind)
    if presenter is None:
        return copy_document(document)
    if kind == "customer":
        return presenter(document, base_url,
                         has_lead_source=tx.exists(ctx.namespace, LEAD_SOURCES, document["id"]))
    return presenter(document, base_url)


# -- filter and template ---------------------------------------------------------------------

def filter_fields(event_types: list[str] | tuple[str, ...]) -> dict[str, str]:
    """The fields a webhook ``filter`` may name when it listens to ``event_types`` (all when
    empty): those of the main resource of any of them."""
    fields: dict[str, str] = {}
    for name in event_types or EVENT_TYPES:
        fields.update(EVENT_TYPES[name].resource.filterable)
    return fields


def matches_filter(raw: str | None, resource: ListedResource, document: dict[str, Any]) -> bool:
    """Whether a webhook's ``filter`` lets an event through: no filter does; a filter naming a
    field the event's resource lacks does not."""
    if not raw:
        return True
    predicate = _compiled(raw, resource)
    return predicate is None or predicate(document)


@functools.lru_cache(maxsize=256)
def _compiled(raw: str, resource: ListedResource) -> Predicate | None:
    try:
        return all_of(list(compile_filter(raw, resource.filterable)))
    except FilterRefused:
        return lambda document: False


#: Characters a rendered ``body`` template may reach: a placeholder that would take the body past
#: it renders as the empty string, and so does every one after it, so a short template repeating
#: ``{{transaction}}`` cannot make every event store and send megabytes, nor take longer to render
#: than its budget allows.
MAX_RENDERED_BODY = 1024 * 1024
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")


def render_template(template: str, payload: dict[str, Any]) -> str:
    """A webhook ``body`` with each ``{{path}}`` replaced by its value in the event.

    A path is ``eventType``, the root id field, or a dot path into an embedded resource
    (``transaction.id``, ``customer.email``); objects and lists render as compact JSON, an
    unknown path or ``null`` as the empty string. The first value that would take the body past
    ``MAX_RENDERED_BODY`` renders as the empty string, and so does every placeholder after it,
    unread: rendering costs at most its budget, however many placeholders the template repeats.
    """
    return _render(template, _Texts(payload), None) or ""


def render_within(template: str, payload: dict[str, Any], room: int) -> str | None:
    """``render_template``, or None as soon as the body is known to need more than ``room``
    characters: a caller with less room than ``MAX_RENDERED_BODY`` pays no more than its room."""
    return _render(template, _Texts(payload), room)


def _render(template: str, texts: _Texts, room: int | None) -> str | None:
    pieces = _PLACEHOLDER.split(template)  # text, path, text, path, ..., text
    literal = sum(map(len, pieces[::2]))
    left = MAX_RENDERED_BODY - literal  # the body's own budget
    spare = left if room is None else room - literal  # the caller's
    if spare < 0 and room is not None:
        return None
    for index in range(1, len(pieces), 2):
        text = texts[pieces[index]]
        if len(text) > left:  # the budget is spent: this and every later one render empty
            pieces[index::2] = [""] * len(pieces[index::2])
            break
        if len(text) > spare:  # within the budget, beyond the caller's room
            return None
        left -= len(text)
        spare -= len(text)
        pieces[index] = text
    return "".join(pieces)


class _Texts(dict):
    """Each path's text in one event, looked up and encoded once per render however often the
    template repeats it; a value that several paths reach (``tags.0``, ``tags.00``) is encoded
    once too."""

    def __init__(self, payload: dict[str, Any]):
        super().__init__()
        self._values = {key: value for key, value in payload.items() if key != "_embedded"}
        self._values.update(payload.get("_embedded", {}))
        self._encoded: dict[int, str] = {}  # by id(): the payload outlives the render

    def __missing__(self, path: str) -> str:
        value = _value_at(self._values, path)
        if value is None or isinstance(value, str):
            text = value or ""
        else:
            text = self._encoded.get(id(value))
            if text is None:
                text = self._encoded[id(value)] = json.dumps(value, separators=(",", ":"))
        self[path] = text
        return text


def _value_at(values: dict[str, Any], path: str) -> Any:
    """The value at a dot path, None when there is none."""
    value: Any = values
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value
