"""Subscription reactivations: a canceled or churned order made active again.

Pure Python: no Flask, no marshmallow. From ``canceled`` (still in its paid time) the confirmed
cancellation is revoked, the cancel members are cleared and the order keeps its period; from
``churned`` a new period starts at ``effectiveTime`` and runs to ``renewalTime`` (sent, or one
interval of the order's plan later). Either way ``subscription-reactivated`` fires. No renewal
invoice is issued for the new period here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..ids import format_time
from ..problems import Conflict, ValidationFailed
from ..store import Transaction, copy_document
from .cancellations import confirmed_cancellation
from .context import Context
from .instruments import usable_instrument
from .order_billing import order_interval
from .order_records import records_of
from .order_state import save_order
from .pauses import instant, open_pause, subscription_order
from .periods import period_end
from .tables import CANCELLATIONS, REACTIVATIONS

__all__ = ("create_reactivation", "REACTIVATABLE")

#: The order statuses a reactivation may start from.
REACTIVATABLE = ("canceled", "churned")
#: The order members a cancellation set, cleared by a reactivation.
_CANCEL_MEMBERS = ("churnTime", "canceledTime", "canceledBy", "cancelCategory",
                   "cancelDescription")


def create_reactivation(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Reactivate an order under a generated ``sub_rct_`` id; return the reactivation.

    :raises ValidationFailed: when the order is unknown or one-time, the payment instrument is
        not the customer's, or the renewal time is not after the effective time.
    :raises Conflict: when the order is neither canceled nor churned.
    """
    with ctx.store.transaction() as tx:
        order = subscription_order(tx, ctx, data["subscriptionId"], "reactivated")
        if order["status"] not in REACTIVATABLE:
            raise Conflict(f"Subscription {order['id']} is {order['status']}; only a canceled "
                           "or churned order can be reactivated.")
        instrument_id = data.get("paymentInstrumentId")
        if instrument_id is not None:
            usable_instrument(tx, ctx, instrument_id, order["customerId"], "paymentInstrumentId")
            order["paymentInstrumentId"] = instrument_id
        now = ctx.clock.now()
        if order["status"] == "canceled":
            cancellation_id = _revoke_cancellation(tx, ctx, order["id"], now)
            order["status"] = "paused" if open_pause(tx, ctx, order["id"]) else "active"
        else:
            cancellation_id = _last_completed(tx, ctx, order["id"])
            _new_period(order, data, now)
            order["status"] = "active"
        order.update(dict.fromkeys(_CANCEL_MEMBERS))
        save_order(tx, ctx, order, "subscription-reactivated")
        stamp = format_time(now)
        reactivation = {"id": ctx.ids.new("sub_rct"), "subscriptionId": order["id"],
                        "cancellationId": cancellation_id,
                        "description": data.get("description"),
                        "renewalTime": order.get("renewalTime"), "createdTime": stamp,
                        "updatedTime": stamp}
        tx.put(ctx.namespace, REACTIVATIONS, reactivation)
        return reactivation


def _revoke_cancellation(tx: Transaction, ctx: Context, order_id: str,
                         now: datetime) -> str | None:
    """Revoke the order's confirmed cancellation; its id, or None when it has none."""
    cancellation = confirmed_cancellation(tx, ctx, order_id)
    if cancellation is None:
        return None
    cancellation = copy_document(cancellation)
    cancellation.update(status="revoked", updatedTime=format_time(now))
    tx.put(ctx.namespace, CANCELLATIONS, cancellation)
    return cancellation["id"]


def _last_completed(tx: Transaction, ctx: Context, order_id: str) -> str | None:
    """The id of the cancellation that churned the order, the latest if several did."""
    completed = [cancellation
                 for cancellation in records_of(tx, ctx.namespace, CANCELLATIONS, order_id)
                 if cancellation["status"] == "completed"]
    return max(completed, key=lambda entry: entry["updatedTime"])["id"] if completed else None


def _new_period(order: dict[str, Any], data: dict[str, Any], now: datetime) -> None:
    """Start a churned order's new period at ``effectiveTime`` (default now), to the sent
    ``renewalTime``, else one interval of its plan, else as long as its last period was.

    :raises ValidationFailed: on ``renewalTime`` when it is not after the period's start.
    """
    start = instant(data.get("effectiveTime")) or now
    renewal = instant(data.get("renewalTime")) or _one_period_after(order, start)
    if renewal is not None and renewal <= start:
        raise ValidationFailed([{"field": "renewalTime", "message": "Must be later than "
                                 "effectiveTime (default: now)."}])
    end = renewal and format_time(renewal)
    rebill = order.get("rebillNumber")
    order.update(currentPeriodStart=format_time(start), currentPeriodEnd=end, renewalTime=end,
                 rebillNumber=None if rebill is None else rebill + 1)


def _one_period_after(order: dict[str, Any], start: datetime) -> datetime | None:
    """One interval of the order's plan after ``start``, else as long as its last period."""
    interval = order_interval(order)
    if interval is not None:
        return period_end(start, interval["unit"], interval["length"])
    last_start = instant(order.get("currentPeriodStart"))
    last_end = instant(order.get("currentPeriodEnd"))
    if last_start is None or last_end is None or last_end <= last_start:
        return None
    return start + (last_end - last_start)
