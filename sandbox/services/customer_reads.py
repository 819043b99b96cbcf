"""Reading customers: one customer, its lead source, and what its answer shows beside it.

A customer's answer shows more than the stored document: a ``leadSource`` link when it has one,
and the objects ``expand`` asked to embed. This module reads them in the same store transaction
as the customer, so the presenter only formats what it is handed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..problems import NotFound
from ..store import Transaction
from .context import Context
from .tables import CUSTOMERS, LEAD_SOURCES, PAYMENT_INSTRUMENTS, WEBSITES

__all__ = ("CustomerRelations", "customer_relations", "embedded", "for_display", "get_customer",
           "get_lead_source")


@dataclass(frozen=True)
class CustomerRelations:
    """What a customer's answer shows beyond the stored customer."""

    has_lead_source: bool
    embedded: dict[str, Any] | None  # None unless ``expand`` asked for something


def customer_relations(tx: Transaction, namespace: str, customer: dict[str, Any],
                       expand: tuple[str, ...]) -> CustomerRelations:
    """Read, inside ``tx``, what the answer for ``customer`` shows beside it."""
    return CustomerRelations(
        has_lead_source=tx.exists(namespace, LEAD_SOURCES, customer["id"]),
        embedded=embedded(tx, namespace, customer, expand) if expand else None)


def for_display(ctx: Context, customers: list[dict[str, Any]],
                expand: tuple[str, ...] = ()) -> list[CustomerRelations]:
    """What each of ``customers`` shows beside it, read in one transaction, in the same order."""
    with ctx.store.transaction() as tx:
        return [customer_relations(tx, ctx.namespace, customer, expand) for customer in customers]


def get_customer(ctx: Context, customer_id: str,
                 expand: tuple[str, ...] = ()) -> tuple[dict[str, Any], CustomerRelations]:
    """A stored customer and what its answer shows beside it, read at one moment.

    :raises NotFound: when the namespace has no customer with this id.
    """
    with ctx.store.transaction() as tx:
        customer = tx.get(ctx.namespace, CUSTOMERS, customer_id)
        if customer is None:
            raise NotFound(f"Customer {customer_id} was not found.")
        return customer, customer_relations(tx, ctx.namespace, customer, expand)


def get_lead_source(ctx: Context, customer_id: str) -> dict[str, Any]:
    """The lead source stored for a customer.

    :raises NotFound: when the customer has none (or does not exist).
    """
    lead_source = ctx.store.get(ctx.namespace, LEAD_SOURCES, customer_id)
    if lead_source is None:
        raise NotFound(f"Customer {customer_id} has no lead source.")
    return lead_source


def embedded(tx: Transaction, namespace: str, customer: dict[str, Any],
             names: tuple[str, ...]) -> dict[str, Any]:
    """The ``_embedded`` objects ``expand`` asked for that exist for this customer."""
    found: dict[str, Any] = {}
    instrument = customer.get("defaultPaymentInstrument")
    if "defaultPaymentInstrument" in names and instrument:
        document = tx.get(namespace, PAYMENT_INSTRUMENTS, instrument["paymentInstrumentId"])
        if document:
            found["defaultPaymentInstrument"] = document
    if "website" in names and customer.get("websiteId"):
        website = tx.get(namespace, WEBSITES, customer["websiteId"])
        if website:
            found["website"] = website
    if "leadSource" in names:
        lead_source = tx.get(namespace, LEAD_SOURCES, customer["id"])
        if lead_source:
            found["leadSource"] = lead_source
    return found
