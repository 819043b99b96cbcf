"""Reading and saving an order, shared by everything that changes one: the order routes, its
cancellations, pauses and reactivations, the payments that activate it and the billing clock.

Pure Python: no Flask, no marshmallow. An order is saved with a new ``revision`` and
``updatedTime``, its next step on the clock written to the billing schedule, and announced with
each event given, all in the store transaction of the change.
"""

from __future__ import annotations

from typing import Any

from ..ids import format_time
from ..store import Transaction, copy_document
from .context import Context
from .documents import read
from .events import emit
from .schedule import ORDER, plan
from .tables import ORDERS

__all__ = ("SUBSCRIPTION_ORDER", "ONE_TIME_ORDER", "editable_order", "save_order",
           "announce_order", "next_step_time")

SUBSCRIPTION_ORDER = "subscription-order"
ONE_TIME_ORDER = "one-time-order"


def editable_order(tx: Transaction, ctx: Context, order_id: str) -> dict[str, Any]:
    """A copy of the stored order to change. :raises NotFound: when there is none."""
    return copy_document(read(tx, ctx, ORDERS, order_id, "subscription"))


def save_order(tx: Transaction, ctx: Context, order: dict[str, Any],
               *event_types: str) -> None:
    """Store a changed order (a new revision) and announce it with each of ``event_types``."""
    order["revision"] = order.get("revision", 0) + 1
    order["updatedTime"] = format_time(ctx.clock.now())
    tx.put(ctx.namespace, ORDERS, order)
    plan(tx, ctx.namespace, ORDER, order["id"], next_step_time(order))
    announce_order(tx, ctx, order, *event_types)


def next_step_time(order: dict[str, Any]) -> str | None:
    """When the clock next has something to do to the order, or None:

    - pending: its start (once its initial invoice is paid) or its ``abandonTime``;
    - active: its ``renewalTime`` (the trial's end while in trial);
    - canceled: its ``churnTime``.

    Paused orders wait for their pause (``services.pauses``) to end.
    """
    status = order["status"]
    if status == "pending":
        times = [order.get("abandonTime")]
        if order.get("billingStatus") == "paid":
            times.append(order.get("startTime"))
        return min((time for time in times if time), default=None)
    if status == "active" and order.get("orderType") == SUBSCRIPTION_ORDER:
        return order.get("renewalTime")
    if status == "canceled":
        return order.get("churnTime")
    return None


def announce_order(tx: Transaction, ctx: Context, order: dict[str, Any], *event_types: str,
                   **embedded: dict[str, Any]) -> None:
    """Fire each of ``event_types`` for the order as stored, with any other ``embedded``
    document its payload family carries (a ``pause``, an ``invoice``)."""
    for event_type in event_types:
        emit(tx, ctx, event_type, order["id"], {"subscription": order, **embedded})
