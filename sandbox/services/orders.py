"""Orders (Rebilly's ``/subscriptions``): subscription orders and one-time orders.

Pure Python: no Flask, no marshmallow. Creating an order (``POST``, or ``PUT`` of a new id), in
one store transaction:

1. its items' plans are resolved: ``{id}`` names a stored, active plan; a whole plan is this
   order's own copy (``isModified``). All share one currency (the order's); a subscription
   order needs a subscription or trial-only plan and its subscription plans one period; a
   one-time order takes one-time-sale plans only;
2. the order is stored ``pending`` (``subscription-created``) with its trial decided (the
   order's ``trial``, else its plan's, counted from the start);
3. its initial invoice is opened (``services.order_invoices``) with the coupons of
   ``couponIds`` redeemed for the customer, restricted to this order, and applied;
4. with ``autopay`` (subscription orders) or always (one-time orders), an invoice with
   something due is charged at once with the instrument ``services.autopay`` picks
   (``paymentInstrumentId``, else the customer's default), through the gateway every
   transaction uses: approved, the invoice is paid and the
   order activates (``services.order_billing``); declined, both stay as they are (the order
   ``pending`` until paid or abandoned); a 3-D Secure card leaves the payment waiting, and the
   order links to the approval page (``approvalUrl``).

An invoice with nothing due is paid at issue, so a free trial activates at once.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ..ids import format_time
from ..problems import Conflict, NotFound, ValidationFailed
from ..store import Transaction, copy_document
from .approvals import TOKEN_MEMBER
from .autopay import charge
from .context import Context
from .discounts import apply_discounts, cancel_redemption, redeem
from .documents import check_id, read
from .events import emit
from .instruments import usable_instrument
from .invoice_amounts import totals
from .invoices import void_invoice
from .listing import Page, list_documents
from .order_billing import activation_events, monthly_revenue, order_interval
from .order_invoices import (
    initial_lines,
    issue_renewal_invoice,
    item_price,
    next_period,
    open_invoice,
    plan_kind,
    renewal_invoice_id,
    renews,
    upcoming,
)
from .order_state import ONE_TIME_ORDER, SUBSCRIPTION_ORDER, editable_order, save_order
from .paging import ListQuery
from .periods import period_end
from .proration import change_lines, queued_subtotal
from .tables import CUSTOMERS, INVOICES, ORDERS, PLANS, PRODUCTS, REDEMPTIONS

__all__ = ("ORDER_WRITABLE", "create_order", "upsert_order", "get_order", "list_orders",
           "delete_order", "void_order", "change_items", "upcoming_invoice",
           "issue_upcoming_invoice")

#: The writable members a stored order keeps, each with its value when a body leaves it out;
#: a one-time order keeps those not in ``RECURRING``.
ORDER_WRITABLE: dict[str, Any] = {
    "orderType": None, "customerId": None, "websiteId": None, "items": None, "trial": None,
    "isTrialOnly": False, "startTime": None, "renewalTime": None, "autopay": True,
    "paymentInstrumentId": None, "recurringInterval": None, "invoiceTimeShift": None,
    "billingAddress": None, "deliveryAddress": None, "abandonTime": None,
    "delinquencyPeriod": None, "poNumber": None, "notes": None, "shipping": None,
    "riskMetadata": None, "customFields": {},
}
RECURRING = ("trial", "isTrialOnly", "startTime", "renewalTime", "autopay",
             "paymentInstrumentId", "recurringInterval", "invoiceTimeShift",
             "delinquencyPeriod")
#: What a subscription order starts with beside its writable members.
_SUBSCRIPTION_OWNED: dict[str, Any] = {
    "status": "pending", "billingStatus": None, "inTrial": False, "trialConversionTime": None,
    "currentPeriodStart": None, "currentPeriodEnd": None, "rebillNumber": None,
    "churnTime": None, "activationTime": None, "voidTime": None, "canceledTime": None,
    "canceledBy": None, "cancelCategory": None, "cancelDescription": None,
    "initialInvoiceId": None, "recentInvoiceId": None, "renewalReminderTime": None,
    "renewalReminderNumber": 0, "abandonReminderTime": None, "abandonReminderNumber": 0,
    "mrr": 0, "lineItems": [], "lineItemSubtotal": 0,
}
_ONE_TIME_OWNED = ("status", "billingStatus", "activationTime", "voidTime", "initialInvoiceId",
                   "recentInvoiceId")
#: Members ``PUT`` cannot change once an order exists.
_FIXED = ("orderType", "websiteId", "customerId")


def create_order(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Store a new order (``sub_`` or ``ots_`` id) with its initial invoice; see the module."""
    prefix = "sub" if data["orderType"] == SUBSCRIPTION_ORDER else "ots"
    with ctx.store.transaction() as tx:
        return _create(tx, ctx, ctx.ids.new(prefix), data)


def upsert_order(ctx: Context, order_id: str, data: dict[str, Any]) -> tuple[dict, bool]:
    """Create the order with this id, or replace the writable members of an existing one;
    (order, created).

    :raises ValidationFailed: for a malformed id, a change of ``orderType``, ``customerId`` or
        ``websiteId``, or of the items of an order that is no longer pending (change-items
        does that).
    """
    check_id(order_id)
    with ctx.store.transaction() as tx:
        existing = tx.read(ctx.namespace, ORDERS, order_id)
        if existing is None:
            return _create(tx, ctx, order_id, data), True
        return _replace(tx, ctx, copy_document(existing), data), False


def get_order(ctx: Context, order_id: str) -> dict[str, Any]:
    """:raises NotFound: when the namespace has no such order."""
    with ctx.store.transaction() as tx:
        return read(tx, ctx, ORDERS, order_id, "subscription")


def list_orders(ctx: Context, query: ListQuery) -> Page:
    return list_documents(ctx.store, ctx.namespace, query)


def delete_order(ctx: Context, order_id: str) -> None:
    """Delete a pending order and its unpaid initial invoice.

    :raises Conflict: when the order is not pending.
    """
    with ctx.store.transaction() as tx:
        order = editable_order(tx, ctx, order_id)
        _require_pending(order, "deleted")
        invoice = tx.read(ctx.namespace, INVOICES, order["initialInvoiceId"] or "")
        if invoice is not None and invoice["status"] in ("draft", "unpaid"):
            tx.delete(ctx.namespace, INVOICES, invoice["id"])
        tx.delete(ctx.namespace, ORDERS, order_id)


def void_order(ctx: Context, order_id: str) -> dict[str, Any]:
    """A pending order is voided (a one-time order ``canceled``), its unpaid initial invoice
    with it (``invoice-voided``).

    :raises Conflict: when the order is not pending.
    """
    with ctx.store.transaction() as tx:
        order = editable_order(tx, ctx, order_id)
        _require_pending(order, "voided")
        invoice = tx.read(ctx.namespace, INVOICES, order["initialInvoiceId"] or "")
        if invoice is not None and invoice["status"] in ("draft", "unpaid", "past-due"):
            order["billingStatus"] = void_invoice(ctx, invoice["id"])["status"]
        order.pop(TOKEN_MEMBER, None)
        order.update(status="canceled" if order["orderType"] == ONE_TIME_ORDER else "voided",
                     voidTime=format_time(ctx.clock.now()))
        save_order(tx, ctx, order, "subscription-modified")
        return order


def change_items(ctx: Context, order_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Replace an active order's items (the complete new set).

    ``resetToRecurring`` ends a trial and starts a new period at ``effectiveTime``;
    ``retainRecurring`` keeps the period. What the change bills (``services.proration``) waits
    on the order (``lineItems``) for its next renewal invoice. Fires
    ``subscription-items-changed``, then ``subscription-upgraded`` or ``-downgraded`` when the
    price per period moved.

    :raises ValidationFailed: when the order is not a subscription order that is active or in
        trial, or the new items break an order rule.
    """
    with ctx.store.transaction() as tx:
        order = editable_order(tx, ctx, order_id)
        if order["orderType"] != SUBSCRIPTION_ORDER or order["status"] not in ("active",
                                                                                "paused"):
            raise ValidationFailed([{"field": "id", "message": "Only an active subscription "
                                     f"order changes items; this one is {order['status']}."}])
        policy = data["renewalPolicy"]
        if policy == "retainTrialThenRecurring" and not order.get("inTrial"):
            raise ValidationFailed([{"field": "renewalPolicy",
                                     "message": "The order has no trial to retain."}])
        if policy == "retainTrialOnly" and not order.get("isTrialOnly"):
            raise ValidationFailed([{"field": "renewalPolicy",
                                     "message": "The order is not trial-only."}])
        before = _period_price(order)
        items, currency = _resolve_items(tx, ctx, data["items"], order["orderType"])
        if currency != order["currency"]:
            raise ValidationFailed([{"field": "items", "message": f"The order is billed in "
                                     f"{order['currency']}; the plans are in {currency}."}])
        order["items"] = items
        _index_plans(order)
        after = _period_price(order)
        effective = data.get("effectiveTime") or format_time(ctx.clock.now())
        restart = policy in ("resetToRecurring", "reset")
        queued = [*order.get("lineItems", []), *change_lines(
            ctx, order, before, after, datetime.fromisoformat(effective),
            prorated=data["prorated"], restart=restart)]
        order.update(lineItems=queued, lineItemSubtotal=queued_subtotal(queued))
        if restart:
            _restart_period(order, effective)
        elif policy == "retainRecurring":
            order["inTrial"] = False
        order["mrr"] = monthly_revenue(order)
        if data.get("preview"):
            return order
        events = ["subscription-items-changed"]
        if after != before:
            events.append("subscription-upgraded" if after > before else "subscription-downgraded")
        save_order(tx, ctx, order, *events)
        return order


def upcoming_invoice(ctx: Context, order_id: str) -> dict[str, Any]:
    """What the order's next renewal will bill, not stored: its period's lines and amounts.

    :raises NotFound: when there is no such order, or it has no renewal ahead (a one-time or
        trial-only order, or one that is not active or paused: a canceled one churns instead).
    """
    with ctx.store.transaction() as tx:
        order = read(tx, ctx, ORDERS, order_id, "subscription")
        if not renews(order):
            raise NotFound(f"Subscription {order_id} has no upcoming invoice: it does not "
                           "renew.")
        return upcoming(ctx, order)


def issue_upcoming_invoice(ctx: Context, order_id: str) -> dict[str, Any]:
    """Issue the next period's renewal invoice now, so it can be paid ahead of time
    (``renewal-invoice-issued``); the renewal itself stays at ``renewalTime``, and bills
    nothing more then (autopay charges what is still due). Returns the invoice.

    :raises NotFound: when there is no such order.
    :raises Conflict: when the order has no renewal ahead, or that invoice is issued already.
    """
    with ctx.store.transaction() as tx:
        order = editable_order(tx, ctx, order_id)
        if not renews(order):
            raise Conflict(f"Subscription {order_id} is {order['status']} and has no renewal "
                           "ahead to invoice.")
        start, end, number, _ = next_period(order)
        if tx.exists(ctx.namespace, INVOICES, renewal_invoice_id(order, number)):
            raise Conflict("The invoice of the next period, "
                           f"{renewal_invoice_id(order, number)}, is issued already.")
        invoice = issue_renewal_invoice(tx, ctx, order, start, end, number)
        save_order(tx, ctx, order)
        return invoice


# -- creating and replacing -------------------------------------------------------------------

def _create(tx: Transaction, ctx: Context, order_id: str, data: dict[str, Any]) -> dict:
    customer = tx.read(ctx.namespace, CUSTOMERS, data["customerId"])
    if customer is None:
        raise ValidationFailed([{"field": "customerId",
                                 "message": f"No customer {data['customerId']} exists."}])
    items, currency = _resolve_items(tx, ctx, data["items"], data["orderType"])
    one_time = data["orderType"] == ONE_TIME_ORDER
    if not one_time and data.get("paymentInstrumentId"):
        usable_instrument(tx, ctx, data["paymentInstrumentId"], customer["id"],
                          "paymentInstrumentId")
    now = ctx.clock.now()
    order = {"id": order_id}
    for name, default in ORDER_WRITABLE.items():
        if one_time and name in RECURRING:
            continue
        value = data.get(name)
        order[name] = copy_document(default) if value is None else value
    owned = ({name: _SUBSCRIPTION_OWNED[name] for name in _ONE_TIME_OWNED} if one_time
             else copy_document(_SUBSCRIPTION_OWNED))
    order.update(owned, items=items, currency=currency, organizationId=ctx.organization_id,
                 revision=0, createdTime=format_time(now), updatedTime=format_time(now))
    _index_plans(order)
    lines = _first_lines(ctx, order, now)
    order["initialInvoiceId"] = order["recentInvoiceId"] = invoice_id = ctx.ids.new("in")
    save_order(tx, ctx, order, "subscription-created")
    for coupon_id in data.get("couponIds") or ():
        _redeem_for(tx, ctx, order, coupon_id)
    invoice = open_invoice(tx, ctx, order, "one-time-sale" if one_time else "initial", lines,
                           invoice_id)
    order["billingStatus"] = invoice["status"]
    events = activation_events(order, now) if invoice["status"] == "paid" else []
    save_order(tx, ctx, order, *events)
    if invoice["status"] == "unpaid" and (one_time or order["autopay"]):
        _charge(tx, ctx, order, invoice)
    return tx.read(ctx.namespace, ORDERS, order_id)


def _replace(tx: Transaction, ctx: Context, order: dict[str, Any],
             data: dict[str, Any]) -> dict[str, Any]:
    """Replace an order's writable members, keeping what the server owns."""
    changed = [name for name in _FIXED if data.get(name) != order.get(name)]
    if changed:
        raise ValidationFailed([{"field": name, "message": "Cannot change once the order "
                                 "exists."} for name in changed])
    items, _ = _resolve_items(tx, ctx, data["items"], order["orderType"])
    if _plans_of(items) != _plans_of(order["items"]) and order["status"] != "pending":
        raise ValidationFailed([{"field": "items", "message": "The items of an order that is "
                                 "no longer pending change through "
                                 "POST /subscriptions/{id}/change-items."}])
    if order["orderType"] == SUBSCRIPTION_ORDER and data.get("paymentInstrumentId"):
        usable_instrument(tx, ctx, data["paymentInstrumentId"], order["customerId"],
                          "paymentInstrumentId")
    for name, default in ORDER_WRITABLE.items():
        if name != "items" and (name in order or name in data):
            value = data.get(name)
            order[name] = copy_document(default) if value is None else value
    if order["orderType"] == ONE_TIME_ORDER:
        for name in RECURRING:
            order.pop(name, None)
    items_changed = _plans_of(items) != _plans_of(order["items"])
    if items_changed:
        order["items"] = items
    _index_plans(order)
    coupons_changed = (data.get("couponIds") is not None
                       and _replace_coupons(tx, ctx, order, data["couponIds"]))
    save_order(tx, ctx, order, "subscription-modified")
    if order["status"] == "pending" and (items_changed or coupons_changed):
        _reissue(tx, ctx, order)
    return order


def _first_lines(ctx: Context, order: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """The lines of the order's first invoice, its trial decided (``_decide_trial``) on the way."""
    one_time = order["orderType"] == ONE_TIME_ORDER
    start = datetime.fromisoformat(order["startTime"]) if order.get("startTime") else now
    trial_end = None if one_time else _decide_trial(order, start, now)
    interval = None if one_time else order_interval(order)
    end = (trial_end or (period_end(start, interval["unit"], interval["length"])
                         if interval else None))
    return initial_lines(ctx, order, start, trial_end, end)


def _reissue(tx: Transaction, ctx: Context, order: dict[str, Any]) -> None:
    """A pending order whose items or coupons changed bills its new items and discounts on
    its unpaid initial invoice (``invoice-reissued``)."""
    stored = tx.read(ctx.namespace, INVOICES, order.get("initialInvoiceId") or "")
    if stored is None or stored["status"] != "unpaid":
        return
    invoice = copy_document(stored)
    invoice["items"] = _first_lines(ctx, order, ctx.clock.now())
    apply_discounts(tx, ctx, invoice)
    invoice.update(totals(invoice, Decimal(0)))
    invoice.update(revision=invoice["revision"] + 1, updatedTime=format_time(ctx.clock.now()))
    tx.put(ctx.namespace, INVOICES, invoice)
    emit(tx, ctx, "invoice-reissued", invoice["id"], {"invoice": invoice})


def _replace_coupons(tx: Transaction, ctx: Context, order: dict[str, Any],
                     coupon_ids: list[str]) -> bool:
    """``couponIds`` on PUT: redeem the new ones for this order, cancel those left out;
    whether anything changed."""
    held = {redemption["couponId"]: redemption["id"]
            for redemption in (tx.read(ctx.namespace, REDEMPTIONS, redemption_id)
                               for redemption_id in order.get("redemptionIds", []))
            if redemption is not None and redemption.get("canceledTime") is None}
    changed = False
    for coupon_id, redemption_id in held.items():
        if coupon_id not in coupon_ids:
            cancel_redemption(tx, ctx, redemption_id)
            changed = True
    for coupon_id in coupon_ids:
        if coupon_id not in held:
            _redeem_for(tx, ctx, order, coupon_id)
            changed = True
    return changed


def _redeem_for(tx: Transaction, ctx: Context, order: dict[str, Any], coupon_id: str) -> None:
    """Redeem a coupon of ``couponIds`` for the order's customer, restricted to this order."""
    made = redeem(tx, ctx, {"couponId": coupon_id, "customerId": order["customerId"],
                            "additionalRestrictions": [{"type": "restrict-to-subscriptions",
                                                        "subscriptionIds": [order["id"]]}]})
    order["redemptionIds"] = [*order.get("redemptionIds", []), made["id"]]


def _charge(tx: Transaction, ctx: Context, order: dict[str, Any],
            invoice: dict[str, Any]) -> None:
    """Pay the initial invoice at sign-up (customer-initiated); a payment waiting for 3-D
    Secure leaves the order linked to its approval page."""
    transaction = charge(tx, ctx, order, invoice, merchant_initiated=False)
    if transaction is not None and transaction["status"] == "waiting-approval" \
            and transaction.get(TOKEN_MEMBER):
        stored = copy_document(tx.read(ctx.namespace, ORDERS, order["id"]))
        stored[TOKEN_MEMBER] = transaction[TOKEN_MEMBER]
        tx.put(ctx.namespace, ORDERS, stored)


# -- items -------------------------------------------------------------------------------------

def _resolve_items(tx: Transaction, ctx: Context, items: list[dict[str, Any]],
                   order_type: str) -> tuple[list[dict[str, Any]], str]:
    """Each item with its whole plan (stored or inline) and an id; the order's currency.

    :raises ValidationFailed: naming each item that breaks a rule of the module's step 1.
    """
    problems: list[dict[str, str]] = []
    resolved = []
    for index, item in enumerate(items):
        plan, modified = _plan_of(tx, ctx, item["plan"], f"items.{index}.plan", problems)
        if plan is None:
            continue
        kind = plan_kind(plan)
        if order_type == ONE_TIME_ORDER and kind != "one-time-sale":
            problems.append({"field": f"items.{index}.plan", "message": "A one-time order "
                             f"takes one-time-sale plans only; this is a {kind} plan."})
        resolved.append({"id": ctx.ids.new("item"), "plan": plan, "quantity": item["quantity"],
                         "usageLimits": item.get("usageLimits"),
                         "excludeFromMrr": item.get("excludeFromMrr", False),
                         "revision": plan.get("revision", 1), "isModified": modified,
                         "isGrandfathered": False})
    if problems:
        raise ValidationFailed(problems)
    currencies = {item["plan"]["currency"] for item in resolved}
    if len(currencies) > 1:
        shown = ", ".join(sorted(currencies))
        raise ValidationFailed([{"field": "items", "message": "Every plan of an order must be "
                                 f"in one currency; these are in {shown}."}])
    kinds = [plan_kind(item["plan"]) for item in resolved]
    if order_type == SUBSCRIPTION_ORDER and "subscription" not in kinds \
            and "trial-only" not in kinds:
        raise ValidationFailed([{"field": "items", "message": "A subscription order needs a "
                                 "subscription or trial-only plan."}])
    periods = {(item["plan"]["recurringInterval"]["unit"],
                item["plan"]["recurringInterval"]["length"])
               for item in resolved if plan_kind(item["plan"]) == "subscription"}
    if len(periods) > 1:
        raise ValidationFailed([{"field": "items", "message": "The subscription plans of an "
                                 "order must share one period."}])
    for index, item in enumerate(resolved):
        item_price(item, index)
    return resolved, currencies.pop()


def _plan_of(tx: Transaction, ctx: Context, given: dict[str, Any], field: str,
             problems: list[dict[str, str]]) -> tuple[dict[str, Any] | None, bool]:
    """The whole plan an item names, and whether it is the order's own (inline) copy."""
    stored = tx.read(ctx.namespace, PLANS, given["id"])
    if given.get("inline"):
        plan = {name: value for name, value in given.items() if name != "inline"}
        if not tx.exists(ctx.namespace, PRODUCTS, plan["productId"]):
            problems.append({"field": f"{field}.productId",
                             "message": f"No product {plan['productId']} exists."})
            return None, True
        return {"isActive": True, "setup": None, "trial": None, "recurringInterval": None,
                "revision": (stored or {}).get("revision", 1), **plan}, True
    if stored is None:
        problems.append({"field": f"{field}.id", "message": f"No plan {given['id']} exists."})
        return None, False
    if not stored.get("isActive", True):
        problems.append({"field": f"{field}.id", "message": f"Plan {given['id']} is not "
                         "active."})
        return None, False
    plan = {name: value for name, value in stored.items()
            if name not in ("createdTime", "updatedTime")}
    return copy_document(plan), False


def _index_plans(order: dict[str, Any]) -> None:
    """The order's plan and product ids, kept for the ``planId`` and ``productId`` filters."""
    order["planId"] = sorted({item["plan"]["id"] for item in order["items"]})
    order["productId"] = sorted({item["plan"]["productId"] for item in order["items"]
                                 if item["plan"].get("productId")})


def _plans_of(items: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return sorted((item["plan"]["id"], item["quantity"]) for item in items)


def _decide_trial(order: dict[str, Any], start: datetime, now: datetime) -> datetime | None:
    """The trial's end (stored as the order's ``trial``), or None for no trial.

    The order's own ``trial`` wins (an end in the past means now); without one, the first plan
    with a trial gives its length from the start. A trial-only order always has one.
    """
    given = order.get("trial")
    if given is not None:
        if not given["enabled"]:
            return None
        end = max(datetime.fromisoformat(given["endTime"]), now)
    else:
        plan = next((item["plan"] for item in order["items"]
                     if item["plan"].get("trial") is not None), None)
        if plan is None:
            order["trial"] = None
            return None
        period = plan["trial"]["period"]
        end = period_end(start, period["unit"], period["length"])
    order["trial"] = {"enabled": True, "endTime": format_time(end)}
    return end


def _restart_period(order: dict[str, Any], effective: str) -> None:
    """``resetToRecurring``: end any trial and start a new period at ``effective``."""
    interval = order_interval(order)
    start = datetime.fromisoformat(effective)
    order["inTrial"] = False
    if interval is None:
        return
    end = period_end(start, interval["unit"], interval["length"])
    order.update(currentPeriodStart=format_time(start), currentPeriodEnd=format_time(end),
                 renewalTime=format_time(end))


def _period_price(order: dict[str, Any]) -> Decimal:
    return sum((item_price(item, index) for index, item in enumerate(order["items"])
                if plan_kind(item["plan"]) == "subscription"), Decimal(0))


def _require_pending(order: dict[str, Any], action: str) -> None:
    if order["status"] != "pending":
        raise Conflict(f"Order {order['id']} is {order['status']} and cannot be {action}; "
                       "only a pending order can.")
