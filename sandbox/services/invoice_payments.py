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
from .documents import read
from .events import emit
from .invoice_amounts import number, totals
from .order_billing import invoice_changed
from .pricing import decimal_of
from .tables import INVOICES, TRANSACTIONS

__all__ = ("PAYABLE", "check_payable", "pay_invoices", "payment_declined", "refund_invoices",
           "apply_transaction")

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
        if left <= 0:
            break
        left -= _allocate(tx, ctx, invoice_id, transaction["id"], left)


def payment_declined(tx: Transaction, ctx: Context, transaction: dict[str, Any]) -> None:
    """A declined payment changes no invoice; on a renewal invoice it is announced
    (``renewal-invoice-payment-declined``, with the transaction and the invoice)."""
    for invoice_id in transaction.get("invoiceIds") or ():
        invoice = tx.read(ctx.namespace, INVOICES, invoice_id)
        if invoice is not None and invoice.get("type") == "renewal":
            emit(tx, ctx, "renewal-invoice-payment-declined", transaction["id"],
                 {"transaction": transaction, "invoice": invoice})


def apply_transaction(ctx: Context, invoice_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """``POST /invoices/{id}/transaction``: let an approved payment's unused amount pay the
    invoice (``data['amount']``, else as much as both allow); return the invoice.

    The unused amount is what the sale or capture has not yet paid towards invoices. The
    invoice joins the transaction's ``invoiceIds``, so refunding the payment moves it too.

    :raises NotFound: when there is no such invoice.
    :raises ValidationFailed: when the invoice cannot be paid, or the transaction is unknown,
        not an approved payment, another customer's or currency's, or has too little unused.
    """
    with ctx.store.transaction() as tx:
        invoice = read(tx, ctx, INVOICES, invoice_id, "invoice")
        if invoice["status"] not in PAYABLE:
            raise ValidationFailed([{"field": "invoiceId", "message": f"The invoice is "
                                     f"{invoice['status']}; only an unpaid, past-due or "
                                     "partially-paid invoice can be paid."}])
        stored = tx.read(ctx.namespace, TRANSACTIONS, data["transactionId"])
        unused = _unused(tx, ctx, stored) if stored is not None else Decimal(0)
        problem = _refusal(stored, invoice, unused)
        if problem:
            raise ValidationFailed([{"field": "transactionId", "message": problem}])
        amount = (decimal_of(data["amount"]) if data.get("amount") is not None
                  else min(unused, decimal_of(invoice["amountDue"])))
        most = min(unused, decimal_of(invoice["amountDue"]))
        if amount > most:
            raise ValidationFailed([{"field": "amount", "message": f"At most {most:f}: what "
                                     "the transaction has unused and the invoice owes."}])
        if invoice_id not in stored.get("invoiceIds", []):
            tx.update(ctx.namespace, TRANSACTIONS, stored["id"],
                      {"invoiceIds": [*stored.get("invoiceIds", []), invoice_id]})
        _allocate(tx, ctx, invoice_id, stored["id"], amount)
        return tx.read(ctx.namespace, INVOICES, invoice_id)


def _unused(tx: Transaction, ctx: Context, transaction: dict[str, Any]) -> Decimal:
    """What an approved payment has neither refunded nor paid towards invoices: its amount
    less its approved refunds and less what its invoices kept of it (a few reads: its
    refunds and the invoices it names)."""
    refunded = sum((decimal_of(child["amount"])
                    for child_id in transaction.get("childTransactions", [])
                    if (child := tx.read(ctx.namespace, TRANSACTIONS, child_id)) is not None
                    and child["type"] == "refund" and child["result"] == "approved"),
                   Decimal(0))
    kept = Decimal(0)
    for invoice_id in transaction.get("invoiceIds") or ():
        invoice = tx.read(ctx.namespace, INVOICES, invoice_id) or {}
        for allocation in invoice.get("allocations", ()):
            if allocation["transactionId"] == transaction["id"]:
                kept += decimal_of(allocation["amount"]) - decimal_of(allocation["refunded"])
    return max(decimal_of(transaction["amount"]) - refunded - kept, Decimal(0))


def _refusal(transaction: dict[str, Any] | None, invoice: dict[str, Any],
             unused: Decimal) -> str | None:
    if transaction is None:
        return "No transaction with this id exists."
    if transaction["type"] not in ("sale", "capture") or transaction["result"] != "approved" \
            or transaction["status"] not in ("completed", "partially-refunded"):
        return "Only an approved sale or capture can pay an invoice."
    if transaction["customerId"] != invoice["customerId"] \
            or transaction["currency"] != invoice["currency"]:
        return f"The transaction is not the invoice's customer's in {invoice['currency']}."
    if unused <= 0:
        return "The transaction has no unused amount left."
    return None


def _allocate(tx: Transaction, ctx: Context, invoice_id: str, transaction_id: str,
              most: Decimal) -> Decimal:
    """Let ``transaction_id`` pay up to ``most`` of the invoice; return what it paid."""
    invoice = tx.get(ctx.namespace, INVOICES, invoice_id)
    if invoice is None or invoice["status"] not in PAYABLE:
        return Decimal(0)
    share = min(most, decimal_of(invoice["amountDue"]))
    invoice["allocations"] = [*invoice.get("allocations", []), {
        "transactionId": transaction_id, "amount": number(share), "refunded": 0}]
    invoice.update(totals(invoice, _sum(invoice["allocations"], "amount")))
    paid = invoice["amountDue"] == 0
    invoice["status"] = "paid" if paid else "partially-paid"
    if paid:
        invoice["paidTime"] = format_time(ctx.clock.now())
    invoice["transactions"] = [*invoice["transactions"], transaction_id][-_SHOWN:]
    _save(tx, ctx, invoice, "invoice-paid" if paid else "invoice-partially-paid")
    return share


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
    """Store and announce the invoice, then let the order that made it (if any) follow."""
    invoice["revision"] += 1
    invoice["updatedTime"] = format_time(ctx.clock.now())
    tx.put(ctx.namespace, INVOICES, invoice)
    emit(tx, ctx, event_type, invoice["id"], {"invoice": invoice})
    invoice_changed(tx, ctx, invoice)
