"""Coupon redemptions and the discounts they put on invoices.

Pure Python: no Flask, no marshmallow. ``redeem``, ``cancel_redemption`` and
``apply_discounts`` act inside the caller's store transaction, so an order or an invoice change
and its coupons commit together; the ``*_redemption(ctx, …)`` calls open one for the routes.

What each restriction does, and when it is checked:

- at redemption: ``restrict-to-customers``, ``restrict-to-customer-tags``,
  ``redemptions-per-customer`` and ``total-redemptions`` (both count redemptions not canceled);
- on each invoice: the fixed discount's currency, ``minimum-order-amount`` and
  ``maximum-order-amount`` (against the subtotal, in their own currency),
  ``restrict-to-invoices``, ``restrict-to-subscriptions``, ``restrict-to-plans`` and
  ``restrict-to-products`` (only those lines are discounted), ``discounts-per-redemption``
  (invoices already discounted) and ``paid-by-time`` (the redemption lapses after it).

Cost: a customer's active redemptions are listed in one hidden document
(``tables.CUSTOMER_REDEMPTIONS``) and each redemption keeps the invoices it discounts, so nothing
here scans the namespace's redemptions or invoices.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..ids import format_time
from ..problems import NotFound, ValidationFailed
from ..store import Transaction
from .context import Context
from .coupons import refresh
from .documents import read
from .events import emit
from .invoice_amounts import cents, number, totals
from .listing import Page, list_documents
from .paging import ListQuery
from .pricing import decimal_of
from .tables import COUPONS, CUSTOMER_REDEMPTIONS, CUSTOMERS, INVOICES, REDEMPTIONS

__all__ = ("redeem", "cancel_redemption", "apply_discounts", "create_redemption",
           "cancel", "get_redemption", "list_redemptions")

#: Invoices whose discount a canceled redemption takes back: those not yet (partly) paid.
_REOPENED = ("draft", "unpaid", "past-due")


# -- the routes' own transactions -----------------------------------------------------------

def create_redemption(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    with ctx.store.transaction() as tx:
        return redeem(tx, ctx, data)


def cancel(ctx: Context, redemption_id: str) -> dict[str, Any]:
    with ctx.store.transaction() as tx:
        return cancel_redemption(tx, ctx, redemption_id)


def get_redemption(ctx: Context, redemption_id: str) -> dict[str, Any]:
    """:raises NotFound: when the namespace has no such redemption."""
    with ctx.store.transaction() as tx:
        return read(tx, ctx, REDEMPTIONS, redemption_id, "coupon redemption")


def list_redemptions(ctx: Context, query: ListQuery) -> Page:
    return list_documents(ctx.store, ctx.namespace, query)


# -- redeem and cancel ----------------------------------------------------------------------

def redeem(tx: Transaction, ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Store a redemption of data['couponId'] for data['customerId'] (data may hold
    'additionalRestrictions'), fire coupon-redeemed; return it.

    :raises ValidationFailed: (422) with a clear message when the coupon cannot be redeemed.
    """
    coupon_id, customer_id = data["couponId"], data["customerId"]
    stored = tx.read(ctx.namespace, COUPONS, coupon_id)
    if stored is None:
        raise _refused("couponId", f"No coupon {coupon_id} exists.")
    coupon = refresh(tx, ctx, stored)
    if coupon["status"] == "draft":
        raise _refused("couponId", f"Coupon {coupon_id} is not issued yet: it can be redeemed "
                                   f"from {coupon['issuedTime']}.")
    if coupon["status"] == "expired":
        raise _refused("couponId", f"Coupon {coupon_id} expired at {coupon['expiredTime']} and "
                                   "can no longer be redeemed.")
    customer = tx.read(ctx.namespace, CUSTOMERS, customer_id)
    if customer is None:
        raise _refused("customerId", f"No customer {customer_id} exists.")
    index = (tx.get(ctx.namespace, CUSTOMER_REDEMPTIONS, customer_id)
             or {"id": customer_id, "redemptions": []})
    _check_redeemable(coupon, customer, index)
    now = format_time(ctx.clock.now())
    redemption = {"id": ctx.ids.new("cpn_rdm"), "couponId": coupon_id,
                  "customerId": customer_id,
                  "additionalRestrictions": data.get("additionalRestrictions") or [],
                  "canceledTime": None, "createdTime": now, "updatedTime": now,
                  "invoiceIds": []}
    tx.insert(ctx.namespace, REDEMPTIONS, redemption)
    index["redemptions"].append({"id": redemption["id"], "couponId": coupon_id})
    tx.put(ctx.namespace, CUSTOMER_REDEMPTIONS, index)
    coupon = tx.update(ctx.namespace, COUPONS, coupon_id, {
        "redemptionsCount": coupon["redemptionsCount"] + 1,
        "activeRedemptions": coupon.get("activeRedemptions", 0) + 1}) or coupon
    emit(tx, ctx, "coupon-redeemed", coupon_id,
         {"coupon": coupon, "redemption": redemption, "customer": customer})
    return redemption


def cancel_redemption(tx: Transaction, ctx: Context, redemption_id: str) -> dict[str, Any]:
    """Set canceledTime, take its discount off the customer's draft/unpaid/past-due invoices it
    is on (recomputing their amounts; fire coupon-application-removed), fire
    coupon-redemption-canceled; return it.

    :raises NotFound: when there is no such redemption.
    :raises ValidationFailed: when it is already canceled.
    """
    redemption = tx.get(ctx.namespace, REDEMPTIONS, redemption_id)
    if redemption is None:
        raise NotFound(f"Coupon redemption {redemption_id} was not found.")
    if redemption["canceledTime"] is not None:
        raise _refused("id", f"Coupon redemption {redemption_id} was already canceled at "
                             f"{redemption['canceledTime']}.")
    now = format_time(ctx.clock.now())
    redemption.update(canceledTime=now, updatedTime=now)
    tx.put(ctx.namespace, REDEMPTIONS, redemption)  # first: drafts worked out again skip it
    index = tx.get(ctx.namespace, CUSTOMER_REDEMPTIONS, redemption["customerId"])
    if index is not None:
        index["redemptions"] = [entry for entry in index["redemptions"]
                                if entry["id"] != redemption_id]
        tx.put(ctx.namespace, CUSTOMER_REDEMPTIONS, index)
    coupon = tx.read(ctx.namespace, COUPONS, redemption["couponId"]) or {
        "id": redemption["couponId"]}
    if "activeRedemptions" in coupon:
        coupon = tx.update(ctx.namespace, COUPONS, coupon["id"], {
            "activeRedemptions": max(coupon["activeRedemptions"] - 1, 0)}) or coupon
    customer = _customer(tx, ctx, redemption["customerId"])
    kept = []
    for invoice_id in redemption["invoiceIds"]:
        invoice = tx.get(ctx.namespace, INVOICES, invoice_id)
        if invoice is None or invoice["status"] not in _REOPENED:
            kept.append(invoice_id)  # paid (or gone): its discount stays where it was billed
            continue
        _take_off(tx, ctx, invoice, redemption_id, now)
        emit(tx, ctx, "coupon-application-removed", coupon["id"],
             {"coupon": coupon, "redemption": redemption, "customer": customer})
    if kept != redemption["invoiceIds"]:
        redemption["invoiceIds"] = kept
        tx.put(ctx.namespace, REDEMPTIONS, redemption)
    emit(tx, ctx, "coupon-redemption-canceled", coupon["id"],
         {"coupon": coupon, "redemption": redemption, "customer": customer})
    return redemption


def _check_redeemable(coupon: dict[str, Any], customer: dict[str, Any],
                      index: dict[str, Any]) -> None:
    """:raises ValidationFailed: when a restriction checked at redemption refuses it."""
    coupon_id, customer_id = coupon["id"], customer["id"]
    for restriction in coupon.get("restrictions") or ():
        kind = restriction["type"]
        if kind == "restrict-to-customers" and customer_id not in restriction["customerIds"]:
            raise _refused("customerId", f"Coupon {coupon_id} is restricted to other "
                                         f"customers; {customer_id} is not one of them.")
        if kind == "restrict-to-customer-tags" and not _tagged(customer, restriction):
            which = "all" if restriction.get("requireAllTags") else "any"
            raise _refused("customerId", f"Coupon {coupon_id} is for customers tagged with "
                                         f"{which} of: {', '.join(restriction['tags'])}.")
        if kind == "redemptions-per-customer":
            done = sum(entry["couponId"] == coupon_id for entry in index["redemptions"])
            if done >= restriction["quantity"]:
                raise _refused("couponId", f"Customer {customer_id} has already redeemed "
                                           f"coupon {coupon_id} {_times(done)}; it allows "
                                           f"{_times(restriction['quantity'])} per customer.")
        if (kind == "total-redemptions"
                and coupon.get("activeRedemptions", 0) >= restriction["quantity"]):
            raise _refused("couponId", f"Coupon {coupon_id} has reached its limit of "
                                       f"{_times(restriction['quantity'])} redeemed.")


def _tagged(customer: dict[str, Any], restriction: dict[str, Any]) -> bool:
    names = {tag["name"].casefold() for tag in customer.get("tags") or ()}
    wanted = {name.casefold() for name in restriction["tags"]}
    return wanted <= names if restriction.get("requireAllTags") else bool(wanted & names)


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _refused(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([{"field": field, "message": message}])


def _customer(tx: Transaction, ctx: Context, customer_id: str) -> dict[str, Any]:
    """The customer for an event payload (a bare id once it was deleted)."""
    return tx.read(ctx.namespace, CUSTOMERS, customer_id) or {"id": customer_id}


def _take_off(tx: Transaction, ctx: Context, invoice: dict[str, Any], redemption_id: str,
              now: str) -> None:
    """Store the invoice without the redemption's discount, its amounts recomputed (an issued
    invoice keeps its other discounts as billed)."""
    invoice["discounts"] = [entry for entry in invoice.get("discounts") or ()
                            if entry.get("redemptionId") != redemption_id]
    if invoice["status"] == "draft":  # the others may now take more of what is left
        apply_discounts(tx, ctx, invoice)
    paid = sum((decimal_of(entry["amount"]) for entry in invoice.get("allocations") or ()),
               Decimal(0))
    invoice.update(totals(invoice, paid))
    invoice.update(revision=invoice.get("revision", 0) + 1, updatedTime=now)
    tx.put(ctx.namespace, INVOICES, invoice)
    emit(tx, ctx, "invoice-modified", invoice["id"], {"invoice": invoice})


# -- applying to an invoice -----------------------------------------------------------------

def apply_discounts(tx: Transaction, ctx: Context, invoice: dict[str, Any]) -> None:
    """Set invoice['discounts'] for a draft invoice (or one being issued) whose 'items' are
    already set: one entry {couponId, redemptionId, amount, description, context} per active
    redemption of invoice['customerId'] that applies, in redemption order, each to what is
    left; fires coupon-applied for each redemption newly on this invoice (and
    coupon-application-removed for one no longer on it). Does NOT store the invoice; the caller
    recomputes totals and stores it."""
    before = {entry.get("redemptionId") for entry in invoice.get("discounts") or ()}
    index = tx.read(ctx.namespace, CUSTOMER_REDEMPTIONS, invoice["customerId"])
    subtotal = sum((_signed(item) for item in invoice.get("items") or ()), Decimal(0))
    left = max(subtotal, Decimal(0))
    now = format_time(ctx.clock.now())
    discounts: list[dict[str, Any]] = []
    moved: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for entry in (index or {}).get("redemptions", ()):
        redemption = tx.read(ctx.namespace, REDEMPTIONS, entry["id"])
        coupon = tx.read(ctx.namespace, COUPONS, entry["couponId"])
        if redemption is None or coupon is None or redemption["canceledTime"] is not None:
            continue
        amount = _discount(coupon, redemption, invoice, subtotal, left, now)
        if not amount:  # does not apply, or rounds to nothing
            continue
        left -= amount
        discounts.append({"couponId": coupon["id"], "redemptionId": redemption["id"],
                          "amount": number(amount),
                          "description": coupon.get("description") or f'Coupon "{coupon["id"]}"',
                          "context": coupon["discount"].get("context") or "items"})
        if redemption["id"] not in before:
            moved.append(("coupon-applied", coupon, _mark(tx, ctx, redemption, invoice, True)))
    kept = {entry["redemptionId"] for entry in discounts}
    for redemption_id in sorted(before - kept, key=str):
        redemption = tx.read(ctx.namespace, REDEMPTIONS, redemption_id or "")
        if redemption is not None and redemption["canceledTime"] is None:
            coupon = tx.read(ctx.namespace, COUPONS, redemption["couponId"]) or {
                "id": redemption["couponId"]}
            moved.append(("coupon-application-removed", coupon,
                          _mark(tx, ctx, redemption, invoice, False)))
    invoice["discounts"] = discounts
    if moved:
        customer = _customer(tx, ctx, invoice["customerId"])
        for event_type, coupon, redemption in moved:
            emit(tx, ctx, event_type, coupon["id"],
                 {"coupon": coupon, "redemption": redemption, "customer": customer})


def _mark(tx: Transaction, ctx: Context, redemption: dict[str, Any], invoice: dict[str, Any],
          on: bool) -> dict[str, Any]:
    """Record that the redemption now discounts the invoice (or no longer does)."""
    invoice_ids = [invoice_id for invoice_id in redemption["invoiceIds"]
                   if invoice_id != invoice["id"]]
    if on:
        invoice_ids.append(invoice["id"])
    return tx.update(ctx.namespace, REDEMPTIONS, redemption["id"],
                     {"invoiceIds": invoice_ids}) or redemption


def _discount(coupon: dict[str, Any], redemption: dict[str, Any], invoice: dict[str, Any],
              subtotal: Decimal, left: Decimal, now: str) -> Decimal | None:
    """What the redemption takes off the invoice, or None when it does not apply."""
    discount = coupon["discount"]
    if discount["type"] == "fixed" and discount["currency"] != invoice.get("currency"):
        return None
    if discount.get("context") == "shipping":
        return None  # the sandbox bills no shipping
    lines = list(invoice.get("items") or ())
    for restriction in [*(coupon.get("restrictions") or ()),
                        *(redemption.get("additionalRestrictions") or ())]:
        within = _within(restriction, lines, redemption, invoice, subtotal, now)
        if within is None:
            return None
        lines = within
    base = min(max(sum((_signed(item) for item in lines), Decimal(0)), Decimal(0)), left)
    if base <= 0:
        return None
    if discount["type"] == "percent":
        return cents(base * decimal_of(discount["value"]) / 100)
    return min(decimal_of(discount["amount"]), base)


def _within(restriction: dict[str, Any], lines: list[dict[str, Any]],
            redemption: dict[str, Any], invoice: dict[str, Any], subtotal: Decimal,
            now: str) -> list[dict[str, Any]] | None:
    """The lines a restriction lets the discount reach, or None when it refuses the invoice."""
    kind = restriction["type"]
    if kind in ("minimum-order-amount", "maximum-order-amount"):
        if restriction["currency"] != invoice.get("currency"):
            return None
        limit = decimal_of(restriction["amount"])
        below = subtotal < limit if kind == "minimum-order-amount" else subtotal > limit
        return None if below else lines
    if kind == "paid-by-time":
        return None if now > restriction["time"] else lines
    if kind == "restrict-to-invoices":
        return lines if invoice.get("id") in restriction["invoiceIds"] else None
    if kind == "restrict-to-subscriptions":
        return lines if invoice.get("subscriptionId") in restriction["subscriptionIds"] else None
    if kind == "discounts-per-redemption":
        earlier = [one for one in redemption["invoiceIds"] if one != invoice.get("id")]
        return lines if len(earlier) < restriction["quantity"] else None
    if kind in ("restrict-to-plans", "restrict-to-products"):
        member, ids = (("planId", restriction["planIds"]) if kind == "restrict-to-plans"
                       else ("productId", restriction["productIds"]))
        chosen = [item for item in lines if item.get(member) in ids]
        quantity = sum(item.get("quantity") or 0 for item in chosen)
        return chosen if chosen and quantity >= restriction.get("minimumQuantity", 1) else None
    return lines  # checked at redemption


def _signed(item: dict[str, Any]) -> Decimal:
    price = decimal_of(item["price"])
    return -price if item.get("type") == "credit" else price
