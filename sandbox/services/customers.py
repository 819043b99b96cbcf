"""Customer business rules: create, upsert, merge-and-delete, and the lead source's own writes
(reads: ``customer_reads``).

Pure Python: no Flask, no marshmallow. Input is the clean data a schema loaded; output is the
stored customer document. Each operation is one store transaction, so a failure part-way (a used
token, an unknown instrument) stores nothing.
"""

from __future__ import annotations

import re
from typing import Any

from ..ids import format_time
from ..problems import Conflict, NotFound, ValidationFailed
from ..store import Transaction, copy_document
from . import tags as tag_rules
from .contacts import build_contact, derived_names
from .context import Context
from .events import emit
from .instruments import instrument_reference, redeem_token
from .tables import CUSTOMERS, LEAD_SOURCES, PAYMENT_INSTRUMENTS, WEBSITES

__all__ = ("CUSTOMERS", "LEAD_SOURCES", "WEBSITES", "CLIENT_ID", "create_customer",
           "upsert_customer", "merge_customer", "put_lead_source", "delete_lead_source")

CLIENT_ID = re.compile(r"[@~\-.\w]{1,50}", re.ASCII)

#: Writable fields copied as sent (after validation), with the value used when absent.
_WRITABLE_DEFAULTS: dict[str, Any] = {
    "websiteId": None,
    "preferredPayoutInstrumentId": None,
    "customFields": {},
    "locale": None,
    "taxNumbers": [],
    "personId": None,
    "notificationEmails": [],
    "isEddRequired": False,
}


def create_customer(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Create a customer with a generated id from validated ``data``; return it as stored.

    :raises ValidationFailed: for a bad ``paymentToken`` or ``defaultPaymentInstrumentId``.
    """
    with ctx.store.transaction() as tx:
        now = format_time(ctx.clock.now())
        customer = _new_customer(ctx, ctx.ids.new("cus"), now)
        _apply(tx, ctx, customer, data, now, creating=True)
        tx.insert(ctx.namespace, CUSTOMERS, customer)
        emit(tx, ctx, "customer-created", customer["id"], {"customer": customer})
        return customer


def upsert_customer(ctx: Context, customer_id: str, data: dict[str, Any]) -> tuple[dict, bool]:
    """Create the customer with this id, or replace its writable fields; return (customer, new).

    An update keeps ``createdTime``, bumps ``revision`` and ``updatedTime``, and keeps tags,
    lead source and default instrument unless the body sends them.

    :raises ValidationFailed: for a malformed id or a bad payment reference.
    """
    if not CLIENT_ID.fullmatch(customer_id):
        raise ValidationFailed([{"field": "id", "message": "Must be 1-50 characters: letters, "
                                 "digits and @ ~ - . _"}])
    with ctx.store.transaction() as tx:
        now = format_time(ctx.clock.now())
        existing = tx.get(ctx.namespace, CUSTOMERS, customer_id)
        if existing is None:
            customer = _new_customer(ctx, customer_id, now)
            _apply(tx, ctx, customer, data, now, creating=True)
            tx.insert(ctx.namespace, CUSTOMERS, customer)
            emit(tx, ctx, "customer-created", customer_id, {"customer": customer})
            return customer, True
        _apply(tx, ctx, existing, data, now, creating=False)
        existing["revision"] += 1
        existing["updatedTime"] = now
        tx.put(ctx.namespace, CUSTOMERS, existing)
        emit(tx, ctx, "customer-updated", customer_id, {"customer": existing})
        return existing, False


def _new_customer(ctx: Context, customer_id: str, now: str) -> dict[str, Any]:
    return {
        "id": customer_id,
        "email": None,
        "firstName": None,
        "lastName": None,
        "websiteId": None,
        "defaultPaymentInstrument": None,
        "preferredPayoutInstrumentId": None,
        "createdTime": now,
        "updatedTime": now,
        "customFields": {},
        "primaryAddress": None,
        "company": None,
        "averageValue": {"currency": "USD", "amount": 0, "amountUsd": 0},
        "paymentCount": 0,
        "lastPaymentTime": None,
        "lifetimeRevenue": {"currency": "USD", "amount": 0, "amountUsd": 0},
        "invoiceCount": 0,
        "tags": [],
        "revision": 1,
        "hasFulfilledKyc": False,
        "organizationId": ctx.organization_id,
        "locale": None,
        "taxNumbers": [],
        "personId": None,
        "notificationEmails": [],
        "isEddRequired": False,
    }


def _apply(tx: Transaction, ctx: Context, customer: dict[str, Any], data: dict[str, Any],
           now: str, *, creating: bool) -> None:
    """Write validated ``data`` onto ``customer`` (replace semantics for writable fields)."""
    for field, default in _WRITABLE_DEFAULTS.items():
        value = data.get(field)
        customer[field] = copy_document(default) if value is None else value
    address = build_contact(_mirror_top_level(data))
    customer["primaryAddress"] = address
    customer["email"], customer["firstName"], customer["lastName"] = derived_names(address)
    if creating or "tags" in data:
        customer["tags"] = tag_rules.resolve(tx, ctx, data.get("tags") or [], now)
    if creating or "leadSource" in data:
        _store_lead_source(tx, ctx, customer["id"], data.get("leadSource"), now)
    if data.get("paymentToken") is not None:
        instrument = redeem_token(tx, ctx, data["paymentToken"], customer["id"], address)
        customer["defaultPaymentInstrument"] = {"method": instrument["method"],
                                                "paymentInstrumentId": instrument["id"]}
    elif data.get("defaultPaymentInstrumentId") is not None:
        customer["defaultPaymentInstrument"] = instrument_reference(
            tx, ctx, data["defaultPaymentInstrumentId"], customer["id"])
    elif "defaultPaymentInstrumentId" in data:
        customer["defaultPaymentInstrument"] = None


def _mirror_top_level(data: dict[str, Any]) -> dict[str, Any] | None:
    """Fill primaryAddress from top-level email/firstName/lastName where it lacks them."""
    address = dict(data["primaryAddress"]) if data.get("primaryAddress") else None
    top = {key: data.get(key) for key in ("email", "firstName", "lastName")}
    if not any(value is not None for value in top.values()):
        return address
    address = address or {}
    for key in ("firstName", "lastName"):
        if top[key] is not None and address.get(key) is None:
            address[key] = top[key]
    if top["email"] is not None and not address.get("emails"):
        address["emails"] = [{"label": "main", "value": top["email"], "primary": True}]
    return address


def _store_lead_source(tx: Transaction, ctx: Context, customer_id: str,
                       lead_source: dict[str, Any] | None, now: str) -> None:
    if not lead_source:
        tx.delete(ctx.namespace, LEAD_SOURCES, customer_id)
        return
    tx.put(ctx.namespace, LEAD_SOURCES, _lead_source(tx, ctx, customer_id, lead_source, now))


def _lead_source(tx: Transaction, ctx: Context, customer_id: str, data: dict[str, Any],
                 now: str) -> dict[str, Any]:
    """The lead source document for ``data``, keeping the ``createdTime`` of any it replaces."""
    previous = tx.get(ctx.namespace, LEAD_SOURCES, customer_id)
    return {**data, "id": customer_id, "customerId": customer_id,
            "createdTime": previous["createdTime"] if previous else now, "updatedTime": now}


def put_lead_source(ctx: Context, customer_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Store ``data`` as the customer's lead source, replacing any it had (``createdTime`` is
    kept); return it as stored. The customer itself, its ``revision`` included, is unchanged.

    :raises NotFound: when the namespace has no customer with this id.
    """
    with ctx.store.transaction() as tx:
        if not tx.exists(ctx.namespace, CUSTOMERS, customer_id):
            raise NotFound(f"Customer {customer_id} was not found.")
        lead_source = _lead_source(tx, ctx, customer_id, data, format_time(ctx.clock.now()))
        tx.put(ctx.namespace, LEAD_SOURCES, lead_source)
        return lead_source


def delete_lead_source(ctx: Context, customer_id: str) -> None:
    """Remove the customer's lead source.

    :raises NotFound: when the customer has none (or does not exist).
    """
    with ctx.store.transaction() as tx:
        if not tx.exists(ctx.namespace, LEAD_SOURCES, customer_id):
            raise NotFound(f"Customer {customer_id} has no lead source.")
        tx.delete(ctx.namespace, LEAD_SOURCES, customer_id)


def merge_customer(ctx: Context, customer_id: str, target_id: str | None) -> None:
    """Move a customer's instruments and tags to ``target_id``, then delete the customer.

    :raises NotFound: when the customer does not exist.
    :raises ValidationFailed: on ``targetCustomerId`` when it is missing, the same customer, or
        not a customer of this namespace.
    :raises Conflict: when the customer has invoices (and so may have orders).
    """
    with ctx.store.transaction() as tx:
        source = tx.get(ctx.namespace, CUSTOMERS, customer_id)
        if source is None:
            raise NotFound(f"Customer {customer_id} was not found.")
        target = _merge_target(tx, ctx, customer_id, target_id)
        if source.get("invoiceCount"):
            raise Conflict(f"Customer {customer_id} has invoices (and may have orders), which "
                           "the sandbox does not move to another customer; merge a customer "
                           "without them.")
        now = format_time(ctx.clock.now())
        for instrument in list(tx.view(ctx.namespace, PAYMENT_INSTRUMENTS)):
            if instrument["customerId"] == customer_id:
                tx.put(ctx.namespace, PAYMENT_INSTRUMENTS,
                       {**instrument, "customerId": target["id"], "updatedTime": now})
        known_tags = {tag["id"] for tag in target["tags"]}
        target["tags"] += [tag for tag in source["tags"] if tag["id"] not in known_tags]
        if target["defaultPaymentInstrument"] is None:
            target["defaultPaymentInstrument"] = source["defaultPaymentInstrument"]
        target["revision"] += 1
        target["updatedTime"] = now
        tx.put(ctx.namespace, CUSTOMERS, target)
        tx.delete(ctx.namespace, CUSTOMERS, customer_id)
        tx.delete(ctx.namespace, LEAD_SOURCES, customer_id)
        emit(tx, ctx, "customer-updated", target["id"], {"customer": target})


def _merge_target(tx: Transaction, ctx: Context, customer_id: str,
                  target_id: str | None) -> dict[str, Any]:
    def refuse(message: str) -> ValidationFailed:
        return ValidationFailed([{"field": "targetCustomerId", "message": message}])

    if not target_id:
        raise refuse("Name the customer to merge into with targetCustomerId.")
    if target_id == customer_id:
        raise refuse("A customer cannot be merged into itself.")
    target = tx.get(ctx.namespace, CUSTOMERS, target_id)
    if target is None:
        raise refuse(f"No customer {target_id} exists to merge into.")
    return target
