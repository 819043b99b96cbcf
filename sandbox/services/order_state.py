"""Reading and saving an order, shared by everything that changes one: the order routes, its
cancellations, pauses and reactivations, and the payments that activate it.

Pure Python: no Flask, no marshmallow. An order is saved with a new ``revision`` and
``updatedTime`` and announced with each event given, in the store transaction of the change.
"""

from __future__ import annotations

from typing import Any

from ..ids import format_time
from ..store import Transaction, copy_document
from .context import Context
from .documents import read
from .events import emit
from .tables import ORDERS

__all__ = ("SUBSCRIPTION_ORDER", "ONE_TIME_ORDER", "editable_order", "save_order",
           "announce_order")

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
    announce_order(tx, ctx, order, *event_types)


def announce_order(tx: Transaction, ctx: Context, order: dict[str, Any], *event_types: str,
                   **embedded: dict[str, Any]) -> None:
    """Fire each of ``event_types`` for the order as stored, with any other ``embedded``
    document its payload family carries (a ``pause``, an ``invoice``)."""
    for event_type in event_types:
        emit(tx, ctx, event_type, order["id"], {"subscription": order, **embedded})
