"""Autopay: charging an order's invoice with the order's payment instrument, or the customer's
default one, and the dunning schedule of a declined renewal. A fault rule with
``"on": "renewal-payment"`` declines the renewal charges it fires on, whatever the card.

Pure Python: no Flask, no marshmallow; called inside the store transaction of the step that
charges. The instrument an attempt uses is read at the attempt, so a card added or made the
default after a decline is the one the next retry charges:

1. the order's ``paymentInstrumentId`` when it is neither expired nor deactivated;
2. else the customer's default instrument when usable;
3. else the order's own instrument once more, expired: the gateway declines it with the expiry
   code (54), as a renewal on an expired card declines;
4. else nothing is charged (the attempt counts as failed, with no transaction).

Dunning (the sandbox's own schedule; Rebilly leaves it to each organization's rules): a
renewal invoice whose charge declines goes ``past-due`` at its due time and is charged again
the days of ``--dunning-retries`` after its due time (by default 1, 3 and 7 days).
When the last retry declines, the invoice is abandoned and the order canceled by Rebilly for a
billing failure.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..problems import ValidationFailed
from ..store import Transaction
from .context import Context
from .instruments import instrument_status
from .tables import CUSTOMERS, PAYMENT_INSTRUMENTS
from .transactions import charge_saved_instrument

__all__ = ("next_retry", "instrument_for", "charge")

def next_retry(ctx: Context, due: datetime, retries_done: int) -> datetime | None:
    """When retry number ``retries_done + 1`` of an invoice due at ``due`` is, or None after
    the last (``ctx.retry_days``)."""
    if retries_done >= len(ctx.retry_days):
        return None
    return due + timedelta(days=ctx.retry_days[retries_done])


def instrument_for(tx: Transaction, ctx: Context, order: dict[str, Any]) -> str | None:
    """The instrument an autopay attempt on ``order`` charges now (see the module's order)."""
    now = ctx.clock.now()

    def usable(instrument_id: str | None) -> bool:
        instrument = tx.read(ctx.namespace, PAYMENT_INSTRUMENTS, instrument_id or "")
        return (instrument is not None and instrument["customerId"] == order["customerId"]
                and instrument_status(instrument, now) not in ("expired", "deactivated"))

    own = order.get("paymentInstrumentId")
    if usable(own):
        return own
    customer = tx.read(ctx.namespace, CUSTOMERS, order["customerId"]) or {}
    default = (customer.get("defaultPaymentInstrument") or {}).get("paymentInstrumentId")
    if usable(default):
        return default
    for candidate in (own, default):
        instrument = tx.read(ctx.namespace, PAYMENT_INSTRUMENTS, candidate or "")
        if instrument is not None and instrument_status(instrument, now) == "expired":
            return candidate
    return None


def charge(tx: Transaction, ctx: Context, order: dict[str, Any], invoice: dict[str, Any],
           retry: int = 0, merchant_initiated: bool = True) -> dict[str, Any] | None:
    """Charge what the invoice owes; the transaction, or None when nothing could be charged.

    An approved charge pays the invoice (``services.invoice_payments``); a declined one leaves
    it as it was.
    """
    instrument_id = instrument_for(tx, ctx, order)
    if instrument_id is None or invoice["amountDue"] <= 0:
        return None
    faulted = (invoice["type"] == "renewal" and ctx.renewal_fault is not None
               and ctx.renewal_fault())
    try:
        return charge_saved_instrument(ctx, {
            "customerId": order["customerId"], "websiteId": order["websiteId"],
            "currency": invoice["currency"], "amount": invoice["amountDue"],
            "invoiceIds": [invoice["id"]],
            "paymentInstruction": {"paymentInstrumentId": instrument_id},
            "description": f"Order {order['id']}, invoice {invoice['invoiceNumber']}",
            "isProcessedOutside": False, "isRebill": invoice["type"] == "renewal",
            "rebillNumber": order.get("rebillNumber") or 0, "retryNumber": retry,
            "isMerchantInitiated": merchant_initiated},
            instrument_id, decline=faulted)
    except ValidationFailed:
        return None
