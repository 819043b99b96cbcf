"""What an order's invoice moving does to the order: its ``billingStatus``, activation when
its initial invoice is paid, and the trial's conversion when the first invoice after a trial
is (``trialConversionTime``, ``subscription-trial-converted``).

Pure Python: no Flask, no marshmallow. Called inside the store transaction of the payment or
refund (``services.invoice_payments``) and of the order's creation. Activation, by the order's
type:

- a subscription order becomes ``active`` (``subscription-activated``) when its initial invoice
  is paid and its ``startTime`` has come: its first service period starts (the trial, when it
  has one), ``renewalTime`` is that period's end and ``rebillNumber`` 1;
- a one-time order becomes ``completed`` (``order-completed``) when its invoice is paid.

An order whose ``startTime`` is still ahead stays ``pending`` though paid; it activates when the
clock reaches that time.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ..ids import format_time
from ..store import Transaction, copy_document
from .context import Context
from .invoice_amounts import cents, number
from .order_invoices import item_price, plan_kind
from .order_state import ONE_TIME_ORDER, save_order
from .periods import period_end
from .tables import ORDERS

__all__ = ("invoice_changed", "activation_events", "order_interval", "monthly_revenue")

#: Months in one unit of a recurring interval, for ``mrr``.
_MONTHS = {"day": Decimal(12) / Decimal(365), "week": Decimal(12) / Decimal(52),
           "month": Decimal(1), "year": Decimal(12)}


def invoice_changed(tx: Transaction, ctx: Context, invoice: dict[str, Any]) -> None:
    """Reflect a paid, partially paid or refunded invoice on the order that made it."""
    order_id = invoice.get("subscriptionId")
    stored = tx.get(ctx.namespace, ORDERS, order_id) if order_id else None
    if stored is None:
        return
    order = copy_document(stored)
    if invoice["id"] == order.get("recentInvoiceId"):
        order["billingStatus"] = invoice["status"]
    events = (activation_events(order, ctx.clock.now())
              if invoice["status"] == "paid" and invoice["id"] == order.get("initialInvoiceId")
              else [])
    if invoice["status"] == "paid" and invoice.get("type") == "renewal" \
            and (order.get("trial") or {}).get("enabled") \
            and order.get("trialConversionTime") is None:
        order["trialConversionTime"] = format_time(ctx.clock.now())
        events.append("subscription-trial-converted")
    save_order(tx, ctx, order, *events)


def activation_events(order: dict[str, Any], now: datetime) -> list[str]:
    """Activate a ``pending`` order whose start has come (changing it); the events to fire."""
    if order["status"] != "pending":
        return []
    start = datetime.fromisoformat(order["startTime"]) if order.get("startTime") else now
    if start > now:
        return []
    order.pop("approvalToken", None)
    order["activationTime"] = format_time(now)
    if order["orderType"] == ONE_TIME_ORDER:
        order["status"] = "completed"
        return ["order-completed"]
    trial_end = (datetime.fromisoformat(order["trial"]["endTime"])
                 if (order.get("trial") or {}).get("enabled") else None)
    interval = order_interval(order)
    if trial_end is not None:
        end = trial_end
    elif interval is not None:
        end = period_end(start, interval["unit"], interval["length"])
        order["periodAnchor"] = {"time": format_time(start), "number": 1}
    else:
        end = None
    order.update(status="active", inTrial=trial_end is not None,
                 currentPeriodStart=format_time(start),
                 currentPeriodEnd=format_time(end) if end else None,
                 renewalTime=order.get("renewalTime") or (format_time(end) if end else None),
                 rebillNumber=1)
    order["mrr"] = monthly_revenue(order)
    return ["subscription-activated"]


def order_interval(order: dict[str, Any]) -> dict[str, Any] | None:
    """The recurring interval the order's subscription plans share, or None (trial-only)."""
    for item in order["items"]:
        if plan_kind(item["plan"]) == "subscription":
            return item["plan"]["recurringInterval"]
    return None


def monthly_revenue(order: dict[str, Any]) -> int | float:
    """``mrr``: the recurring items' price per period turned into a month (a year / 12, a week
    x 52 / 12, a day x 365 / 12), items with ``excludeFromMrr`` left out; 0 unless active."""
    if order["status"] != "active":
        return 0
    total = Decimal(0)
    for index, item in enumerate(order["items"]):
        plan = item["plan"]
        if plan_kind(plan) != "subscription" or item.get("excludeFromMrr"):
            continue
        interval = plan["recurringInterval"]
        total += item_price(item, index) / (_MONTHS[interval["unit"]] * interval["length"])
    return number(cents(total))
