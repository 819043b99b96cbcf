"""Transaction business rules: create (sale, authorize, setup, capture), refund and void, the
offsite step's end, customFields, reads.

Pure Python: no Flask, no marshmallow. Each operation is one store transaction, so a refusal
part-way stores nothing. Statuses move only through ``transaction_states``. Lookups that could
grow with the namespace are kept constant-cost by two small index tables: a repeat guard keyed by
``requestId``, and each customer's open (approved, uncaptured) authorizations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from .. import gateway
from ..ids import format_time
from ..problems import Conflict, NotFound, ValidationFailed
from ..store import Transaction, copy_document
from . import transaction_states as states
from .approvals import issue_token
from .contacts import build_contact
from .context import Context
from .counters import PAYMENT_TYPES, count_payment, count_refund
from .customers import CUSTOMERS, LEAD_SOURCES, upsert_customer
from .events import emit
from .instruments import (
    PAYMENT_INSTRUMENTS,
    instrument_for_payment,
    instrument_status,
    profile_of,
    record_payment,
)
from .invoice_payments import check_payable, pay_invoices, payment_declined, refund_invoices
from .listing import Page, list_documents
from .paging import ListQuery

__all__ = ("TRANSACTIONS", "REQUEST_IDS", "OPEN_AUTHORIZATIONS", "REPEAT_WINDOW", "GATEWAY_NAME",
           "TransactionRelations", "create_transaction", "charge_saved_instrument",
           "refund_transaction", "finish_offsite",
           "update_custom_fields", "query_transaction", "get_transaction", "list_transactions")

TRANSACTIONS = "transactions"
#: requestId -> the transaction it made, for the 24-hour repeat guard.
REQUEST_IDS = "transaction-request-ids"
#: customerId -> ids of its approved authorizations no sale has captured or refund voided yet.
OPEN_AUTHORIZATIONS = "open-authorizations"
REPEAT_WINDOW = timedelta(hours=24)
GATEWAY_NAME = "TestProcessor"


@dataclass(frozen=True)
class TransactionRelations:
    """What a transaction's answer shows beside it: the documents ``expand`` asked for."""

    parent: dict[str, Any] | None = None
    customer: dict[str, Any] | None = None
    customer_has_lead_source: bool = False
    expand: tuple[str, ...] = ()


# -- create ---------------------------------------------------------------------------------------

def create_transaction(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Run a sale, authorize or setup from validated ``data``; return the stored transaction.

    A sale that meets an open approved authorization of the same customer, instrument and
    currency for at least its amount captures it and is stored as a ``capture``. A sale naming
    ``invoiceIds`` pays them once approved (``invoice_payments``).

    :raises Conflict: when ``requestId`` made a transaction less than 24 hours ago.
    :raises ValidationFailed: for an unknown customer, a missing or unusable instrument, or
        invoices this payment cannot pay.
    """
    with ctx.store.transaction() as tx:
        now = ctx.clock.now()
        _guard_repeat(tx, ctx, data.get("requestId"), now)
        customer = _customer_for(tx, ctx, data)
        check_payable(tx, ctx, data, customer["id"])
        billing = build_contact(data.get("billingAddress"))
        instrument, profile = instrument_for_payment(
            tx, ctx, data.get("paymentInstruction"), customer, billing)
        authorization = (_open_authorization(tx, ctx, customer["id"], instrument["id"],
                                             data["currency"], data["amount"])
                         if data["type"] == "sale" else None)
        kind = "capture" if authorization else data["type"]
        decision = gateway.decide(profile, kind)
        return _record(tx, ctx, data, kind, decision, customer, instrument, billing, now,
                       authorization)


def charge_saved_instrument(ctx: Context, data: dict[str, Any], instrument_id: str,
                            decline: bool = False) -> dict[str, Any]:
    """An order's ``sale`` (autopay; merchant-initiated unless ``data`` says otherwise) on a
    stored instrument of ``data['customerId']``.

    Unlike ``create_transaction``, an instrument the clock has taken past its expiry is still
    charged: the gateway declines it with the expiry code (54), as a renewal on an expired card
    declines at Rebilly; with ``decline`` (a fault rule) any card declines ("Do not honor"). A
    deactivated or unknown instrument is refused.

    :raises ValidationFailed: for an unknown customer or an unusable instrument.
    """
    with ctx.store.transaction() as tx:
        now = ctx.clock.now()
        customer = _customer_for(tx, ctx, data)
        check_payable(tx, ctx, {**data, "type": "sale"}, customer["id"])
        instrument = tx.read(ctx.namespace, PAYMENT_INSTRUMENTS, instrument_id)
        status = instrument_status(instrument, now) if instrument else "deactivated"
        if instrument is None or instrument["customerId"] != customer["id"] \
                or status == "deactivated":
            raise ValidationFailed([{"field": "paymentInstruction.paymentInstrumentId",
                                     "message": "No usable payment instrument with this id "
                                                "belongs to the customer."}])
        profile = profile_of(tx, ctx, instrument_id)
        if status == "expired":
            profile = {**profile, "expiryFailed": True}
        if decline:
            profile = {**profile, "outcome": "declined"}
        decision = gateway.decide(profile, "sale")
        return _record(tx, ctx, {"isMerchantInitiated": True, **data, "type": "sale"}, "sale",
                       decision, customer, instrument, None, now, None)


def _record(tx: Transaction, ctx: Context, data: dict[str, Any], kind: str,
            decision: dict[str, Any], customer: dict[str, Any], instrument: dict[str, Any],
            billing: dict[str, Any] | None, now: datetime,
            authorization: dict[str, Any] | None) -> dict[str, Any]:
    """Store the transaction the gateway decided and what it moves; return it."""
    transaction = _new_transaction(ctx, data, kind, decision, customer, instrument, billing,
                                   format_time(now))
    if authorization is not None:
        transaction["parentTransactionId"] = authorization["id"]
        _capture(tx, ctx, authorization, transaction)
    if transaction["status"] == "waiting-approval":
        issue_token(tx, ctx, transaction)
    tx.insert(ctx.namespace, TRANSACTIONS, transaction)
    _settle(tx, ctx, transaction)
    if data.get("requestId"):
        tx.put(ctx.namespace, REQUEST_IDS, {"id": data["requestId"],
                                            "transactionId": transaction["id"],
                                            "createdTime": transaction["createdTime"]})
    return transaction


def _guard_repeat(tx: Transaction, ctx: Context, request_id: str | None,
                  now: datetime) -> None:
    if not request_id:
        return
    seen = tx.get(ctx.namespace, REQUEST_IDS, request_id)
    if seen is None or now - datetime.fromisoformat(seen["createdTime"]) >= REPEAT_WINDOW:
        return
    original = seen["transactionId"]
    raise Conflict(f"requestId {request_id} already made transaction {original} in the last 24 "
                   f"hours; read it with GET /transactions/{original}.",
                   transactionId=original)


def _customer_for(tx: Transaction, ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The paying customer, to read (the stored document itself: never change it)."""
    customer = tx.read(ctx.namespace, CUSTOMERS, data["customerId"])
    if customer is not None:
        return customer
    if not data.get("upsertCustomer"):
        raise ValidationFailed([{"field": "customerId",
                                 "message": "No customer with this id exists (send "
                                            "upsertCustomer: true to create it)."}])
    customer, _ = upsert_customer(ctx, data["customerId"], {
        "websiteId": data["websiteId"], "primaryAddress": data.get("billingAddress")})
    return customer


def _open_authorization(tx: Transaction, ctx: Context, customer_id: str, instrument_id: str,
                        currency: str, amount: float) -> dict[str, Any] | None:
    """The oldest open authorization this sale can capture, if any."""
    index = tx.get(ctx.namespace, OPEN_AUTHORIZATIONS, customer_id)
    for transaction_id in (index or {}).get("transactionIds", []):
        candidate = tx.get(ctx.namespace, TRANSACTIONS, transaction_id)
        if (candidate is not None and candidate["currency"] == currency
                and candidate["amount"] >= amount
                and candidate["paymentInstrument"].get("paymentInstrumentId") == instrument_id
                and states.can_move(candidate, "capture")):
            return candidate
    return None


def _new_transaction(ctx: Context, data: dict[str, Any], kind: str, decision: dict[str, Any],
                     customer: dict[str, Any], instrument: dict[str, Any],
                     billing: dict[str, Any] | None, now: str) -> dict[str, Any]:
    if decision["status"] not in states.INITIAL:
        raise ValueError(f"the gateway gave an unknown status {decision['status']!r}")
    waiting = decision["status"] == "waiting-approval"
    transaction: dict[str, Any] = {
        "id": ctx.ids.new("txn"),
        "type": kind,
        "status": decision["status"],
        "result": decision["result"],
        "amount": data["amount"],
        "currency": data["currency"],
        "purchaseAmount": data["amount"],
        "purchaseCurrency": data["currency"],
        "requestAmount": data["amount"],
        "requestCurrency": data["currency"],
        "customerId": customer["id"],
        "websiteId": data["websiteId"],
        "organizationId": ctx.organization_id,
        "paymentInstrument": {"method": instrument["method"],
                              "paymentInstrumentId": instrument["id"]},
        "gateway": decision["gateway"],
        "gatewayName": GATEWAY_NAME,
        "gatewayAccountId": None,
        "childTransactions": [],
        "invoiceIds": list(data.get("invoiceIds") or []),
        "customFields": data.get("customFields") or {},
        "riskMetadata": data.get("riskMetadata"),
        "redirectUrl": data.get("redirectUrl"),
        "notificationUrl": data.get("notificationUrl"),
        "isProcessedOutside": data["isProcessedOutside"],
        "isMerchantInitiated": data["isMerchantInitiated"],
        "has3ds": waiting,
        "hasAmountAdjustment": False,
        "isRebill": data.get("isRebill", False),
        "rebillNumber": data.get("rebillNumber", 0),
        "retryNumber": data.get("retryNumber", 0),
        "isRetry": data.get("retryNumber", 0) > 0,
        "bin": instrument.get("bin"),
        "createdTime": now,
        "updatedTime": now,
        "revision": 1,
    }
    if waiting:
        transaction["3ds"] = {"version": "2.2.0", "enrolled": "yes", "flow": "challenge"}
    else:
        transaction["processedTime"] = now
    address = billing or instrument.get("billingAddress") or customer.get("primaryAddress")
    if address:
        transaction["billingAddress"] = address
    for member in ("requestId", "description"):  # not nullable in Rebilly's answer: left out
        if data.get(member) is not None:
            transaction[member] = data[member]
    return transaction


def _capture(tx: Transaction, ctx: Context, authorization: dict[str, Any],
             capture: dict[str, Any]) -> None:
    """The authorization stays completed, gains the capture as a child and is no longer open."""
    states.move(authorization, "capture")
    _add_child(authorization, capture)
    tx.put(ctx.namespace, TRANSACTIONS, authorization)
    _close_authorization(tx, ctx, authorization)


def _settle(tx: Transaction, ctx: Context, transaction: dict[str, Any]) -> None:
    """What an approved payment moves: the instrument, the customer counters, open authorizations.

    A declined transaction tells the instrument too (it stays inactive); a waiting one moves
    nothing until its offsite step ends.
    """
    if transaction["status"] == "waiting-approval":
        return
    approved = transaction["result"] == "approved"
    payment = approved and transaction["type"] in PAYMENT_TYPES
    at = transaction.get("processedTime") or transaction["updatedTime"]
    record_payment(tx, ctx, transaction["paymentInstrument"]["paymentInstrumentId"],
                   approved=approved, payment=payment, at=at)
    if payment:
        count_payment(tx, ctx, transaction["customerId"], transaction["amount"], at)
    if approved and transaction["type"] == "authorize":
        index = tx.get(ctx.namespace, OPEN_AUTHORIZATIONS, transaction["customerId"]) or {
            "id": transaction["customerId"], "transactionIds": []}
        index["transactionIds"].append(transaction["id"])
        tx.put(ctx.namespace, OPEN_AUTHORIZATIONS, index)
    _announce_result(tx, ctx, transaction)
    if payment:
        pay_invoices(tx, ctx, transaction)
    elif transaction["result"] == "declined":
        payment_declined(tx, ctx, transaction)


def _announce_result(tx: Transaction, ctx: Context, transaction: dict[str, Any]) -> None:
    """``transaction-processed`` for a final result (approved or declined), then
    ``transaction-declined`` too for a decline."""
    if transaction["result"] not in ("approved", "declined"):
        return
    embedded = {"transaction": transaction}
    emit(tx, ctx, "transaction-processed", transaction["id"], embedded)
    if transaction["result"] == "declined":
        emit(tx, ctx, "transaction-declined", transaction["id"], embedded)


#: The event a refund or void announces, by the move it made on its parent.
_CHILD_EVENTS = {"void": "transaction-voided", "refund-all": "transaction-refunded",
                 "refund-part": "transaction-partially-refunded"}


def _close_authorization(tx: Transaction, ctx: Context, authorization: dict[str, Any]) -> None:
    index = tx.get(ctx.namespace, OPEN_AUTHORIZATIONS, authorization["customerId"])
    if index is None or authorization["id"] not in index["transactionIds"]:
        return
    index["transactionIds"].remove(authorization["id"])
    if index["transactionIds"]:
        tx.put(ctx.namespace, OPEN_AUTHORIZATIONS, index)
    else:
        tx.delete(ctx.namespace, OPEN_AUTHORIZATIONS, index["id"])


def _add_child(parent: dict[str, Any], child: dict[str, Any]) -> None:
    parent["childTransactions"] = [*parent.get("childTransactions", []), child["id"]]
    parent["revision"] += 1
    parent["updatedTime"] = child["createdTime"]


# -- refund and void ------------------------------------------------------------------------------

def refund_transaction(ctx: Context, transaction_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Refund ``data['amount']`` of an approved sale or capture, or void an open authorization
    (for its whole amount); return the child transaction.

    :raises NotFound: when the parent does not exist.
    :raises ValidationFailed: on ``amount`` when the parent cannot give back that amount.
    """
    with ctx.store.transaction() as tx:
        parent = tx.get(ctx.namespace, TRANSACTIONS, transaction_id)
        if parent is None:
            raise NotFound(f"Transaction {transaction_id} was not found.")
        amount = data["amount"]
        now = format_time(ctx.clock.now())
        if parent["type"] == "authorize":
            kind, event = "void", _void_event(parent, amount)
        else:
            kind, event = "refund", _refund_event(tx, ctx, parent, amount)
        child = _child(ctx, parent, kind, amount, data, now)
        states.move(parent, event)
        _add_child(parent, child)
        tx.insert(ctx.namespace, TRANSACTIONS, child)
        tx.put(ctx.namespace, TRANSACTIONS, parent)
        if kind == "void":
            _close_authorization(tx, ctx, parent)
        else:
            count_refund(tx, ctx, parent["customerId"], amount)
        emit(tx, ctx, _CHILD_EVENTS[event], parent["id"],
             {"transaction": parent, "childTransaction": child})
        if kind == "refund":
            refund_invoices(tx, ctx, parent, amount)
        return child


def _refuse_amount(message: str) -> ValidationFailed:
    return ValidationFailed([{"field": "amount", "message": message}])


def _void_event(parent: dict[str, Any], amount: float) -> str:
    if parent["result"] != "approved" or not states.can_move(parent, "void") or any(
            True for _ in parent.get("childTransactions", [])):
        raise _refuse_amount(f"Only an approved authorization that no sale captured can be "
                             f"voided; this one is {parent['status']} with result "
                             f"{parent['result']}.")
    if amount != parent["amount"]:
        raise _refuse_amount(f"A void releases the whole authorization: send amount "
                             f"{parent['amount']}.")
    return "void"


def _refund_event(tx: Transaction, ctx: Context, parent: dict[str, Any], amount: float) -> str:
    if parent["type"] not in PAYMENT_TYPES:
        raise _refuse_amount(f"A {parent['type']} transaction cannot be refunded; only a sale "
                             f"or a capture can.")
    if parent["result"] != "approved" or not states.can_move(parent, "refund-part"):
        raise _refuse_amount(f"Only an approved, completed payment with money left on it can be "
                             f"refunded; this one is {parent['status']} with result "
                             f"{parent['result']}.")
    refunded = sum((_exact(child["amount"]) for child_id in parent.get("childTransactions", [])
                    if (child := tx.get(ctx.namespace, TRANSACTIONS, child_id)) is not None
                    and child["type"] == "refund" and child["result"] == "approved"),
                   Decimal(0))
    remaining = _exact(parent["amount"]) - refunded
    if _exact(amount) > remaining:
        raise _refuse_amount(f"At most {remaining:f} {parent['currency']} is left to refund.")
    return "refund-all" if _exact(amount) == remaining else "refund-part"


def _exact(amount: float) -> Decimal:
    """An amount as the decimal number the client wrote: a float's shortest text is that number,
    so refunds add up exactly (0.1 + 0.2 is 0.3, 847.44 + 135229879020.85 is 135229879868.29)
    at every size up to ``MAX_AMOUNT``, where binary sums are off by more than a cent's fraction."""
    return Decimal(repr(amount))


def _child(ctx: Context, parent: dict[str, Any], kind: str, amount: float,
           data: dict[str, Any], now: str) -> dict[str, Any]:
    child = {
        **{key: copy_document(parent[key]) for key in (
            "currency", "customerId", "websiteId", "organizationId", "paymentInstrument",
            "gatewayName", "gatewayAccountId", "bin", "isMerchantInitiated")},
        "id": ctx.ids.new("txn"),
        "type": kind,
        "status": "completed",
        "result": "approved",
        "amount": amount,
        "purchaseAmount": amount,
        "purchaseCurrency": parent["currency"],
        "requestAmount": amount,
        "requestCurrency": parent["currency"],
        "gateway": gateway.offsite_outcome("approved"),
        "parentTransactionId": parent["id"],
        "childTransactions": [],
        "invoiceIds": [],
        "customFields": {},
        "riskMetadata": None,
        "redirectUrl": None,
        "notificationUrl": None,
        "isProcessedOutside": data.get("isProcessedOutside", False),
        "has3ds": False,
        "hasAmountAdjustment": False,
        "isRebill": False,
        "rebillNumber": 0,
        "retryNumber": 0,
        "isRetry": False,
        "processedTime": now,
        "createdTime": now,
        "updatedTime": now,
        "revision": 1,
    }
    if parent.get("billingAddress"):
        child["billingAddress"] = copy_document(parent["billingAddress"])
    if data.get("description") is not None:
        child["description"] = data["description"]
    return child


# -- the offsite step, customFields ---------------------------------------------------------------

def finish_offsite(ctx: Context, transaction_id: str, result: str, *,
                   amount: float | None = None, currency: str | None = None) -> dict[str, Any]:
    """End a waiting-approval transaction's offsite step with ``result``; return it.

    ``POST /transactions/{id}/update`` and the sandbox's approval page both come here. An
    approval moves the instrument, the customer counters and open authorizations like an
    approved payment; ``amount``/``currency`` replace what is charged (an amount adjustment).

    :raises NotFound: when the transaction does not exist.
    :raises Conflict: when it is not waiting for an offsite step.
    """
    with ctx.store.transaction() as tx:
        transaction = tx.get(ctx.namespace, TRANSACTIONS, transaction_id)
        if transaction is None:
            raise NotFound(f"Transaction {transaction_id} was not found.")
        states.move(transaction, "finish")
        now = format_time(ctx.clock.now())
        transaction["result"] = result
        transaction["gateway"] = gateway.offsite_outcome(result)
        transaction["3ds"] = {**transaction.get("3ds", {}), **_authentication(result)}
        if amount is not None or currency is not None:
            transaction["amount"] = transaction["purchaseAmount"] = (
                amount if amount is not None else transaction["amount"])
            transaction["currency"] = transaction["purchaseCurrency"] = (
                currency or transaction["currency"])
            transaction["hasAmountAdjustment"] = (
                (transaction["amount"], transaction["currency"])
                != (transaction["requestAmount"], transaction["requestCurrency"]))
        transaction["processedTime"] = transaction["updatedTime"] = now
        transaction["revision"] += 1
        tx.put(ctx.namespace, TRANSACTIONS, transaction)
        _settle(tx, ctx, transaction)
        emit(tx, ctx, "offsite-payment-completed", transaction["id"],
             {"transaction": transaction})
        return transaction


def _authentication(result: str) -> dict[str, str]:
    if result == "approved":
        return {"authenticated": "yes", "liability": "protected"}
    return {"authenticated": "no", "liability": "not protected"}


def update_custom_fields(ctx: Context, transaction_id: str,
                         custom_fields: dict[str, Any] | None) -> dict[str, Any]:
    """Replace a transaction's customFields (when sent); return it with a bumped revision.

    :raises NotFound: when the transaction does not exist.
    """
    with ctx.store.transaction() as tx:
        transaction = tx.get(ctx.namespace, TRANSACTIONS, transaction_id)
        if transaction is None:
            raise NotFound(f"Transaction {transaction_id} was not found.")
        if custom_fields is not None:
            transaction["customFields"] = custom_fields
            transaction["revision"] += 1
            transaction["updatedTime"] = format_time(ctx.clock.now())
            tx.put(ctx.namespace, TRANSACTIONS, transaction)
        return transaction


# -- reads ----------------------------------------------------------------------------------------

def query_transaction(ctx: Context, transaction_id: str) -> dict[str, Any]:
    """What the gateway says of a transaction now: ``TransactionQuery``.

    :raises NotFound: when the transaction does not exist.
    """
    transaction = ctx.store.get(ctx.namespace, TRANSACTIONS, transaction_id)
    if transaction is None:
        raise NotFound(f"Transaction {transaction_id} was not found.")
    return {key: transaction[key] for key in ("result", "status", "amount", "currency")} | {
        "transactionId": transaction["id"]}


def get_transaction(ctx: Context, transaction_id: str,
                    expand: tuple[str, ...] = ()) -> tuple[dict[str, Any], TransactionRelations]:
    """One transaction and what ``expand`` embeds beside it, read together.

    :raises NotFound: when the transaction does not exist.
    """
    with ctx.store.transaction() as tx:
        transaction = tx.get(ctx.namespace, TRANSACTIONS, transaction_id)
        if transaction is None:
            raise NotFound(f"Transaction {transaction_id} was not found.")
        return transaction, transaction_relations(tx, ctx.namespace, transaction, expand)


def for_display(ctx: Context, transaction: dict[str, Any],
                expand: tuple[str, ...]) -> TransactionRelations:
    """What a transaction just written shows beside it."""
    with ctx.store.transaction() as tx:
        return transaction_relations(tx, ctx.namespace, transaction, expand)


def transaction_relations(tx: Transaction, namespace: str, transaction: dict[str, Any],
                          expand: tuple[str, ...]) -> TransactionRelations:
    if not expand:
        return TransactionRelations()
    parent = customer = None
    has_lead_source = False
    if "parentTransaction" in expand and transaction.get("parentTransactionId"):
        parent = tx.get(namespace, TRANSACTIONS, transaction["parentTransactionId"])
    if "customer" in expand:
        customer = tx.get(namespace, CUSTOMERS, transaction["customerId"])
        has_lead_source = customer is not None and tx.exists(namespace, LEAD_SOURCES,
                                                             customer["id"])
    return TransactionRelations(parent, customer, has_lead_source, expand)


def list_transactions(ctx: Context, query: ListQuery) -> Page[TransactionRelations]:
    """A page of a namespace's transactions, each with what ``expand`` asked for."""
    return list_documents(ctx.store, ctx.namespace, query, transaction_relations)
