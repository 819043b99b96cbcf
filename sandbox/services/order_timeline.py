"""An order's timeline: what happened to it, its invoices and their payments, by time.

Pure Python: no Flask, no marshmallow. Read for the dashboard, at a cost in proportion to the
order's own history, never to what the namespace stores: an order's invoices are found by their
ids (the initial one, and each renewal's, derived from the order and the period it bills).
"""

from __future__ import annotations

from typing import Any

from ..store import Transaction
from .order_invoices import renewal_invoice_id
from .tables import INVOICES, ORDERS, TRANSACTIONS

__all__ = ("order_timeline", "MAX_ENTRIES")

#: Entries one timeline shows at most (its latest).
MAX_ENTRIES = 500
#: The order's own moments: (member, what it marks).
_ORDER_TIMES = (("createdTime", "created"), ("activationTime", "activated"),
                ("trialConversionTime", "trial converted"), ("canceledTime", "canceled"),
                ("churnTime", "churns"), ("voidTime", "voided"))


def order_timeline(tx: Transaction, namespace: str, order_id: str) -> list[dict[str, Any]] | None:
    """The order's moments, its invoices' issue and its payments, oldest first; None when
    there is no such order."""
    order = tx.read(namespace, ORDERS, order_id)
    if order is None:
        return None
    entries = [{"time": order[member], "what": f"order {label}", "detail": order["status"]
                if label == "created" else ""}
               for member, label in _ORDER_TIMES if order.get(member)]
    invoice_ids = [order.get("initialInvoiceId"),
                   *(renewal_invoice_id(order, period)
                     for period in range(2, (order.get("rebillNumber") or 1) + 1)),
                   order.get("recentInvoiceId")]
    seen: set[str] = set()
    for invoice_id in invoice_ids[-MAX_ENTRIES:]:
        invoice = tx.read(namespace, INVOICES, invoice_id or "")
        if invoice is None or invoice["id"] in seen:
            continue
        seen.add(invoice["id"])
        entries.append({"time": invoice.get("issuedTime") or invoice["createdTime"],
                        "what": f"{invoice['type']} invoice {invoice['id']}",
                        "detail": f"{invoice['amount']} {invoice['currency']}, "
                                  f"{invoice['status']}"})
        for transaction_id in invoice.get("transactions") or ():
            _payment(tx, namespace, transaction_id, entries)
    entries.sort(key=lambda entry: entry["time"])
    return entries[-MAX_ENTRIES:]


def _payment(tx: Transaction, namespace: str, transaction_id: str,
             entries: list[dict[str, Any]]) -> None:
    transaction = tx.read(namespace, TRANSACTIONS, transaction_id)
    if transaction is None:
        return
    retry = f", retry {transaction['retryNumber']}" if transaction.get("retryNumber") else ""
    entries.append({"time": transaction["createdTime"],
                    "what": f"{transaction['type']} {transaction['id']}",
                    "detail": f"{transaction['amount']} {transaction['currency']}, "
                              f"{transaction['result']}{retry}"})
