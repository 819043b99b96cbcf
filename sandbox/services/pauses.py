"""Subscription pauses: create (``POST``, or ``PUT`` of a new id), replace, read, list, and the
``DELETE`` that revokes or finishes one, each change announced with the order and the pause.

Pure Python: no Flask, no marshmallow. A pause's timeline:

- ``pending`` until its ``effectiveTime`` (at once when that is omitted or past);
- ``ongoing`` from then (``start_pause``): the order is ``paused`` and ``timeRemaining`` (the
  time from then to the order's ``renewalTime``) is kept, unless the body gave one;
- ``finished`` at its ``endTime`` or on ``DELETE`` (``end_pause``): the order is ``active``
  again and renews ``timeRemaining`` after the resume;
- ``revoked`` on ``DELETE`` while pending, or when it comes due on an order no longer active.

``start_pause`` and ``end_pause`` act at a given instant inside the caller's transaction, so the
work that runs what falls due when the sandbox clock moves can call them; every write of a pause
puts its next step (start or end) on the billing schedule (``services.schedule``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..ids import format_time
from ..problems import Conflict, ValidationFailed
from ..store import Transaction, copy_document
from .context import Context
from .documents import check_id, read
from .listing import Page, list_documents
from .order_records import records_of
from .order_state import SUBSCRIPTION_ORDER, announce_order, editable_order, save_order
from .paging import ListQuery
from .schedule import PAUSE, plan
from .tables import ORDERS, PAUSES

__all__ = ("create_pause", "upsert_pause", "get_pause", "list_pauses", "delete_pause",
           "start_pause", "end_pause", "stop_pauses", "subscription_order", "open_pause",
           "instant", "seconds_of")

#: A pause still to come or in force; an order holds at most one.
OPEN = ("pending", "ongoing")


def create_pause(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Pause an active order under a generated ``sub_pau_`` id; return the pause as stored.

    :raises ValidationFailed: when the order is unknown, one-time or not active, or already has
        a pending or ongoing pause, or the end comes before the start.
    """
    with ctx.store.transaction() as tx:
        return _create(tx, ctx, ctx.ids.new("sub_pau"), data)


def upsert_pause(ctx: Context, pause_id: str, data: dict[str, Any]) -> tuple[dict, bool]:
    """Create the pause with this id, or change a pending or ongoing one; (pause, created).

    A pending pause takes every writable member; an ongoing one keeps its ``effectiveTime``
    (it is already in force), and its ``timeRemaining`` unless the body sends one.

    :raises ValidationFailed: as ``create_pause``, or when the body names another order.
    :raises Conflict: when the pause is revoked or finished.
    """
    check_id(pause_id)
    with ctx.store.transaction() as tx:
        existing = tx.read(ctx.namespace, PAUSES, pause_id)
        if existing is None:
            return _create(tx, ctx, pause_id, data), True
        return _replace(tx, ctx, copy_document(existing), data), False


def get_pause(ctx: Context, pause_id: str) -> dict[str, Any]:
    """:raises NotFound: when the namespace has no such pause."""
    with ctx.store.transaction() as tx:
        return read(tx, ctx, PAUSES, pause_id, "subscription pause")


def list_pauses(ctx: Context, query: ListQuery) -> Page:
    return list_documents(ctx.store, ctx.namespace, query)


def delete_pause(ctx: Context, pause_id: str) -> None:
    """Revoke a pending pause, or finish an ongoing one (the order resumes now).

    :raises NotFound: when there is no such pause.
    :raises Conflict: when it is already revoked or finished.
    """
    with ctx.store.transaction() as tx:
        pause = copy_document(read(tx, ctx, PAUSES, pause_id, "subscription pause"))
        if pause["status"] == "pending":
            _revoke(tx, ctx, pause)
        elif pause["status"] == "ongoing":
            end_pause(tx, ctx, pause_id, ctx.clock.now())
        else:
            raise Conflict(f"Subscription pause {pause_id} is {pause['status']} and cannot be "
                           "deleted; only a pending or ongoing pause can.")


def start_pause(tx: Transaction, ctx: Context, pause_id: str, at: datetime) -> None:
    """Put a pending pause in force at ``at``: the order becomes ``paused``, the pause
    ``ongoing`` with its ``timeRemaining``, and ``subscription-paused`` fires. A pause that is
    not pending is left alone; one whose order is no longer active is revoked instead."""
    pause = copy_document(read(tx, ctx, PAUSES, pause_id, "subscription pause"))
    if pause["status"] != "pending":
        return
    order = editable_order(tx, ctx, pause["subscriptionId"])
    if order["status"] != "active":
        _revoke(tx, ctx, pause, order)
        return
    started = format_time(at)
    if pause.get("timeRemaining") is None:
        renewal = instant(order.get("renewalTime"))
        pause["timeRemaining"] = (None if renewal is None
                                  else f"P{max(int((renewal - at).total_seconds()), 0)}S")
    pause.update(status="ongoing", effectiveTime=started)
    _store(tx, ctx, pause)
    order["status"] = "paused"
    save_order(tx, ctx, order)
    announce_order(tx, ctx, order, "subscription-paused", pause=pause)


def end_pause(tx: Transaction, ctx: Context, pause_id: str, at: datetime) -> None:
    """Finish an ongoing pause at ``at``. A paused order becomes ``active`` and renews
    ``timeRemaining`` after ``at`` (its current period ends then too), and
    ``subscription-resumed`` fires; an order canceled meanwhile stays as it is. A pause that
    is not ongoing is left alone."""
    pause = copy_document(read(tx, ctx, PAUSES, pause_id, "subscription pause"))
    if pause["status"] != "ongoing":
        return
    pause.update(status="finished", endTime=format_time(at))
    _store(tx, ctx, pause)
    order = editable_order(tx, ctx, pause["subscriptionId"])
    if order["status"] != "paused":
        return
    order["status"] = "active"
    remaining = seconds_of(pause.get("timeRemaining"))
    if remaining is not None:
        renewal = format_time(at + timedelta(seconds=remaining))
        order.update(renewalTime=renewal, currentPeriodEnd=renewal)
    save_order(tx, ctx, order)
    announce_order(tx, ctx, order, "subscription-resumed", pause=pause)


def stop_pauses(tx: Transaction, ctx: Context, order: dict[str, Any], at: datetime) -> None:
    """An order's service ends (it churned): its pending pause is revoked and its ongoing one
    finished at ``at``, without a resume."""
    pause = open_pause(tx, ctx, order["id"])
    if pause is None:
        return
    pause = copy_document(pause)
    if pause["status"] == "pending":
        _revoke(tx, ctx, pause, order)
    else:
        pause.update(status="finished", endTime=format_time(at))
        _store(tx, ctx, pause)


def subscription_order(tx: Transaction, ctx: Context, order_id: str,
                       action: str) -> dict[str, Any]:
    """A copy of the subscription order a record names, to change.

    :raises ValidationFailed: on ``subscriptionId`` when there is no such order, or it is a
        one-time order (which has no service period to ``action``).
    """
    order = tx.read(ctx.namespace, ORDERS, order_id)
    if order is None:
        raise ValidationFailed([{"field": "subscriptionId",
                                 "message": f"No subscription {order_id} exists."}])
    if order.get("orderType") != SUBSCRIPTION_ORDER:
        raise ValidationFailed([{"field": "subscriptionId", "message": f"{order_id} is a "
                                 f"one-time order, which cannot be {action}."}])
    return copy_document(order)


def open_pause(tx: Transaction, ctx: Context, order_id: str) -> dict[str, Any] | None:
    """The order's pending or ongoing pause, if it has one."""
    return next((pause for pause in records_of(tx, ctx.namespace, PAUSES, order_id)
                 if pause["status"] in OPEN), None)


def instant(value: str | None) -> datetime | None:
    """A stored date-time as a ``datetime`` (None stays None)."""
    return None if value is None else datetime.fromisoformat(value)


def seconds_of(duration: str | None) -> int | None:
    """The seconds of a stored ``P<seconds>S`` duration (None stays None)."""
    return None if duration is None else int(duration[1:-1])


def _create(tx: Transaction, ctx: Context, pause_id: str, data: dict[str, Any]) -> dict:
    order = subscription_order(tx, ctx, data["subscriptionId"], "paused")
    if order["status"] != "active":
        raise ValidationFailed([{"field": "subscriptionId", "message": f"Subscription "
                                 f"{order['id']} is {order['status']}; only an active order "
                                 "can be paused."}])
    other = open_pause(tx, ctx, order["id"])
    if other is not None:
        raise ValidationFailed([{"field": "subscriptionId", "message": f"Subscription "
                                 f"{order['id']} already has the {other['status']} pause "
                                 f"{other['id']}."}])
    now = ctx.clock.now()
    effective, end = _times(data, now)
    stamp = format_time(now)
    pause = {"id": pause_id, "subscriptionId": order["id"], "status": "pending",
             "pausedBy": data["pausedBy"], "description": data.get("description"),
             "effectiveTime": format_time(effective), "endTime": end and format_time(end),
             "timeRemaining": data.get("timeRemaining"), "createdTime": stamp,
             "updatedTime": stamp}
    _store(tx, ctx, pause)
    announce_order(tx, ctx, order, "subscription-pause-created", pause=pause)
    _run_due(tx, ctx, pause_id, effective, end, now)
    return tx.read(ctx.namespace, PAUSES, pause_id)


def _replace(tx: Transaction, ctx: Context, pause: dict[str, Any],
             data: dict[str, Any]) -> dict[str, Any]:
    if pause["status"] not in OPEN:
        raise Conflict(f"Subscription pause {pause['id']} is {pause['status']} and cannot be "
                       "changed; only a pending or ongoing pause can.")
    if data["subscriptionId"] != pause["subscriptionId"]:
        raise ValidationFailed([{"field": "subscriptionId", "message": "Must stay "
                                 f"{pause['subscriptionId']}: a pause cannot move to another "
                                 "order."}])
    now = ctx.clock.now()
    if pause["status"] == "ongoing":
        data = {**data, "effectiveTime": pause["effectiveTime"]}
    effective, end = _times(data, now, ongoing=pause["status"] == "ongoing")
    pause.update(pausedBy=data["pausedBy"], description=data.get("description"),
                 effectiveTime=format_time(effective), endTime=end and format_time(end),
                 timeRemaining=data.get("timeRemaining") or (
                     pause["timeRemaining"] if pause["status"] == "ongoing" else None))
    _store(tx, ctx, pause)
    order = editable_order(tx, ctx, pause["subscriptionId"])
    announce_order(tx, ctx, order, "subscription-pause-modified", pause=pause)
    _run_due(tx, ctx, pause["id"], effective, end, now)
    return tx.read(ctx.namespace, PAUSES, pause["id"])


def _times(data: dict[str, Any], now: datetime,
           ongoing: bool = False) -> tuple[datetime, datetime | None]:
    """The pause's start (a past or missing one is now) and end (a past one is now).

    :raises ValidationFailed: on ``endTime`` when a future pause would end before it starts.
    """
    effective = instant(data.get("effectiveTime"))
    if not ongoing and (effective is None or effective < now):
        effective = now
    end = instant(data.get("endTime"))
    if end is not None and end < now:
        end = now
    if end is not None and effective > now and end <= effective:
        raise ValidationFailed([{"field": "endTime", "message": "Must be later than "
                                 "effectiveTime."}])
    return effective, end


def _run_due(tx: Transaction, ctx: Context, pause_id: str, effective: datetime,
             end: datetime | None, now: datetime) -> None:
    """Whatever of the pause is due already: its start, then its end."""
    if effective <= now:
        start_pause(tx, ctx, pause_id, now)
    if end is not None and end <= now:
        end_pause(tx, ctx, pause_id, now)


def _revoke(tx: Transaction, ctx: Context, pause: dict[str, Any],
            order: dict[str, Any] | None = None) -> None:
    pause["status"] = "revoked"
    _store(tx, ctx, pause)
    order = order if order is not None else editable_order(tx, ctx, pause["subscriptionId"])
    announce_order(tx, ctx, order, "subscription-pause-revoked", pause=pause)


def _store(tx: Transaction, ctx: Context, pause: dict[str, Any]) -> None:
    """Store a pause and its next step on the billing schedule: its start while pending, its
    end (if it has one) while ongoing, none after."""
    pause["updatedTime"] = format_time(ctx.clock.now())
    tx.put(ctx.namespace, PAUSES, pause)
    step = {"pending": "effectiveTime", "ongoing": "endTime"}.get(pause["status"])
    plan(tx, ctx.namespace, PAUSE, pause["id"], pause.get(step) if step else None)
