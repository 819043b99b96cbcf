"""Subscription cancellations: create (``POST``, or ``PUT`` of a new id), replace a draft, read,
list, and ``churn``, the step that ends an order's service.

Pure Python: no Flask, no marshmallow. What a cancellation does to its order:

- ``draft``: nothing; it previews the churn time and the extra lines;
- ``confirmed`` with a churn time now or past (``churnTimePolicy: now``, or neither policy nor
  ``churnTime``): the order becomes ``canceled`` and then ``churned`` in one step
  (``subscription-canceled``, then ``subscription-churned``) and the cancellation ``completed``;
- ``confirmed`` with a future churn time (``at-next-renewal`` = the order's ``renewalTime``, or
  a ``churnTime``): the order becomes ``canceled`` with that ``churnTime`` and
  ``subscription-canceled`` fires; ``churn`` does the rest when the time comes.

A confirmed cancellation with ``prorated`` (and paid time left) or ``lineItems`` opens an
invoice of type ``cancellation`` (``appliedInvoiceId``), issued at once: a credit for the unused
share of the current period (``proratedInvoiceId`` is the order's most recent invoice) and the
extra lines. A draft opens none.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ..ids import format_time
from ..problems import Conflict, ValidationFailed
from ..store import Transaction, copy_document
from .context import Context
from .documents import check_id, read
from .invoice_amounts import cents, line_price, number
from .listing import Page, list_documents
from .order_invoices import item_price, open_invoice, plan_kind
from .order_records import records_of
from .order_state import editable_order, save_order
from .paging import ListQuery
from .pauses import instant, stop_pauses, subscription_order
from .tables import CANCELLATIONS

__all__ = ("create_cancellation", "upsert_cancellation", "get_cancellation",
           "list_cancellations", "churn", "confirmed_cancellation", "CANCELABLE")

#: The order statuses a cancellation may start from.
CANCELABLE = ("active", "paused")


def create_cancellation(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Cancel an order (or preview it, as a draft) under a generated ``sub_cnl_`` id.

    :raises ValidationFailed: when the order is unknown, one-time, or neither active nor
        paused, or a line is in another currency than the order.
    """
    with ctx.store.transaction() as tx:
        return _store(tx, ctx, ctx.ids.new("sub_cnl"), data, None)


def upsert_cancellation(ctx: Context, cancellation_id: str,
                        data: dict[str, Any]) -> tuple[dict, bool]:
    """Create the cancellation with this id, or replace a draft (confirming it, when the body
    says so); (cancellation, created).

    :raises ValidationFailed: as ``create_cancellation``, or for a malformed id.
    :raises Conflict: when the cancellation exists and is not a draft.
    """
    check_id(cancellation_id)
    with ctx.store.transaction() as tx:
        existing = tx.read(ctx.namespace, CANCELLATIONS, cancellation_id)
        if existing is not None and existing["status"] != "draft":
            raise Conflict(f"Subscription cancellation {cancellation_id} is "
                           f"{existing['status']} and cannot be replaced; only a draft can.")
        return _store(tx, ctx, cancellation_id, data, existing), existing is None


def get_cancellation(ctx: Context, cancellation_id: str) -> dict[str, Any]:
    """:raises NotFound: when the namespace has no such cancellation."""
    with ctx.store.transaction() as tx:
        return read(tx, ctx, CANCELLATIONS, cancellation_id, "subscription cancellation")


def list_cancellations(ctx: Context, query: ListQuery) -> Page:
    return list_documents(ctx.store, ctx.namespace, query)


def churn(tx: Transaction, ctx: Context, order_id: str, at: datetime) -> None:
    """End a canceled order's service at ``at``: the order becomes ``churned`` (``churnTime`` =
    ``at``), its confirmed cancellation ``completed``, its pending pause revoked and its ongoing
    one finished, and ``subscription-churned`` fires. An order that is not ``canceled`` (it was
    reactivated meanwhile) is left alone.

    :raises NotFound: when there is no such order.
    """
    order = editable_order(tx, ctx, order_id)
    if order["status"] != "canceled":
        return
    order.update(status="churned", churnTime=format_time(at))
    save_order(tx, ctx, order, "subscription-churned")
    cancellation = confirmed_cancellation(tx, ctx, order_id)
    if cancellation is not None:
        cancellation = copy_document(cancellation)
        cancellation.update(status="completed", updatedTime=format_time(ctx.clock.now()))
        tx.put(ctx.namespace, CANCELLATIONS, cancellation)
    stop_pauses(tx, ctx, order, at)


def confirmed_cancellation(tx: Transaction, ctx: Context,
                           order_id: str) -> dict[str, Any] | None:
    """The order's confirmed cancellation (the one waiting for its churn time), if any."""
    return next((cancellation
                 for cancellation in records_of(tx, ctx.namespace, CANCELLATIONS, order_id)
                 if cancellation["status"] == "confirmed"), None)


def _store(tx: Transaction, ctx: Context, cancellation_id: str, data: dict[str, Any],
           existing: dict[str, Any] | None) -> dict[str, Any]:
    """Write the cancellation and, unless it is a draft, cancel its order."""
    order = subscription_order(tx, ctx, data["subscriptionId"], "canceled")
    if order["status"] not in CANCELABLE:
        raise ValidationFailed([{"field": "subscriptionId", "message": f"Subscription "
                                 f"{order['id']} is {order['status']}; only an active or paused "
                                 "order can be canceled."}])
    now = ctx.clock.now()
    churn_at = _churn_time(data, order, now)
    stamp = format_time(now)
    confirmed = data["status"] == "confirmed"
    lines = [{"description": None, "periodStartTime": None, "periodEndTime": None, **line}
             for line in data["lineItems"]]
    cancellation = {
        "id": cancellation_id, "subscriptionId": order["id"],
        "churnTimePolicy": data.get("churnTimePolicy"), "churnTime": format_time(churn_at),
        "status": data["status"], "canceledBy": data["canceledBy"], "reason": data["reason"],
        "description": data.get("description"), "prorated": data["prorated"],
        "lineItems": lines, "lineItemSubtotal": _subtotal(lines, order.get("currency")),
        "proratedInvoiceId": None, "appliedInvoiceId": None,
        "canceledTime": stamp if confirmed else None,
        "createdTime": existing["createdTime"] if existing else stamp, "updatedTime": stamp,
    }
    if not confirmed:
        tx.put(ctx.namespace, CANCELLATIONS, cancellation)
        return cancellation
    proration = _proration(order, churn_at) if data["prorated"] else None
    order.update(status="canceled", canceledTime=stamp, canceledBy=data["canceledBy"],
                 cancelCategory=data["reason"], cancelDescription=data.get("description"),
                 churnTime=format_time(churn_at))
    save_order(tx, ctx, order, "subscription-canceled")
    invoice_lines = [_invoice_line(ctx, order, line["type"], line_price(
        line["unitPriceAmount"], line["quantity"]), line["quantity"], line["description"],
        line["periodStartTime"], line["periodEndTime"]) for line in lines]
    if proration:
        invoice_lines.insert(0, _invoice_line(ctx, order, "credit", proration, 1,
                                              "Proration credit", format_time(churn_at),
                                              order.get("renewalTime")))
    if invoice_lines:
        invoice = open_invoice(tx, ctx, order, "cancellation", invoice_lines)
        cancellation["appliedInvoiceId"] = invoice["id"]
    if data["prorated"]:
        cancellation["proratedInvoiceId"] = order.get("recentInvoiceId")
    tx.put(ctx.namespace, CANCELLATIONS, cancellation)
    if churn_at <= now:
        churn(tx, ctx, order["id"], now)
    return tx.read(ctx.namespace, CANCELLATIONS, cancellation_id)


def _churn_time(data: dict[str, Any], order: dict[str, Any], now: datetime) -> datetime:
    """When the order churns: the policy wins over ``churnTime``; ``at-next-renewal`` is the
    order's ``renewalTime`` (now when it has none, or it is past); a past time is now."""
    policy = data.get("churnTimePolicy")
    if policy == "now":
        return now
    chosen = (instant(order.get("renewalTime")) if policy == "at-next-renewal"
              else instant(data.get("churnTime")))
    return now if chosen is None or chosen < now else chosen


def _proration(order: dict[str, Any], churn_at: datetime) -> Decimal:
    """The credit for the paid time left after ``churn_at``: the period price of the order's
    subscription items times the share of the current period from ``churn_at`` to
    ``renewalTime``, rounded once; 0 in a trial or without a period."""
    start = instant(order.get("currentPeriodStart"))
    end = instant(order.get("currentPeriodEnd"))
    renewal = instant(order.get("renewalTime"))
    if order.get("inTrial") or start is None or end is None or renewal is None or end <= start:
        return Decimal(0)
    length = end - start
    unused = min(max(renewal - churn_at, timedelta(0)), length)
    price = sum((item_price(item, index) for index, item in enumerate(order.get("items") or ())
                 if plan_kind(item["plan"]) == "subscription"), Decimal(0))
    return cents(price * Decimal(unused.total_seconds()) / Decimal(length.total_seconds()))


def _invoice_line(ctx: Context, order: dict[str, Any], line_type: str, price: Decimal,
                  quantity: int, description: str | None, start: str | None,
                  end: str | None) -> dict[str, Any]:
    """An item of the cancellation invoice, shaped as every invoice item is."""
    stamp = format_time(ctx.clock.now())
    return {"id": ctx.ids.new("ii"), "type": line_type,
            "unitPrice": number(cents(price / quantity)), "quantity": quantity,
            "price": number(price), "description": description, "productId": None,
            "planId": None, "subscriptionId": order["id"], "tax": None,
            "periodStartTime": start, "periodEndTime": end, "periodNumber": None,
            "createdTime": stamp, "updatedTime": stamp}


def _subtotal(lines: list[dict[str, Any]], currency: str | None) -> dict[str, Any]:
    """Debits less credits, each line rounded once.

    :raises ValidationFailed: for a line in another currency than the order.
    """
    wrong = [{"field": f"lineItems.{index}.unitPriceCurrency",
              "message": f"Must be {currency}, the order's currency."}
             for index, line in enumerate(lines)
             if currency is not None and line["unitPriceCurrency"] != currency]
    if wrong:
        raise ValidationFailed(wrong)
    total = sum(((-1 if line["type"] == "credit" else 1)
                 * line_price(line["unitPriceAmount"], line["quantity"]) for line in lines),
                Decimal(0))
    return {"amount": number(total), "currency": currency}
