"""Fixture sets: named JSON files of websites, products, plans, coupons, tags, tokens,
customers, payment instruments, transactions and subscriptions to load into a namespace.

Every record goes through the same validation and business rules as the API (a customer's
``paymentToken`` is redeemed, tags are shared by name, a transaction is decided by the sandbox
gateway from its card, a subscription issues its initial invoice and autopay pays it), inside
one store transaction, so a set with one bad record loads nothing. An id a record names is kept.
Names are looked up among the files of the fixtures folder, never joined into a path, so no name
can reach outside it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from .cards import luhn_valid
from .gateway import APPROVAL_TRIGGER_PAN, APPROVED_CARDS, DECLINED_CARDS
from .ids import Clock, IdGenerator, format_time
from .problems import BadRequest, NotFound, SandboxError, ValidationFailed
from .schemas import CustomerSchema, TokenSchema, load
from .schemas.coupon import CouponSchema
from .schemas.customer import TagSchema
from .schemas.instrument import InstrumentCreateSchema
from .schemas.order import OrderSchema
from .schemas.plan import PlanSchema
from .schemas.product import ProductSchema
from .schemas.transaction import RefundSchema, TransactionSchema, TransactionUpdateSchema
from .schemas.website import FixtureWebsiteSchema
from .services.context import Context
from .services.coupons import COUPON_WRITABLE, upsert_coupon
from .services.customers import CLIENT_ID, CUSTOMERS, LEAD_SOURCES, WEBSITES, upsert_customer
from .services.instruments import (
    PAYMENT_INSTRUMENTS,
    create_instrument,
    deactivate_instrument,
    profile_of,
)
from .services.orders import upsert_order
from .services.plans import PLAN_WRITABLE, PLANS, upsert_plan
from .services.products import PRODUCT_WRITABLE, PRODUCTS, upsert_product
from .services.tables import COUPONS, ORDERS
from .services.tags import TAGS, resolve
from .services.tokens import create_token
from .services.transactions import (
    TRANSACTIONS,
    create_transaction,
    finish_offsite,
    refund_transaction,
)
from .services.websites import WEBSITE_WRITABLE, upsert_website
from .store import Store

__all__ = ("FIXTURE_NAME", "fixture_names", "read_fixture", "load_fixture_set",
           "check_fixture_set", "fixture_counts", "problem_summary", "export_namespace",
           "describe_fixtures", "stand_in_pan")

FIXTURE_NAME = re.compile(r"[A-Za-z0-9_\-]{1,64}")
KINDS = ("websites", "products", "plans", "coupons", "tags", "tokens", "customers",
         "paymentInstruments", "transactions", "subscriptions")
#: Sections counted only when a set holds them, so the counts of a set without billing records
#: (and of every answer that reports them) keep the shape they had before these sections.
BILLING_KINDS = ("coupons", "subscriptions")

website_schema = FixtureWebsiteSchema()
product_schema = ProductSchema()
plan_schema = PlanSchema()
coupon_schema = CouponSchema()
tag_schema = TagSchema()
token_schema = TokenSchema()
customer_schema = CustomerSchema()
instrument_schema = InstrumentCreateSchema()
transaction_schema = TransactionSchema()
refund_schema = RefundSchema()
approval_schema = TransactionUpdateSchema()
order_schema = OrderSchema()
#: Transaction record types that are a refund or void of their ``parentTransactionId``.
CHILD_TYPES = ("refund", "void")


def fixtures_dir(configured: str | None) -> Path:
    """The folder of fixture sets: the configured one, else the sets shipped with the package."""
    if configured:
        return Path(configured)
    return Path(str(resources.files("rebilly_sandbox.fixture_data")))


def fixture_names(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(path.stem for path in folder.glob("*.json") if FIXTURE_NAME.fullmatch(path.stem))


def read_fixture(folder: Path, name: str) -> dict[str, Any]:
    """The fixture set called ``name``.

    :raises NotFound: when no set has that name (including any name that is not a plain name).
    :raises BadRequest: when the file is not a JSON object.
    """
    if name not in fixture_names(folder):
        raise NotFound(f"No fixture set named {name!r}; see GET /__admin/fixtures.")
    try:
        data = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise BadRequest(f"Fixture set {name!r} cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest(f"Fixture set {name!r} must be a JSON object.")
    return data


def describe_fixtures(folder: Path) -> list[dict[str, Any]]:
    """Every set with its description and counts; a set that cannot load says why instead.

    Only the shape is checked here (a JSON object of known sections, each a list of objects):
    listing stays cheap, and ``check_fixture_set`` finds the bad records.
    """
    described = []
    for name in fixture_names(folder):
        try:
            data = read_fixture(folder, name)
            counts = fixture_counts(data)
        except SandboxError as error:
            described.append({"name": name, "error": problem_summary(error)})
            continue
        described.append({"name": name, "description": data.get("description") or "",
                          "counts": counts})
    return described


def fixture_counts(data: dict[str, Any]) -> dict[str, int]:
    """How many records each section holds, once the set's shape is known to be loadable.

    :raises ValidationFailed: for an unknown section, a section that is not a list of objects,
        or a description that is not text.
    """
    _check_sections(data)
    return {kind: sum(1 for _ in _records(data, kind)) for kind in _counted(data)}


def _counted(data: dict[str, Any]) -> tuple[str, ...]:
    """The sections a set's counts name: every kind, the billing ones only when present."""
    return tuple(kind for kind in KINDS if kind not in BILLING_KINDS or kind in data)


def problem_summary(error: SandboxError) -> str:
    """One line naming every problem: ``customers.2.email: Not a valid email address.``"""
    problems = error.extra.get("invalidFields")
    if not problems:
        return error.detail
    return "; ".join(f"{problem['field']}: {problem['message']}" for problem in problems)


def _check_sections(data: dict[str, Any]) -> None:
    unknown = sorted(set(data) - set(KINDS) - {"description"})
    if unknown:
        raise ValidationFailed([{"field": key, "message": "Unknown fixture section."}
                                for key in unknown])
    if not isinstance(data.get("description", ""), (str, type(None))):
        raise ValidationFailed([{"field": "description", "message": "Must be text."}])


def _records(data: dict[str, Any], kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    records = data.get(kind)
    if records is None:
        return
    if not isinstance(records, list):
        raise ValidationFailed([{"field": kind, "message": "Must be a list of records."}])
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise ValidationFailed([{"field": f"{kind}.{index}", "message": "Must be an object."}])
        yield index, record


def _prefixed(error: ValidationFailed, prefix: str) -> ValidationFailed:
    return ValidationFailed([{"field": f"{prefix}.{entry['field']}", "message": entry["message"]}
                             for entry in error.extra["invalidFields"]], reason=error.reason)


def _record_id(record: dict[str, Any]) -> str:
    record_id = record.get("id")
    if not isinstance(record_id, str) or not CLIENT_ID.fullmatch(record_id):
        raise ValidationFailed([{"field": "id", "message": "Each record needs an id of "
                                 "1-50 characters: letters, digits and @ ~ - . _"}])
    return record_id


def load_fixture_set(ctx: Context, data: dict[str, Any], *, strict: bool = False) -> dict[str, int]:
    """Load a fixture set into ``ctx``'s namespace, all or nothing; return counts by kind.

    :raises ValidationFailed: naming the record (``customers.2.primaryAddress.country``).
    """
    _check_sections(data)
    counts = dict.fromkeys(_counted(data), 0)
    with ctx.store.transaction() as tx:
        for kind, step in (("websites", _load_website), ("products", _load_product),
                           ("plans", _load_plan), ("coupons", _load_coupon),
                           ("tags", _load_tag), ("tokens", _load_token),
                           ("customers", _load_customer),
                           ("paymentInstruments", _load_instrument),
                           ("transactions", _load_transaction),
                           ("subscriptions", _load_subscription)):
            loaded = []
            for index, record in _records(data, kind):
                where = f"{kind}.{index}"
                try:
                    loaded.append(step(tx, ctx, record, strict))
                except ValidationFailed as error:
                    raise _prefixed(error, where) from None
                except SandboxError as error:  # a repeated requestId, say: still the record's
                    raise ValidationFailed([{"field": where, "message": error.detail}]) from None
                counts[kind] += 1
            if kind == "tags" and loaded:  # in one call: it indexes the namespace's tags once
                resolve(tx, ctx, loaded, _now(ctx))
        for index, record in _records(data, "paymentInstruments"):
            if record.get("status") == "deactivated":  # after the payments that used it
                _deactivate(ctx, record, f"paymentInstruments.{index}")
    return counts


def _load_website(tx, ctx: Context, record: dict[str, Any], strict: bool) -> None:
    website = load(website_schema, record, strict=strict)
    upsert_website(ctx, website.pop("id"), website)


def _load_product(tx, ctx: Context, record: dict[str, Any], strict: bool) -> None:
    product_id = _record_id(record)
    upsert_product(ctx, product_id, load(product_schema, record, strict=strict))


def _load_plan(tx, ctx: Context, record: dict[str, Any], strict: bool) -> None:
    plan_id = _record_id(record)
    upsert_plan(ctx, plan_id, load(plan_schema, record, strict=strict))


def _load_coupon(tx, ctx: Context, record: dict[str, Any], strict: bool) -> None:
    """A coupon as ``PUT /coupons/{id}`` stores it. One the namespace holds that has been
    redeemed is left as it is: Rebilly freezes it, and loading a set again must not fail."""
    coupon_id = _record_id(record)
    coupon = load(coupon_schema, record, strict=strict)
    existing = tx.read(ctx.namespace, COUPONS, coupon_id)
    if existing is not None and existing["redemptionsCount"]:
        return
    upsert_coupon(ctx, coupon_id, coupon)


def _load_tag(tx, ctx: Context, record: dict[str, Any], strict: bool) -> dict[str, Any]:
    """The validated tag; the section's tags are stored together once all are valid."""
    tag = load(tag_schema, record, strict=strict)
    if tag["type"] != "customer":
        raise ValidationFailed([{"field": "type", "message": "Fixture tags are customer tags."}])
    return tag


def _load_token(tx, ctx: Context, record: dict[str, Any], strict: bool) -> None:
    token_id = _record_id(record)
    create_token(ctx, load(token_schema, record, strict=strict), token_id=token_id)


def _load_customer(tx, ctx: Context, record: dict[str, Any], strict: bool) -> None:
    customer_id = _record_id(record)
    upsert_customer(ctx, customer_id, load(customer_schema, record, strict=strict))


class _ChosenIds:
    """An id source that gives the id a fixture record names to the first ``prefix`` id asked
    for, and new ones after that (a payment's plain card still gets an instrument id of its own).
    """

    def __init__(self, ids: IdGenerator, prefix: str, chosen: str):
        self._ids = ids
        self._prefix = prefix
        self._chosen: str | None = chosen

    def new(self, prefix: str) -> str:
        if prefix == self._prefix and self._chosen is not None:
            chosen, self._chosen = self._chosen, None
            return chosen
        return self._ids.new(prefix)


def _with_id(ctx: Context, prefix: str, record_id: str | None) -> Context:
    """``ctx``, making its first ``prefix`` id ``record_id`` when the record names one."""
    if record_id is None:
        return ctx
    return Context(ctx.store, _ChosenIds(ctx.ids, prefix, record_id), ctx.clock, ctx.namespace,
                   ctx.organization_id, max_stored_bytes=ctx.max_stored_bytes)


def _optional_id(record: dict[str, Any]) -> str | None:
    return _record_id(record) if "id" in record else None


def _fixture_only(record: dict[str, Any], *members: str) -> tuple[dict[str, Any], dict]:
    """The record without the members only fixture sets know, and those members."""
    return ({key: value for key, value in record.items() if key not in members},
            {key: record[key] for key in members if key in record})


def _load_instrument(tx, ctx: Context, record: dict[str, Any], strict: bool) -> None:
    """A payment card from a plain card or a token, as ``POST /payment-instruments`` makes it.

    An instrument whose id the namespace already holds is left as it is, so loading a set again
    pays nothing twice. ``status: deactivated`` is applied once the whole set is loaded.
    """
    instrument_id = _optional_id(record)
    if instrument_id is not None and tx.exists(ctx.namespace, PAYMENT_INSTRUMENTS, instrument_id):
        return
    body, extra = _fixture_only(record, "id", "status")
    if extra.get("status") not in (None, "deactivated"):
        raise ValidationFailed([{"field": "status", "message": "Only deactivated may be given: "
                                 "a card is inactive until its first approved payment."}])
    instrument, _ = create_instrument(_with_id(ctx, "inst", instrument_id),
                                      load(instrument_schema, body, strict=strict))
    if instrument_id is not None and instrument["id"] != instrument_id:
        raise ValidationFailed([{"field": "id", "message": f"The customer already holds this "
                                 f"card as {instrument['id']}; a set holds each card once."}])


def _deactivate(ctx: Context, record: dict[str, Any], where: str) -> None:
    if "id" not in record:
        raise ValidationFailed([{"field": f"{where}.id",
                                 "message": "A deactivated instrument needs an id."}])
    instrument = ctx.store.get(ctx.namespace, PAYMENT_INSTRUMENTS, record["id"])
    if instrument is not None and instrument.get("status") != "deactivated":
        deactivate_instrument(ctx, record["id"])


def _load_transaction(tx, ctx: Context, record: dict[str, Any], strict: bool) -> None:
    """A sale, authorize or setup run through the sandbox gateway as ``POST /transactions``
    runs it (then its offsite step finished when ``approval`` says how), or a ``refund`` or
    ``void`` of ``parentTransactionId`` as its ``/refund`` makes it.

    A transaction whose id the namespace already holds is left as it is.
    """
    transaction_id = _optional_id(record)
    if transaction_id is not None and tx.exists(ctx.namespace, TRANSACTIONS, transaction_id):
        return
    chosen = _with_id(ctx, "txn", transaction_id)
    if record.get("type") in CHILD_TYPES:
        body, extra = _fixture_only(record, "id", "type", "parentTransactionId")
        parent = extra.get("parentTransactionId")
        if not isinstance(parent, str) or not tx.exists(ctx.namespace, TRANSACTIONS, parent):
            raise ValidationFailed([{"field": "parentTransactionId", "message": "Must name a "
                                     "transaction stored before this one."}])
        child = refund_transaction(chosen, parent, load(refund_schema, body, strict=strict))
        if child["type"] != record["type"]:
            raise ValidationFailed([{"field": "type", "message": f"Transaction {parent} is "
                                     f"given back by a {child['type']}, not a {record['type']}."}])
        return
    body, extra = _fixture_only(record, "id", "approval")
    transaction = create_transaction(chosen, load(transaction_schema, body, strict=strict))
    approval = extra.get("approval")
    if approval is None:
        return
    if not isinstance(approval, dict):
        raise ValidationFailed([{"field": "approval", "message": "Must be an object."}])
    if transaction["status"] != "waiting-approval":
        raise ValidationFailed([{"field": "approval", "message": "Only a transaction waiting "
                                 "for an offsite approval can be finished."}])
    try:
        finish = load(approval_schema, approval, strict=strict)
    except ValidationFailed as error:
        raise _prefixed(error, "approval") from None
    finish_offsite(ctx, transaction["id"], finish["result"], amount=finish.get("amount"),
                   currency=finish.get("currency"))


def _load_subscription(tx, ctx: Context, record: dict[str, Any], strict: bool) -> None:
    """An order as ``PUT /subscriptions/{id}`` creates it: its initial invoice issued and, with
    autopay and an instrument, charged through the gateway (so it activates when approved).

    An order whose id the namespace already holds is left as it is, so loading a set again
    bills nothing twice.
    """
    order_id = _record_id(record)
    order = load(order_schema, record, strict=strict)
    if tx.exists(ctx.namespace, ORDERS, order_id):
        return
    upsert_order(ctx, order_id, order)


def _now(ctx: Context) -> str:
    return format_time(ctx.clock.now())


def check_fixture_set(data: dict[str, Any]) -> dict[str, int]:
    """Load a set into a throwaway store: the counts, or the ``ValidationFailed`` it would give."""
    store = Store(None)
    ctx = Context(store, IdGenerator(0), Clock(), "ns_fixture_check")
    return load_fixture_set(ctx, data)


_EXPORTED_CUSTOMER_FIELDS = ("id", "websiteId", "preferredPayoutInstrumentId", "customFields",
                             "primaryAddress", "locale", "taxNumbers", "personId",
                             "notificationEmails", "isEddRequired")


def export_namespace(store: Store, namespace: str) -> dict[str, Any]:
    """A namespace as a fixture set that loads it back: websites, products, plans, coupons (when
    it has any), tags, customers, payment instruments and transactions.

    Card numbers are never kept, so each card is written as a number with its ``bin``, ``last4``
    and brand that the sandbox gateway judges as it judged the original (the test card itself
    when it is one); its CVV as one that gives the same CVV answer. Transactions are written in
    the order they were made, as the requests that make them again: reloaded, each payment is
    decided with the same outcome, keeps its id, and moves statuses and counters as it did.
    Tokens are left out (each is used once, and most are used up); a customer comes back
    without a default payment instrument. Subscriptions, invoices and coupon redemptions are
    derived state (made by the API's rules and the clock, not written as given), so they are
    left out too, with the payments of invoices and what refunds or voids them (each names an
    invoice the set would not hold); a coupon comes back never redeemed.
    """
    with store.transaction() as tx:
        websites, products, plans = (
            [_writable(document, writable) for document in tx.view(namespace, table)]
            for table, writable in ((WEBSITES, WEBSITE_WRITABLE), (PRODUCTS, PRODUCT_WRITABLE),
                                    (PLANS, PLAN_WRITABLE)))
        coupons = [_writable(coupon, COUPON_WRITABLE) for coupon in tx.view(namespace, COUPONS)]
        tags = [{"name": tag["name"], "type": tag["type"]} for tag in tx.view(namespace, TAGS)]
        customers = []
        for customer in tx.view(namespace, CUSTOMERS):
            record = {field: customer.get(field) for field in _EXPORTED_CUSTOMER_FIELDS}
            if record["primaryAddress"]:
                record["primaryAddress"] = _exported_contact(customer["primaryAddress"])
            record["tags"] = [{"name": tag["name"], "type": tag["type"]}
                              for tag in customer["tags"]]
            lead_source = tx.get(namespace, LEAD_SOURCES, customer["id"])
            if lead_source:
                record["leadSource"] = {k: v for k, v in lead_source.items() if k not in (
                    "id", "customerId", "createdTime", "updatedTime")}
            customers.append({k: v for k, v in record.items() if v not in (None, [], {})})
        profiles = Context(store, IdGenerator(), Clock(), namespace)
        instruments = [_exported_instrument(instrument, profile_of(tx, profiles, instrument["id"]))
                       for instrument in tx.view(namespace, PAYMENT_INSTRUMENTS)]
        transactions = _exported_transactions(tx.view(namespace, TRANSACTIONS))
    exported = {"description": "Exported from a rebilly-sandbox namespace.",
                "websites": websites, "products": products, "plans": plans}
    if coupons:  # only then: an export without billing records keeps the shape it had
        exported["coupons"] = coupons
    return {**exported, "tags": tags, "customers": customers,
            "paymentInstruments": instruments, "transactions": transactions}


def _writable(document: dict[str, Any], writable: dict[str, Any]) -> dict[str, Any]:
    """A catalog document as the record that writes it again: its id and the writable members
    it holds (those left at nothing are left out)."""
    record = {name: document.get(name) for name in ("id", *writable)}
    return {name: value for name, value in record.items() if value is not None}


def _exported_contact(contact: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in contact.items() if k != "hash" and v not in (None, [])}


#: Test cards by (bin, last4) and the outcome each gives.
_TEST_CARDS = {(pan[:6], pan[-4:], outcome): pan for outcome, pans in (
    ("approved", APPROVED_CARDS), ("declined", DECLINED_CARDS),
    ("approval-required", (APPROVAL_TRIGGER_PAN,))) for pan in pans}


def stand_in_pan(bin_: str, last4: str, outcome: str) -> str:
    """A card number with this ``bin`` and ``last4`` that the gateway judges as ``outcome``: the
    test card that has them, else a Luhn-valid number of the brand's usual length (any number
    that is not a test card approves)."""
    known = _TEST_CARDS.get((bin_, last4, outcome))
    if known is not None:
        return known
    length = 15 if bin_[:2] in ("34", "37") else 14 if bin_[:2] in ("30", "36", "38") else 16
    filler = length - len(bin_) - len(last4) - 1
    test_cards = set(_TEST_CARDS.values())
    return next(pan for fill in "0123456789" for digit in "0123456789"
                if luhn_valid(pan := f"{bin_}{fill * filler}{digit}{last4}")
                and pan not in test_cards)


def _exported_instrument(instrument: dict[str, Any], profile: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": instrument["id"],
        "customerId": instrument["customerId"],
        "method": "payment-card",
        "pan": stand_in_pan(instrument["bin"], instrument["last4"], profile["outcome"]),
        "expMonth": instrument["expMonth"],
        "expYear": instrument["expYear"],
        "billingAddress": _exported_contact(instrument.get("billingAddress") or {}),
    }
    if profile.get("cvvFailed"):
        record["cvv"] = "0000" if len(record["pan"]) == 15 else "000"
    elif profile.get("cvvChecked"):
        record["cvv"] = "1234" if len(record["pan"]) == 15 else "123"
    for member in ("customFields", "useAsBackup"):
        if instrument.get(member):
            record[member] = instrument[member]
    if instrument.get("status") == "deactivated":
        record["status"] = "deactivated"
    return record


#: Members of a payment written back as they were sent.
_EXPORTED_PAYMENT_FIELDS = ("customerId", "websiteId", "requestId", "description",
                            "notificationUrl", "redirectUrl", "invoiceIds", "customFields",
                            "isProcessedOutside", "isMerchantInitiated", "billingAddress")


def _exported_transactions(transactions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The transactions as records, oldest first, without the payments of invoices and their
    descendants: invoices are not exported, so those records could not load back."""
    left_out: set[str] = set()
    records = []
    for transaction in transactions:
        if transaction.get("invoiceIds") or transaction.get("parentTransactionId") in left_out:
            left_out.add(transaction["id"])
            continue
        records.append(_exported_transaction(transaction))
    return records


def _exported_transaction(transaction: dict[str, Any]) -> dict[str, Any]:
    if transaction["type"] in CHILD_TYPES:
        record = {"id": transaction["id"], "type": transaction["type"],
                  "parentTransactionId": transaction["parentTransactionId"],
                  "amount": transaction["amount"],
                  "isProcessedOutside": transaction.get("isProcessedOutside", False)}
        if transaction.get("description") is not None:
            record["description"] = transaction["description"]
        return record
    record = {"id": transaction["id"],
              "type": "sale" if transaction["type"] == "capture" else transaction["type"],
              "currency": transaction["requestCurrency"],
              "amount": transaction["requestAmount"],
              "paymentInstruction": {"paymentInstrumentId":
                                     transaction["paymentInstrument"]["paymentInstrumentId"]}}
    for member in _EXPORTED_PAYMENT_FIELDS:
        if transaction.get(member) not in (None, [], {}):
            record[member] = transaction[member]
    if "billingAddress" in record:
        record["billingAddress"] = _exported_contact(record["billingAddress"])
    if transaction.get("has3ds") and transaction["status"] != "waiting-approval":
        approval: dict[str, Any] = {"result": transaction["result"]}
        if transaction.get("hasAmountAdjustment"):
            approval.update(amount=transaction["amount"], currency=transaction["currency"])
        record["approval"] = approval
    return record
