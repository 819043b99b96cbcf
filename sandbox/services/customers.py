"""Customer business rules: what the server adds to validated data, and how a create is stored.

Pure Python: no Flask, no marshmallow. Input is the clean data a schema loaded; output is the
stored customer document. Every check runs before the first write, so a failed create stores
nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from ..errors import ValidationFailed
from ..ids import Clock, IdGenerator, derived_id, format_time
from ..schemas.contact import CONTACT_FIELDS
from ..store import Store, Transaction
from . import tags as tag_rules

__all__ = ("CUSTOMERS", "LEAD_SOURCES", "Context", "create_customer", "build_contact")

CUSTOMERS = "customers"
LEAD_SOURCES = "lead-sources"
TOKENS = "tokens"

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


class Context:
    """Who is asking and with what tools: namespace, organization, id source, clock, store."""

    def __init__(self, store: Store, ids: IdGenerator, clock: Clock, namespace: str,
                 organization_id: str | None = None):
        self.store = store
        self.ids = ids
        self.clock = clock
        self.namespace = namespace
        self.organization_id = organization_id or derived_id("org", namespace)


def create_customer(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Create a customer from validated ``data`` and return it as stored.

    :raises ValidationFailed: for a bad ``paymentToken``, ``defaultPaymentInstrumentId`` or tag.
    """
    with ctx.store.transaction() as tx:
        now = format_time(ctx.clock.now())
        _check_payment_references(tx, ctx, data)
        tags = tag_rules.resolve(tx, ctx, data.get("tags") or [], now)
        customer_id = ctx.ids.new("cus")
        customer = _new_document(ctx, customer_id, data, now)
        customer["tags"] = tags
        if data.get("leadSource"):
            tx.insert(ctx.namespace, LEAD_SOURCES, _lead_source(customer_id, data["leadSource"], now))
        tx.insert(ctx.namespace, CUSTOMERS, customer)
        return customer


def _new_document(ctx: Context, customer_id: str, data: dict[str, Any], now: str) -> dict[str, Any]:
    address = build_contact(_mirror_top_level(data))
    email, first_name, last_name = derived_names(address)
    customer: dict[str, Any] = {
        "id": customer_id,
        "email": email,
        "firstName": first_name,
        "lastName": last_name,
        "websiteId": None,
        "defaultPaymentInstrument": None,
        "preferredPayoutInstrumentId": None,
        "createdTime": now,
        "updatedTime": now,
        "customFields": {},
        "primaryAddress": address,
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
    for field, default in _WRITABLE_DEFAULTS.items():
        value = data.get(field)
        customer[field] = default if value is None else value
    return customer


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


def build_contact(contact: dict[str, Any] | None) -> dict[str, Any] | None:
    """A contact as the API answers it: every key present, ``dob`` as text, a content hash."""
    if contact is None:
        return None
    full: dict[str, Any] = {key: contact.get(key) for key in CONTACT_FIELDS}
    full["phoneNumbers"] = list(contact.get("phoneNumbers") or [])
    full["emails"] = list(contact.get("emails") or [])
    if isinstance(full["dob"], date):
        full["dob"] = full["dob"].isoformat()
    full["hash"] = None
    digest_source = json.dumps({k: v for k, v in full.items() if k != "hash"}, sort_keys=True)
    full["hash"] = hashlib.sha1(digest_source.encode("utf-8")).hexdigest()
    return full


def derived_names(address: dict[str, Any] | None) -> tuple[str | None, str | None, str | None]:
    """Top-level email, firstName, lastName as Rebilly derives them from the primary address."""
    if not address:
        return None, None, None
    emails = address.get("emails") or []
    primary = next((entry for entry in emails if entry.get("primary")), emails[0] if emails else None)
    return (primary["value"] if primary else None), address.get("firstName"), address.get("lastName")


def _lead_source(customer_id: str, lead_source: dict[str, Any], now: str) -> dict[str, Any]:
    return {**lead_source, "id": customer_id, "customerId": customer_id,
            "createdTime": now, "updatedTime": now}


def _check_payment_references(tx: Transaction, ctx: Context, data: dict[str, Any]) -> None:
    """A new customer owns no instrument yet, so only a usable payment token can name one."""
    token_id = data.get("paymentToken")
    if token_id is not None:
        if tx.get(ctx.namespace, TOKENS, token_id) is None:
            raise ValidationFailed([{"field": "paymentToken",
                                     "message": "No payment token with this id exists."}])
        return
    if data.get("defaultPaymentInstrumentId") is not None:
        raise ValidationFailed([{
            "field": "defaultPaymentInstrumentId",
            "message": "No payment instrument with this id belongs to the customer.",
        }])
