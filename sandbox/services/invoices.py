"""Invoices: create (a ``draft``), replace by id, read, list, add items, and the issue, void
and abandon transitions, each announced through the event outbox.

Pure Python: no Flask, no marshmallow. Amounts are ``services.invoice_amounts``'s, recomputed
whenever items or tax change. The transitions:

- issue: ``draft`` -> ``unpaid`` (``paid`` at once when nothing is due); otherwise 409;
- void: ``draft``, ``unpaid``, ``past-due`` -> ``voided`` (amounts 0); otherwise 409;
- abandon: ``unpaid``, ``past-due``, ``partially-paid`` -> ``abandoned``; otherwise 409.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..ids import format_time
from ..problems import Conflict, ValidationFailed
from ..store import Transaction, copy_document
from .context import Context
from .discounts import apply_discounts
from .documents import check_id, read, write
from .events import emit
from .invoice_amounts import cents, line_price, number, totals
from .listing import Page, list_documents
from .paging import ListQuery
from .pricing import QuantityOutOfRange, plan_price
from .tables import CUSTOMERS, INVOICES, PLANS

__all__ = ("INVOICE_WRITABLE", "MAX_ITEMS", "new_invoice_members", "create_invoice",
           "upsert_invoice", "get_invoice",
           "list_invoices", "add_item", "issue_invoice", "void_invoice", "abandon_invoice")

#: The writable members a stored invoice keeps, each with its value when a body leaves it out.
INVOICE_WRITABLE: dict[str, Any] = {
    "customerId": None, "websiteId": None, "currency": None, "billingAddress": None,
    "deliveryAddress": None, "poNumber": None, "notes": None,
    "tax": {"calculator": "manual", "items": []}, "dueTime": None,
    "autopayScheduledTime": None, "delinquencyTime": None,
}
#: Items one invoice may hold (the sandbox's own bound: Rebilly declares none).
MAX_ITEMS = 500
#: Members an issued invoice keeps: changing them would change what was billed.
_FROZEN = ("customerId", "websiteId", "currency", "tax")
_VOIDABLE = ("draft", "unpaid", "past-due")
_ABANDONABLE = ("unpaid", "past-due", "partially-paid")


def create_invoice(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Store a ``draft`` invoice under a generated ``in_`` id; return it as stored."""
    with ctx.store.transaction() as tx:
        return _store(tx, ctx, ctx.ids.new("in"), data)[0]


def upsert_invoice(ctx: Context, invoice_id: str, data: dict[str, Any]) -> tuple[dict, bool]:
    """Create the draft with this id, or replace its writable members; (invoice, created).

    :raises ValidationFailed: for a malformed id, an unknown customer or website, or a change
        to what an issued invoice billed.
    """
    check_id(invoice_id)
    with ctx.store.transaction() as tx:
        return _store(tx, ctx, invoice_id, data)


def get_invoice(ctx: Context, invoice_id: str) -> dict[str, Any]:
    """:raises NotFound: when the namespace has no such invoice."""
    with ctx.store.transaction() as tx:
        return read(tx, ctx, INVOICES, invoice_id, "invoice")


def list_invoices(ctx: Context, query: ListQuery) -> Page:
    return list_documents(ctx.store, ctx.namespace, query)


def add_item(ctx: Context, invoice_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Add a line to a draft invoice and return it as stored.

    :raises NotFound: when there is no such invoice.
    :raises ValidationFailed: when the invoice is no longer a draft, or the plan is unknown, in
        another currency, or does not price the quantity.
    """
    with ctx.store.transaction() as tx:
        invoice = _editable(tx, ctx, invoice_id)
        if invoice["status"] != "draft":
            raise ValidationFailed([{"field": "invoiceId", "message": "Items can be added to a "
                                     f"draft invoice only; this one is {invoice['status']}."}])
        if len(invoice["items"]) >= MAX_ITEMS:
            raise ValidationFailed([{"field": "invoiceId", "message": f"An invoice holds at "
                                     f"most {MAX_ITEMS} items."}])
        now = format_time(ctx.clock.now())
        priced, plan_product = _priced(tx, ctx, invoice, data)
        item = {"id": ctx.ids.new("ii"), "type": data["type"], **priced,
                "description": data.get("description"),
                "productId": data.get("productId") or plan_product,
                "subscriptionId": None, "tax": None,
                "periodStartTime": data.get("periodStartTime"),
                "periodEndTime": data.get("periodEndTime"),
                "periodNumber": data.get("periodNumber"), "createdTime": now, "updatedTime": now}
        invoice["items"] = [*invoice["items"], item]
        _save(tx, ctx, invoice, "invoice-modified")
        return item


def issue_invoice(ctx: Context, invoice_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """``draft`` -> ``unpaid``, or ``paid`` when nothing is due.

    :raises Conflict: when the invoice is not a draft.
    """
    with ctx.store.transaction() as tx:
        invoice = _editable(tx, ctx, invoice_id)
        _require(invoice, ("draft",), "issued")
        now = format_time(ctx.clock.now())
        issued = data.get("issuedTime") or now
        invoice.update(status="unpaid", issuedTime=issued,
                       dueTime=data.get("dueTime") or invoice.get("dueTime") or issued)
        apply_discounts(tx, ctx, invoice)
        invoice.update(totals(invoice, Decimal(0)))
        if invoice["amountDue"] == 0:
            invoice.update(status="paid", paidTime=now)
        _save(tx, ctx, invoice, "invoice-issued")
        if invoice["status"] == "paid":
            emit(tx, ctx, "invoice-paid", invoice["id"], {"invoice": invoice})
        return invoice


def void_invoice(ctx: Context, invoice_id: str) -> dict[str, Any]:
    """``draft``, ``unpaid`` or ``past-due`` -> ``voided``, every amount 0.

    :raises Conflict: from any other status (a paid invoice is refunded, not voided).
    """
    with ctx.store.transaction() as tx:
        invoice = _editable(tx, ctx, invoice_id)
        _require(invoice, _VOIDABLE, "voided")
        invoice.update(status="voided", voidedTime=format_time(ctx.clock.now()))
        invoice.update(totals(invoice, Decimal(0)))
        _save(tx, ctx, invoice, "invoice-voided")
        return invoice


def abandon_invoice(ctx: Context, invoice_id: str) -> dict[str, Any]:
    """``unpaid``, ``past-due`` or ``partially-paid`` -> ``abandoned``; amounts kept.

    :raises Conflict: from any other status.
    """
    with ctx.store.transaction() as tx:
        invoice = _editable(tx, ctx, invoice_id)
        _require(invoice, _ABANDONABLE, "abandoned")
        invoice.update(status="abandoned", abandonedTime=format_time(ctx.clock.now()))
        _save(tx, ctx, invoice, "invoice-abandoned")
        return invoice


def _store(tx: Transaction, ctx: Context, invoice_id: str,
           data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Write the invoice's writable members, keeping (or starting) what the server owns."""
    _check_refers(tx, ctx, data)
    existing = tx.read(ctx.namespace, INVOICES, invoice_id)
    if existing is not None and existing["status"] != "draft":
        changed = [name for name in _FROZEN if _billed(data.get(name) or INVOICE_WRITABLE[name])
                   != _billed(existing.get(name))]
        if changed:
            raise ValidationFailed([{"field": name, "message": "Cannot change once the invoice "
                                     "is issued."} for name in changed])
    owned = ({name: value for name, value in copy_document(existing).items()
              if name not in INVOICE_WRITABLE}
             if existing else new_invoice_members(tx, ctx, data["customerId"]))
    owned.pop("createdTime", None)
    invoice, created = write(tx, ctx, INVOICES, invoice_id, data, INVOICE_WRITABLE, owned)
    invoice["revision"] = owned["revision"] if created else owned["revision"] + 1
    if invoice["status"] == "draft":
        apply_discounts(tx, ctx, invoice)
        invoice.update(totals(invoice, Decimal(0)))
    tx.put(ctx.namespace, INVOICES, invoice)
    emit(tx, ctx, "invoice-created" if created else "invoice-modified", invoice["id"],
         {"invoice": invoice})
    return invoice, created


def _billed(value: Any) -> Any:
    """What a member bills: a tax object without the ``amount`` the server works out."""
    if isinstance(value, dict):
        return {name: member for name, member in value.items() if name != "amount"}
    return value


def new_invoice_members(tx: Transaction, ctx: Context, customer_id: str) -> dict[str, Any]:
    """What a new invoice starts with: a draft, numbered after the customer's other invoices
    (the customer's ``invoiceCount``, so numbering costs one read however many are stored)."""
    customer = tx.read(ctx.namespace, CUSTOMERS, customer_id)
    number_before = int(customer.get("invoiceCount") or 0) if customer else 0
    tx.update(ctx.namespace, CUSTOMERS, customer_id, {"invoiceCount": number_before + 1})
    return {"invoiceNumber": number_before + 1, "type": "one-time", "status": "draft",
            "subscriptionId": None, "orderId": None, "quoteId": None, "items": [],
            "discounts": [], "subtotalAmount": 0, "discountAmount": 0, "amount": 0,
            "amountDue": 0, "transactions": [], "creditMemoAllocations": [], "issuedTime": None,
            "paidTime": None, "voidedTime": None, "abandonedTime": None,
            "autopayRetryNumber": 0, "organizationId": ctx.organization_id, "revision": 1}


def _check_refers(tx: Transaction, ctx: Context, data: dict[str, Any]) -> None:
    """:raises ValidationFailed: when the customer is not in the namespace. An unknown
    ``websiteId`` is accepted, as on every resource (docs/differences.md)."""
    if not tx.exists(ctx.namespace, CUSTOMERS, data["customerId"]):
        raise ValidationFailed([{"field": "customerId",
                                 "message": f"No customer {data['customerId']} exists."}])


def _priced(tx: Transaction, ctx: Context, invoice: dict[str, Any],
            data: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """An item's quantity, unitPrice, planId and price (its own unit price, or its plan's
    formula), and the plan's product if a plan priced it."""
    quantity = data["quantity"]
    if data.get("planId") is None:
        return {"quantity": quantity, "unitPrice": data["unitPrice"], "planId": None,
                "price": number(line_price(data["unitPrice"], quantity))}, None
    plan = tx.read(ctx.namespace, PLANS, data["planId"])
    if plan is None:
        raise ValidationFailed([{"field": "planId", "message": f"No plan {data['planId']} "
                                 "exists."}])
    if plan["currency"] != invoice["currency"]:
        raise ValidationFailed([{"field": "planId", "message": f"The plan is priced in "
                                 f"{plan['currency']}, the invoice in {invoice['currency']}."}])
    fixed = (plan.get("pricing") or {}).get("formula") == "fixed-fee"
    quantity = 1 if fixed else quantity
    try:
        price = plan_price(plan, quantity)
    except QuantityOutOfRange as error:
        raise ValidationFailed([{"field": "quantity", "message": str(error)}]) from None
    return {"quantity": quantity, "unitPrice": number(cents(price / quantity)),
            "planId": plan["id"], "price": number(price)}, plan["productId"]


def _editable(tx: Transaction, ctx: Context, invoice_id: str) -> dict[str, Any]:
    """A copy of the stored invoice to change. :raises NotFound: when there is none."""
    return copy_document(read(tx, ctx, INVOICES, invoice_id, "invoice"))


def _require(invoice: dict[str, Any], statuses: tuple[str, ...], action: str) -> None:
    """:raises Conflict: when the invoice's status is not one of ``statuses``."""
    if invoice["status"] not in statuses:
        raise Conflict(f"Invoice {invoice['id']} is {invoice['status']} and cannot be "
                       f"{action}; only a {' or '.join(statuses)} invoice can.")


def _save(tx: Transaction, ctx: Context, invoice: dict[str, Any], event_type: str) -> None:
    """Store a changed invoice with its amounts (a draft's discounts worked out again), a new
    revision, and announce it."""
    if invoice["status"] == "draft":
        apply_discounts(tx, ctx, invoice)
        invoice.update(totals(invoice, Decimal(0)))
    invoice["revision"] += 1
    invoice["updatedTime"] = format_time(ctx.clock.now())
    tx.put(ctx.namespace, INVOICES, invoice)
    emit(tx, ctx, event_type, invoice["id"], {"invoice": invoice})

