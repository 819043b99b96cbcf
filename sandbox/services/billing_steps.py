"""What happens to an order, an invoice or a pause when the clock reaches its next step.

Pure Python: no Flask, no marshmallow. Each step runs inside one store transaction, with a
context whose clock stands at the step's due time (``Context.at``), so everything it writes is
stamped with the simulated time it happened at. A step reads the thing again and does only what
its state still calls for, then its save plans the next step.

Orders (``step_order``):

- pending, initial invoice paid, ``startTime`` reached: activated (``subscription-activated``);
- pending at ``abandonTime``: ``abandoned`` (``order-abandoned``), its unpaid invoices voided;
- active in trial, at the trial's end: ``subscription-trial-ended``; a trial-only order ends
  ``trial-ended``, any other starts its first paid period as a renewal does;
- active at ``renewalTime``: once ``recurringInterval.limit`` invoices were made, ``completed``
  (``order-completed``); otherwise the period rolls (``rebillNumber`` + 1), the renewal invoice
  is issued (``invoice-created``, ``invoice-issued``, ``renewal-invoice-issued``,
  ``subscription-renewed``) and, with autopay, charged;
- canceled at ``churnTime``: ``churned`` (``services.cancellations.churn``).

Invoices (``step_invoice``), for an order's invoice a charge declined: ``past-due`` at its due
time (``invoice-past-due``); charged again on the dunning schedule (``services.autopay``); after
the last retry declines, ``abandoned`` and its order canceled for a billing failure; still
unpaid at its ``delinquencyTime`` (the order's ``delinquencyPeriod`` after its due time), its
order canceled for delinquency.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..ids import format_time
from ..store import Transaction, copy_document
from .autopay import charge, next_retry
from .cancellations import churn
from .context import Context
from .events import emit
from .invoice_payments import PAYABLE
from .invoices import abandon_invoice, void_invoice
from .order_billing import activation_events, monthly_revenue, order_interval
from .order_invoices import issue_renewal_invoice, next_period, renewal_invoice_id
from .order_state import announce_order, save_order
from .pauses import end_pause, start_pause
from .schedule import INVOICE, ORDER, PAUSE, plan
from .tables import INVOICES, ORDERS, PAUSES

__all__ = ("run_step", "COUNTED")

#: What a billing step can make, as the clock's answer counts them.
COUNTED = ("renewals", "invoices", "payments", "declines", "retries", "activations",
           "trialsEnded", "pastDue", "abandoned", "churned", "completed", "pauses")


def run_step(tx: Transaction, ctx: Context, entry: dict[str, Any],
             counts: dict[str, int]) -> None:
    """Run the step ``entry`` names at ``ctx``'s (stopped) clock, adding to ``counts``."""
    kind, thing_id = entry["kind"], entry["thingId"]
    if kind == ORDER:
        _step_order(tx, ctx, thing_id, counts)
    elif kind == INVOICE:
        _step_invoice(tx, ctx, thing_id, counts)
    elif kind == PAUSE:
        _step_pause(tx, ctx, thing_id, counts)
    else:
        plan(tx, ctx.namespace, kind, thing_id, None)


# -- orders ----------------------------------------------------------------------------------

def _step_order(tx: Transaction, ctx: Context, order_id: str, counts: dict[str, int]) -> None:
    stored = tx.read(ctx.namespace, ORDERS, order_id)
    if stored is None:
        plan(tx, ctx.namespace, ORDER, order_id, None)
        return
    order = copy_document(stored)
    now = ctx.clock.now()
    status = order["status"]
    if status == "pending":
        _step_pending(tx, ctx, order, now, counts)
    elif status == "active" and order.get("inTrial"):
        _end_trial(tx, ctx, order, counts)
    elif status == "active":
        _renew(tx, ctx, order, counts)
    elif status == "canceled":
        churn(tx, ctx, order_id, now)
        counts["churned"] += 1
    else:
        save_order(tx, ctx, order)  # nothing left to do: the save drops its schedule entry


def _step_pending(tx: Transaction, ctx: Context, order: dict[str, Any], now: datetime,
                  counts: dict[str, int]) -> None:
    abandon = order.get("abandonTime")
    if abandon and datetime.fromisoformat(abandon) <= now:
        order["status"] = "abandoned"
        save_order(tx, ctx, order, "order-abandoned")
        counts["abandoned"] += 1
        for invoice_id in {order.get("initialInvoiceId"), order.get("recentInvoiceId")}:
            invoice = tx.read(ctx.namespace, INVOICES, invoice_id or "")
            if invoice is not None and invoice["status"] in ("draft", "unpaid", "past-due"):
                void_invoice(ctx, invoice_id)
        return
    events = activation_events(order, now)
    counts["activations"] += bool(events)
    save_order(tx, ctx, order, *events)


def _end_trial(tx: Transaction, ctx: Context, order: dict[str, Any],
               counts: dict[str, int]) -> None:
    """The trial ends at ``renewalTime``: a trial-only order ends, any other is billed."""
    order["inTrial"] = False
    counts["trialsEnded"] += 1
    if order.get("isTrialOnly") or order_interval(order) is None:
        order.update(status="trial-ended", renewalTime=None, mrr=0)
        save_order(tx, ctx, order, "subscription-trial-ended")
        return
    announce_order(tx, ctx, order, "subscription-trial-ended")
    _renew(tx, ctx, order, counts)


def _renew(tx: Transaction, ctx: Context, order: dict[str, Any],
           counts: dict[str, int]) -> None:
    """Roll the order into its next period and bill it (see the module)."""
    interval = order_interval(order)
    limit = (interval or {}).get("limit")
    if interval is None or limit is not None and (order.get("rebillNumber") or 0) >= limit:
        order.update(status="completed", renewalTime=None, mrr=0)
        save_order(tx, ctx, order, "order-completed")
        counts["completed"] += 1
        return
    start, end, number, anchor = next_period(order)
    order.update(currentPeriodStart=format_time(start), currentPeriodEnd=format_time(end),
                 renewalTime=format_time(end), rebillNumber=number, periodAnchor=anchor)
    order["mrr"] = monthly_revenue(order)
    invoice = tx.read(ctx.namespace, INVOICES, renewal_invoice_id(order, number))
    if invoice is None:  # else issued ahead of time (upcoming-invoice/issue): billed already
        invoice = issue_renewal_invoice(tx, ctx, order, start, end, number)
        counts["invoices"] += 1
    save_order(tx, ctx, order, "subscription-renewed")
    counts["renewals"] += 1
    if invoice["status"] == "unpaid" and order.get("autopay", True):
        _attempt(tx, ctx, order, invoice, 0, counts)


# -- invoices: dunning ---------------------------------------------------------------------

def _attempt(tx: Transaction, ctx: Context, order: dict[str, Any], invoice: dict[str, Any],
             retry: int, counts: dict[str, int]) -> None:
    """One autopay attempt; a decline plans what the dunning schedule does next."""
    transaction = charge(tx, ctx, order, invoice, retry)
    counts["payments" if transaction and transaction["result"] == "approved"
           else "declines"] += 1
    after = tx.read(ctx.namespace, INVOICES, invoice["id"])
    if after is None or after["status"] not in PAYABLE:
        plan(tx, ctx.namespace, INVOICE, invoice["id"], None)
        return
    _plan_invoice(tx, ctx, after, counts)


def _plan_invoice(tx: Transaction, ctx: Context, invoice: dict[str, Any],
                  counts: dict[str, int]) -> None:
    """The invoice's next dunning step: past due at its due time, or its next retry (its
    ``autopayScheduledTime``); after the last retry, it is given up at once."""
    due = datetime.fromisoformat(invoice["dueTime"])
    retry_at = next_retry(ctx, due, invoice.get("autopayRetryNumber", 0))
    updated = copy_document(invoice)
    updated["autopayScheduledTime"] = format_time(retry_at) if retry_at else None
    if updated != invoice:
        tx.put(ctx.namespace, INVOICES, updated)
    if retry_at is None and invoice["status"] != "unpaid":
        _give_up(tx, ctx, updated, counts)
        return
    delinquent = invoice.get("delinquencyTime")
    times = [time for time in (retry_at, due if invoice["status"] == "unpaid" else None,
                               datetime.fromisoformat(delinquent) if delinquent else None)
             if time is not None]
    plan(tx, ctx.namespace, INVOICE, invoice["id"], min(times))


def _step_invoice(tx: Transaction, ctx: Context, invoice_id: str,
                  counts: dict[str, int]) -> None:
    stored = tx.read(ctx.namespace, INVOICES, invoice_id)
    if stored is None or stored["status"] not in PAYABLE or not stored.get("subscriptionId"):
        plan(tx, ctx.namespace, INVOICE, invoice_id, None)
        return
    invoice = copy_document(stored)
    now = ctx.clock.now()
    if invoice["status"] == "unpaid" and datetime.fromisoformat(invoice["dueTime"]) <= now:
        invoice.update(status="past-due", revision=invoice["revision"] + 1,
                       updatedTime=format_time(now))
        tx.put(ctx.namespace, INVOICES, invoice)
        emit(tx, ctx, "invoice-past-due", invoice_id, {"invoice": invoice})
        _follow(tx, ctx, invoice)
        counts["pastDue"] += 1
    delinquent = invoice.get("delinquencyTime")
    if delinquent and datetime.fromisoformat(delinquent) <= now:
        _end_for_delinquency(tx, ctx, invoice, counts)
        return
    scheduled = invoice.get("autopayScheduledTime")
    order = tx.read(ctx.namespace, ORDERS, invoice["subscriptionId"])
    if scheduled and datetime.fromisoformat(scheduled) <= now and order is not None:
        retry = invoice.get("autopayRetryNumber", 0) + 1
        invoice.update(autopayRetryNumber=retry)
        tx.put(ctx.namespace, INVOICES, invoice)
        counts["retries"] += 1
        _attempt(tx, ctx, copy_document(order), invoice, retry, counts)
    else:
        _plan_invoice(tx, ctx, invoice, counts)


def _give_up(tx: Transaction, ctx: Context, invoice: dict[str, Any],
             counts: dict[str, int]) -> None:
    """After the last retry: the invoice is abandoned and its order canceled by Rebilly for a
    billing failure, its service ending at once."""
    _follow(tx, ctx, abandon_invoice(ctx, invoice["id"]))
    plan(tx, ctx.namespace, INVOICE, invoice["id"], None)
    counts["abandoned"] += 1
    _end_order(tx, ctx, invoice["subscriptionId"], "billing-failure", counts)


def _end_for_delinquency(tx: Transaction, ctx: Context, invoice: dict[str, Any],
                         counts: dict[str, int]) -> None:
    """The invoice still unpaid at its ``delinquencyTime``: its order is canceled by Rebilly
    for delinquency and churns at once (``order-delinquency-reached`` first); the invoice
    stays as it is."""
    plan(tx, ctx.namespace, INVOICE, invoice["id"], None)
    _end_order(tx, ctx, invoice["subscriptionId"], "delinquency", counts,
               "order-delinquency-reached")


def _end_order(tx: Transaction, ctx: Context, order_id: str, category: str,
               counts: dict[str, int], *first_events: str) -> None:
    """An active or paused order canceled by Rebilly for ``category``, churning at once
    (``subscription-canceled``, ``subscription-churned``)."""
    stored = tx.read(ctx.namespace, ORDERS, order_id)
    if stored is None or stored["status"] not in ("active", "paused"):
        return
    order = copy_document(stored)
    now = format_time(ctx.clock.now())
    order.update(status="canceled", canceledTime=now, churnTime=now, canceledBy="rebilly",
                 cancelCategory=category, cancelDescription=None)
    save_order(tx, ctx, order, *first_events, "subscription-canceled")
    churn(tx, ctx, order_id, ctx.clock.now())
    counts["churned"] += 1


def _follow(tx: Transaction, ctx: Context, invoice: dict[str, Any]) -> None:
    """The order's ``billingStatus`` follows its most recent invoice."""
    stored = tx.read(ctx.namespace, ORDERS, invoice["subscriptionId"])
    if stored is None or stored.get("recentInvoiceId") != invoice["id"]:
        return
    order = copy_document(stored)
    order["billingStatus"] = invoice["status"]
    save_order(tx, ctx, order)


# -- pauses ------------------------------------------------------------------------------------

def _step_pause(tx: Transaction, ctx: Context, pause_id: str, counts: dict[str, int]) -> None:
    pause = tx.read(ctx.namespace, PAUSES, pause_id)
    plan(tx, ctx.namespace, PAUSE, pause_id, None)
    if pause is None:
        return
    now = ctx.clock.now()
    if pause["status"] == "pending":
        start_pause(tx, ctx, pause_id, now)
        counts["pauses"] += 1
    elif pause["status"] == "ongoing" and pause.get("endTime") \
            and datetime.fromisoformat(pause["endTime"]) <= now:
        end_pause(tx, ctx, pause_id, now)
        counts["pauses"] += 1
