"""How a transaction pays invoices (``POST /transactions`` with ``invoiceIds``) and how its
refunds move them, inside the store transaction of the payment or refund.

Pure Python: no Flask, no marshmallow. Checked before the gateway decides: each invoice exists,
is the payer's, in the transaction's currency and unpaid, past-due or partially-paid, and the
amount is at most what they owe together. When the payment is approved (at once, or when its
offsite step ends) the amount is allocated in the order the ids were sent, each invoice getting
at most its ``amountDue``: it becomes ``paid`` or ``partially-paid``. A declined payment changes
no invoice. A refund takes back what the refunded transaction paid, in the same order, and moves
a paid invoice to ``partially-refunded`` or ``refunded``; ``amountDue`` is left as it was.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..ids import format_time
from ..problems import ValidationFailed
from ..store import Transaction
from .context import Context
from .events import emit
from .invoice_amounts import number, totals
from .pricing import decimal_of
from .tables import INVOICES

__all__ = ("PAYABLE", "check_payable", "pay_invoices", "refund_invoices")

#: The statuses a payment may go to.
PAYABLE = ("unpaid", "past-due", "partially-paid")
#: The statuses a refund of a payment moves; any other keeps its status.
_REFUNDABLE = ("paid", "partially-paid", "partially-refunded")
#: How many paying transactions an invoice shows (Rebilly shows up to 10).
_SHOWN = 10


def check_payable(tx: Transaction, ctx: Context, data: dict[str, Any],
                  customer_id: str) -> None:
    """:raises ValidationFailed: when ``data['invoiceIds']`` cannot take this payment."""
    invoice_ids = data.get("invoiceIds") or []
    if not invoice_ids:
        return
    problems = []
    if data["type"] != "sale":
        problems.append(f"Only a sale pays invoices; this is a {data['type']}.")
    if len(set(invoice_ids)) != len(invoice_ids):
        problems.append("Each invoice may be named once.")
    owed = Decimal(0)
    for invoice_id in invoice_ids:
        invoice = tx.read(ctx.namespace, INVOICES, invoice_id)
        if invoice is None:
            problems.append(f"No invoice {invoice_id} exists.")
        elif invoice["customerId"] != customer_id or invoice["currency"] != data["currency"]:
            problems.append(f"Invoice {invoice_id} is not the customer's in {data['currency']}.")
        elif invoice["status"] not in PAYABLE:
            problems.append(f"Invoice {invoice_id} is {invoice['status']}; only an unpaid, "
                            "past-due or partially-paid invoice can be paid.")
        else:
            owed += decimal_of(invoice["amountDue"])
    if problems:
        raise ValidationFailed([{"field": "invoiceIds", "message": " ".join(problems)}])
    if decimal_of(data["amount"]) > owed:
        raise ValidationFailed([{"field": "amount", "message": f"The invoices owe {owed:f} "
                                 f"{data['currency']} together; pay at most that."}])


def pay_invoices(tx: Transaction, ctx: Context, transaction: dict[str, Any]) -> None:
    """Allocate an approved payment to its invoices, in order; an invoice no longer payable
    (voided or abandoned while the payment waited) is passed over."""
    left = decimal_of(transaction["amount"])
    for invoice_id in transaction.get("invoiceIds") or ():
        invoice = tx.get(ctx.namespace, INVOICES, invoice_id)
        if invoice is None or invoice["status"] not in PAYABLE or left <= 0:
            continue
        share = min(left, decimal_of(invoice["amountDue"]))
        left -= share
        invoice["allocations"] = [*invoice.get("allocations", []), {
            "transactionId": transaction["id"], "amount": number(share), "refunded": 0}]
        invoice.update(totals(invoice, _sum(invoice["allocations"], "amount")))
        paid = invoice["amountDue"] == 0
        invoice["status"] = "paid" if paid else "partially-paid"
        if paid:
            invoice["paidTime"] = format_time(ctx.clock.now())
        invoice["transactions"] = [*invoice["transactions"], transaction["id"]][-_SHOWN:]
        _save(tx, ctx, invoice, "invoice-paid" if paid else "invoice-partially-paid")


def refund_invoices(tx: Transaction, ctx: Context, parent: dict[str, Any],
                    amount: float) -> None:
    """Take a refund of ``parent`` back from the invoices it paid, in their order."""
    left = decimal_of(amount)
    for invoice_id in parent.get("invoiceIds") or ():
        invoice = tx.get(ctx.namespace, INVOICES, invoice_id)
        if invoice is None or left <= 0:
            continue
        touched = False
        for allocation in invoice.get("allocations", []):
            if allocation["transactionId"] != parent["id"] or left <= 0:
                continue
            back = min(left, decimal_of(allocation["amount"]) - decimal_of(allocation["refunded"]))
            if back > 0:
                allocation["refunded"] = number(decimal_of(allocation["refunded"]) + back)
                left -= back
                touched = True
        if not touched or invoice["status"] not in _REFUNDABLE:
            continue
        whole = _sum(invoice["allocations"], "refunded") >= _sum(invoice["allocations"], "amount")
        invoice["status"] = "refunded" if whole else "partially-refunded"
        _save(tx, ctx, invoice, "invoice-refunded" if whole else "invoice-partially-refunded")


def _sum(allocations: list[dict[str, Any]], member: str) -> Decimal:
    return sum((decimal_of(entry[member]) for entry in allocations), Decimal(0))


def _save(tx: Transaction, ctx: Context, invoice: dict[str, Any], event_type: str) -> None:
    invoice["revision"] += 1
    invoice["updatedTime"] = format_time(ctx.clock.now())
    tx.put(ctx.namespace, INVOICES, invoice)
    emit(tx, ctx, event_type, invoice["id"], {"invoice": invoice})
