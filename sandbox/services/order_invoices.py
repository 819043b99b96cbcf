"""The invoices an order makes: what each line bills and how an order's invoice is opened.

Pure Python: no Flask, no marshmallow. An order's invoice is created and issued in one step, in
the store transaction of the order change that made it: ``invoice-created``, then any coupon's
discount (``services.discounts``), then ``invoice-issued`` (and ``invoice-paid`` when nothing is
due). Its due time is one hour after issue (Rebilly's default ``dueTimeShift``); with autopay it
is charged at issue (``autopayScheduledTime``); with the order's ``delinquencyPeriod`` it turns
delinquent that long after its due time (``delinquencyTime``).

The lines, per order item, by the kind of its plan:

- subscription plan: in a trial, one line at the trial's price; otherwise, prepaid, the
  formula's price for the item's quantity over the period (postpaid bills nothing up front);
- trial-only plan: one line at the trial's price;
- one-time-sale plan: the formula's price for the quantity;
- on the initial invoice only, each plan's setup fee (when above 0) as a line of its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ..ids import derived_id, format_time
from ..problems import ValidationFailed
from ..store import Transaction
from .context import Context
from .discounts import apply_discounts
from .events import emit
from .invoice_amounts import cents, number, totals
from .invoices import new_invoice_members
from .order_state import SUBSCRIPTION_ORDER, announce_order
from .periods import duration_of, period_end
from .pricing import QuantityOutOfRange, decimal_of, plan_price
from .tables import INVOICES

__all__ = ("DUE_AFTER", "plan_kind", "item_price", "initial_lines", "period_lines",
           "open_invoice", "renewal_invoice_id", "next_period", "renews",
           "issue_renewal_invoice", "upcoming")

#: How long after issue an order's invoice falls due (Rebilly's default ``dueTimeShift``).
DUE_AFTER = timedelta(hours=1)


def plan_kind(plan: dict[str, Any]) -> str:
    """``subscription``, ``trial-only`` or ``one-time-sale``, from a stored plan."""
    if plan.get("recurringInterval") is not None:
        return "subscription"
    return "trial-only" if plan.get("trial") is not None else "one-time-sale"


def item_price(item: dict[str, Any], index: int) -> Decimal:
    """What one order item costs per period (its plan's formula for its quantity).

    :raises ValidationFailed: on ``items[index].quantity`` when the formula refuses it.
    """
    try:
        return plan_price(item["plan"], item["quantity"])
    except QuantityOutOfRange as error:
        raise ValidationFailed([{"field": f"items.{index}.quantity",
                                 "message": str(error)}]) from None


def initial_lines(ctx: Context, order: dict[str, Any], start: datetime,
                  trial_end: datetime | None, period_end: datetime | None) -> list[dict]:
    """The lines of an order's first invoice (see the module's rules)."""
    lines = []
    for index, item in enumerate(order["items"]):
        plan = item["plan"]
        kind = plan_kind(plan)
        if kind == "trial-only" or (kind == "subscription" and trial_end is not None):
            price = decimal_of((plan.get("trial") or {}).get("price", 0))
            lines.append(_line(ctx, order, item, f"{plan['name']} (trial)", price, 1,
                               start, trial_end, 0))
        elif kind == "one-time-sale":
            lines.append(_line(ctx, order, item, plan["name"], item_price(item, index),
                               item["quantity"], None, None, None))
        elif plan["recurringInterval"].get("billingTiming", "prepaid") == "prepaid":
            lines.append(_line(ctx, order, item, plan["name"], item_price(item, index),
                               item["quantity"], start, period_end, 1))
        setup = decimal_of((plan.get("setup") or {}).get("price", 0))
        if setup > 0:
            lines.append(_line(ctx, order, item, f"{plan['name']} setup fee", setup, 1,
                               None, None, None))
    return lines


def period_lines(ctx: Context, order: dict[str, Any], start: datetime, end: datetime,
                 number_of_period: int) -> list[dict]:
    """The lines billing the order's subscription items for one service period."""
    return [_line(ctx, order, item, item["plan"]["name"], item_price(item, index),
                  item["quantity"], start, end, number_of_period)
            for index, item in enumerate(order["items"])
            if plan_kind(item["plan"]) == "subscription"]


def _line(ctx: Context, order: dict[str, Any], item: dict[str, Any], description: str,
          price: Decimal, quantity: int, start: datetime | None, end: datetime | None,
          period: int | None) -> dict[str, Any]:
    """An invoice item: ``price`` is authoritative, ``unitPrice`` its share of one unit (a fixed
    fee bills a quantity of 1)."""
    plan = item["plan"]
    fixed = (plan.get("pricing") or {}).get("formula") == "fixed-fee"
    quantity = 1 if fixed or quantity == 0 and price > 0 else quantity
    now = format_time(ctx.clock.now())
    return {"id": ctx.ids.new("ii"), "type": "debit",
            "unitPrice": number(cents(price / quantity)) if quantity else 0,
            "quantity": quantity, "price": number(price), "description": description,
            "productId": plan.get("productId"), "planId": plan["id"],
            "subscriptionId": order["id"], "tax": None,
            "periodStartTime": format_time(start) if start else None,
            "periodEndTime": format_time(end) if end else None,
            "periodNumber": period, "createdTime": now, "updatedTime": now}


def open_invoice(tx: Transaction, ctx: Context, order: dict[str, Any], invoice_type: str,
                 lines: list[dict[str, Any]], invoice_id: str | None = None) -> dict[str, Any]:
    """Create and issue the order's invoice of ``invoice_type`` holding ``lines``; return it
    as stored (``unpaid``, or ``paid`` when nothing is due)."""
    now = ctx.clock.now()
    issued = format_time(now)
    due = format_time(now + DUE_AFTER)
    invoice: dict[str, Any] = {
        "id": invoice_id or ctx.ids.new("in"),
        "customerId": order["customerId"], "websiteId": order["websiteId"],
        "currency": order["currency"], "billingAddress": order.get("billingAddress"),
        "deliveryAddress": order.get("deliveryAddress"), "poNumber": order.get("poNumber"),
        "notes": order.get("notes"), "tax": {"calculator": "manual", "items": []},
        "dueTime": due, "autopayScheduledTime": issued if order.get("autopay") else None,
        "delinquencyTime": (format_time(now + DUE_AFTER + duration_of(order["delinquencyPeriod"]))
                            if order.get("delinquencyPeriod") else None),
        **new_invoice_members(tx, ctx, order["customerId"]),
        "type": invoice_type, "subscriptionId": order["id"], "items": lines,
        "createdTime": issued, "updatedTime": issued,
    }
    invoice.update(totals(invoice, Decimal(0)))
    tx.insert(ctx.namespace, INVOICES, invoice)
    emit(tx, ctx, "invoice-created", invoice["id"], {"invoice": invoice})
    apply_discounts(tx, ctx, invoice)
    invoice.update(status="unpaid", issuedTime=issued)
    invoice.update(totals(invoice, Decimal(0)))
    if invoice["amountDue"] == 0:
        invoice.update(status="paid", paidTime=issued)
    invoice["revision"] += 1
    tx.put(ctx.namespace, INVOICES, invoice)
    emit(tx, ctx, "invoice-issued", invoice["id"], {"invoice": invoice})
    if invoice["status"] == "paid":
        emit(tx, ctx, "invoice-paid", invoice["id"], {"invoice": invoice})
    return invoice


def renewal_invoice_id(order: dict[str, Any], period: int) -> str:
    """The id of the invoice that bills the order's ``period``: known before it exists, so the
    upcoming invoice shows the id its renewal invoice will have (as Rebilly's does)."""
    return derived_id("in", f"{order['id']}/{period}")


def renews(order: dict[str, Any]) -> bool:
    """Whether the order has a renewal ahead: an active or paused subscription order with a
    recurring plan (a canceled one churns instead; a trial-only one ends)."""
    return (order["orderType"] == SUBSCRIPTION_ORDER
            and order["status"] in ("active", "paused") and bool(order.get("renewalTime"))
            and not order.get("isTrialOnly")
            and any(plan_kind(item["plan"]) == "subscription" for item in order["items"]))


def issue_renewal_invoice(tx: Transaction, ctx: Context, order: dict[str, Any], start: datetime,
                          end: datetime, number: int) -> dict[str, Any]:
    """Open the renewal invoice of period ``number``: its lines, then those item changes queued
    (taken off the order); the order's ``recentInvoiceId`` and ``billingStatus`` follow it and
    ``renewal-invoice-issued`` fires. The caller saves the order."""
    queued = order.get("lineItems") or []
    order.update(lineItems=[], lineItemSubtotal=0)
    invoice = open_invoice(tx, ctx, order, "renewal",
                           [*period_lines(ctx, order, start, end, number), *queued],
                           renewal_invoice_id(order, number))
    order.update(recentInvoiceId=invoice["id"], billingStatus=invoice["status"])
    announce_order(tx, ctx, order, "renewal-invoice-issued", invoice=invoice)
    return invoice


def next_period(order: dict[str, Any]) -> tuple[datetime, datetime, int, dict[str, Any]]:
    """The order's next service period: (start, end, number, anchor). Periods are counted
    from the first paid period's start (the anchor, made here for the first one), so a monthly
    order from 31 January renews on 28 February, then 31 March."""
    interval = next(item["plan"]["recurringInterval"] for item in order["items"]
                    if plan_kind(item["plan"]) == "subscription")
    start = datetime.fromisoformat(order["renewalTime"])
    number = (order.get("rebillNumber") or 0) + 1
    anchor = order.get("periodAnchor") or {"time": format_time(start), "number": number}
    end = period_end(datetime.fromisoformat(anchor["time"]), interval["unit"],
                     interval["length"], number - anchor["number"] + 1)
    return start, end, number, anchor


def upcoming(ctx: Context, order: dict[str, Any]) -> dict[str, Any]:
    """The order's next renewal invoice as it would be issued now, not stored: the next
    period's lines, then the lines item changes queued (``isInterim``), and the amounts
    (discounts are worked out when it is issued)."""
    start, end, period, _ = next_period(order)
    lines = [{**line, "isInterim": False}
             for line in period_lines(ctx, order, start, end, period)]
    lines += [{**line, "isInterim": True} for line in order.get("lineItems") or ()]
    issued = start
    preview: dict[str, Any] = {
        "id": renewal_invoice_id(order, period), "websiteId": order["websiteId"],
        "subscriptionId": order["id"], "customerId": order["customerId"],
        "currency": order["currency"], "items": lines, "discounts": [],
        "billingAddress": order.get("billingAddress"),
        "deliveryAddress": order.get("deliveryAddress"), "poNumber": order.get("poNumber"),
        "notes": order.get("notes"), "shipping": None,
        "tax": {"calculator": "manual", "items": []}, "isNewOrder": False,
        "issuedTime": format_time(issued), "dueTime": format_time(issued + DUE_AFTER),
        "revision": 0, "createdTime": order["createdTime"], "updatedTime": order["updatedTime"],
    }
    preview.update(totals(preview, Decimal(0)))
    return preview
