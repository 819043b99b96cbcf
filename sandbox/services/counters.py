"""Customer counters that payments move: paymentCount, lastPaymentTime, lifetimeRevenue,
averageValue.

An approved ``sale`` or ``capture`` counts as a payment. Refunds take their amount off
``lifetimeRevenue`` (so ``averageValue`` drops) and leave ``paymentCount`` alone. The sandbox has
no exchange rates: it reports in USD and counts every currency one to one, so ``amountUsd``
always equals ``amount``. Called inside the transaction that records the payment or refund.
"""

from __future__ import annotations

from typing import Any

from ..store import Transaction
from .context import Context
from .tables import CUSTOMERS

__all__ = ("REPORTING_CURRENCY", "PAYMENT_TYPES", "count_payment", "count_refund")

REPORTING_CURRENCY = "USD"
#: Transaction types Rebilly counts as payments.
PAYMENT_TYPES = frozenset({"sale", "capture"})


def count_payment(tx: Transaction, ctx: Context, customer_id: str, amount: float,
                  at: str) -> None:
    """An approved payment of ``amount`` at ``at``: one more payment, more revenue."""
    customer = tx.read(ctx.namespace, CUSTOMERS, customer_id)
    if customer is None:
        return
    count = int(customer.get("paymentCount") or 0) + 1
    tx.update(ctx.namespace, CUSTOMERS, customer_id, {
        "paymentCount": count, "lastPaymentTime": at,
        **_revenue_members(_revenue(customer) + amount, count)})


def count_refund(tx: Transaction, ctx: Context, customer_id: str, amount: float) -> None:
    """A refund of ``amount``: less revenue, the same number of payments."""
    customer = tx.read(ctx.namespace, CUSTOMERS, customer_id)
    if customer is None:
        return
    tx.update(ctx.namespace, CUSTOMERS, customer_id, _revenue_members(
        max(_revenue(customer) - amount, 0), int(customer.get("paymentCount") or 0)))


def _revenue(customer: dict[str, Any]) -> float:
    return float((customer.get("lifetimeRevenue") or {}).get("amount") or 0)


def _money(amount: float) -> dict[str, Any]:
    value = round(amount, 2)
    if value == int(value):
        value = int(value)
    return {"currency": REPORTING_CURRENCY, "amount": value, "amountUsd": value}


def _revenue_members(revenue: float, count: int) -> dict[str, Any]:
    """``lifetimeRevenue`` and ``averageValue`` for ``revenue`` over ``count`` payments."""
    return {"lifetimeRevenue": _money(revenue),
            "averageValue": _money(revenue / count if count else 0)}
