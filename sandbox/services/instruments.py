"""Payment instruments (payment cards): create, find, update, deactivate, and what payments do.

Pure Python: no Flask, no marshmallow. A card is stored without its number: ``bin``, ``last4``,
``brand`` and a fingerprint of them. What the gateway needs later (``gateway.card_profile``) is
kept in a table of its own, ``card-profiles``, keyed by the token or instrument id, so nothing
that shows an instrument can show it.

Status: a new card is ``inactive``; its first approved sale, authorization or capture makes it
``active``; ``deactivated`` (through the deactivation) is final; a card past its expiry month on
the sandbox clock reads ``expired`` unless deactivated.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from ..cards import brand_of, luhn_valid
from ..gateway import card_profile
from ..ids import format_time
from ..problems import Conflict, NotFound, ValidationFailed
from ..store import Transaction, copy_document
from .contacts import build_contact
from .context import Context
from .events import emit
from .listing import Page, index_specs
from .paging import ListQuery, select_page
from .tables import CARD_PROFILES, PAYMENT_INSTRUMENTS
from .tokens import take_token

__all__ = (
    "PAYMENT_INSTRUMENTS",
    "CARD_PROFILES",
    "usable_instrument",
    "create_instrument",
    "instrument_from_token",
    "redeem_token",
    "instrument_reference",
    "instrument_for_payment",
    "record_payment",
    "instrument_status",
    "get_instrument",
    "list_instruments",
    "update_instrument",
    "deactivate_instrument",
    "keep_profile",
    "profile_of",
    "fingerprint",
)

_CUSTOMERS = "customers"

#: What a card's profile is when none was kept: an ordinary approving card.
_PLAIN_PROFILE = {"outcome": "approved", "cvvFailed": False, "cvvChecked": False,
                  "expiryFailed": False}


def fingerprint(bin_: str, last4: str) -> str:
    """An alphanumeric value that names a card by its ``bin`` and ``last4``."""
    return hashlib.sha256(f"card:{bin_}:{last4}".encode()).hexdigest()[:32]


def keep_profile(tx: Transaction, ctx: Context, owner_id: str, profile: dict[str, Any]) -> None:
    """Store ``profile`` for a token or instrument, in the hidden table."""
    tx.put(ctx.namespace, CARD_PROFILES, {"id": owner_id, **profile})


def profile_of(tx: Transaction, ctx: Context, owner_id: str) -> dict[str, Any]:
    """The gateway profile kept for a token or instrument (an approving card when none was)."""
    stored = tx.get(ctx.namespace, CARD_PROFILES, owner_id)
    if stored is None:
        return dict(_PLAIN_PROFILE)
    return {key: value for key, value in stored.items() if key != "id"}


def instrument_status(instrument: dict[str, Any], now: datetime) -> str:
    """The status an instrument shows at ``now``: its stored status, or ``expired`` once the
    clock is past its expiry month (a deactivated instrument stays deactivated)."""
    status = instrument.get("status", "inactive")
    if status == "deactivated":
        return status
    year, month = instrument.get("expYear"), instrument.get("expMonth")
    if isinstance(year, int) and isinstance(month, int) and (now.year, now.month) > (year, month):
        return "expired"
    return status


def shown(instrument: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A copy of a stored instrument with the status it shows at ``now``."""
    copy = copy_document(instrument)
    copy["status"] = instrument_status(instrument, now)
    return copy


def create_instrument(ctx: Context, data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """``POST /payment-instruments`` from validated ``data`` (token form or plain card form).

    Returns (instrument as shown, created). An instrument the customer already holds (same
    fingerprint and expiry) is updated instead, and ``created`` is False.

    :raises ValidationFailed: on ``customerId`` for an unknown customer, on ``token`` for an
        unknown, used or expired token.
    """
    with ctx.store.transaction() as tx:
        customer = tx.get(ctx.namespace, _CUSTOMERS, data["customerId"])
        if customer is None:
            raise ValidationFailed([{"field": "customerId",
                                     "message": "No customer with this id exists."}])
        extras = {key: data[key] for key in ("customFields", "useAsBackup") if key in data}
        if "token" in data:
            instrument, created = instrument_from_token(
                tx, ctx, data["token"], customer, None, field="token", extras=extras)
        else:
            instrument, created = _from_plain_card(tx, ctx, data, customer, extras)
        return shown(instrument, ctx.clock.now()), created


def instrument_from_token(tx: Transaction, ctx: Context, token_id: str, customer: dict[str, Any],
                          billing_address: dict[str, Any] | None, *, field: str,
                          extras: dict[str, Any] | None = None) -> tuple[dict[str, Any], bool]:
    """Use up a token and make (or update) the customer's instrument from it.

    The address is the token's, else ``billing_address``, else the customer's primary address.

    :raises ValidationFailed: on ``field`` for an unknown, used or expired token.
    """
    token = take_token(tx, ctx, token_id, field)
    address = token.get("billingAddress") or billing_address or customer.get("primaryAddress")
    return _store_card(tx, ctx, customer["id"], dict(token["paymentInstrument"]), address,
                       profile_of(tx, ctx, token["id"]), extras or {})


def redeem_token(tx: Transaction, ctx: Context, token_id: str, customer_id: str,
                 primary_address: dict[str, Any] | None) -> dict[str, Any]:
    """Use up a token: mark it used and make the customer's payment instrument from it.

    Call inside the customer's transaction, so two creates racing for one token cannot both win.
    The instrument is the full payment card ``POST /payment-instruments`` makes (inactive until
    its first approved payment).

    :raises ValidationFailed: on ``paymentToken`` when the token is unknown, used or expired.
    """
    customer = {"id": customer_id, "primaryAddress": primary_address}
    instrument, _ = instrument_from_token(tx, ctx, token_id, customer, None,
                                          field="paymentToken")
    return instrument


def instrument_reference(tx: Transaction, ctx: Context, instrument_id: str,
                         customer_id: str) -> dict[str, str]:
    """``defaultPaymentInstrument`` for an instrument the customer owns.

    :raises ValidationFailed: on ``defaultPaymentInstrumentId`` otherwise, or when it is
        deactivated.
    """
    instrument = tx.get(ctx.namespace, PAYMENT_INSTRUMENTS, instrument_id)
    if instrument is None or instrument["customerId"] != customer_id:
        raise _refuse("defaultPaymentInstrumentId",
                      "No payment instrument with this id belongs to the customer.")
    if instrument.get("status") == "deactivated":
        raise _refuse("defaultPaymentInstrumentId", "This payment instrument is deactivated.")
    return {"method": instrument["method"], "paymentInstrumentId": instrument["id"]}


def _from_plain_card(tx: Transaction, ctx: Context, card: dict[str, Any],
                     customer: dict[str, Any], extras: dict[str, Any],
                     billing_address: dict[str, Any] | None = None) -> tuple[dict, bool]:
    pan = card["pan"]
    summary = {"bin": pan[:6], "last4": pan[-4:], "brand": brand_of(pan),
               "expMonth": card["expMonth"], "expYear": card["expYear"]}
    address = (build_contact(card["billingAddress"]) if card.get("billingAddress")
               else billing_address or customer.get("primaryAddress"))
    profile = card_profile(pan, card.get("cvv"), card["expMonth"], card["expYear"])
    return _store_card(tx, ctx, customer["id"], summary, address, profile, extras)


def _store_card(tx: Transaction, ctx: Context, customer_id: str, card: dict[str, Any],
                address: dict[str, Any] | None, profile: dict[str, Any],
                extras: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Make the customer's card instrument, or update the one with the same card and expiry."""
    now = format_time(ctx.clock.now())
    print_ = fingerprint(card["bin"], card["last4"])
    existing = next((found for found in tx.view(ctx.namespace, PAYMENT_INSTRUMENTS)
                     if found.get("customerId") == customer_id
                     and found.get("fingerprint") == print_
                     and found.get("expMonth") == card["expMonth"]
                     and found.get("expYear") == card["expYear"]
                     and found.get("status") != "deactivated"), None)
    if existing is not None:
        instrument = copy_document(existing)
        if address is not None:
            instrument["billingAddress"] = address
        instrument.update(copy_document(extras))
        instrument["revision"] += 1
        instrument["updatedTime"] = now
        tx.put(ctx.namespace, PAYMENT_INSTRUMENTS, instrument)
        keep_profile(tx, ctx, instrument["id"], profile)
        _modified(tx, ctx, instrument)
        return instrument, False
    instrument = {
        "id": ctx.ids.new("inst"),
        "customerId": customer_id,
        "method": "payment-card",
        "status": "inactive",
        "fingerprint": print_,
        "bin": card["bin"],
        "last4": card["last4"],
        "fpanLast4": None,
        "brand": card["brand"],
        "expMonth": card["expMonth"],
        "expYear": card["expYear"],
        "bankCountry": None,
        "isPayoutable": False,
        "billingAddress": address,
        "useAsBackup": False,
        "customFields": {},
        "stickyGatewayAccountId": None,
        "expirationReminderTime": None,
        "expirationReminderNumber": None,
        "referenceData": {},
        "digitalWallet": None,
        "riskMetadata": None,
        "createdTime": now,
        "updatedTime": now,
        "lastPaymentTime": None,
        "revision": 1,
    }
    instrument.update(copy_document(extras))
    tx.insert(ctx.namespace, PAYMENT_INSTRUMENTS, instrument)
    keep_profile(tx, ctx, instrument["id"], profile)
    emit(tx, ctx, "payment-card-created", instrument["id"],
         {"paymentCard": shown(instrument, ctx.clock.now())})
    return instrument, True


def _modified(tx: Transaction, ctx: Context, instrument: dict[str, Any]) -> None:
    """Announce a change to a stored instrument, as it shows now."""
    emit(tx, ctx, "payment-instrument-modified", instrument["id"],
         {"paymentInstrument": shown(instrument, ctx.clock.now())})


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([{"field": field, "message": message}])


def usable_instrument(tx: Transaction, ctx: Context, instrument_id: str, customer_id: str,
                      field: str) -> dict[str, Any]:
    """A stored instrument the customer may pay with now, else a 422 on ``field``: the stored
    document itself, to read."""
    instrument = tx.read(ctx.namespace, PAYMENT_INSTRUMENTS, instrument_id)
    if instrument is None or instrument.get("customerId") != customer_id:
        raise _refuse(field, "No payment instrument with this id belongs to the customer.")
    status = instrument_status(instrument, ctx.clock.now())
    if status == "deactivated":
        raise _refuse(field, "This payment instrument is deactivated.")
    if status == "expired":
        raise _refuse(field, "This payment instrument has expired.")
    return instrument


def instrument_for_payment(tx: Transaction, ctx: Context, instruction: dict[str, Any] | None,
                           customer: dict[str, Any],
                           billing_address: dict[str, Any] | None) -> tuple[dict, dict]:
    """The instrument a payment uses and its card profile, inside the caller's transaction.

    ``instruction`` is ``{"token"}``, ``{"paymentInstrumentId"}``, a plain card
    (``{"method": "payment-card", "pan", "expMonth", "expYear", "cvv"?, "billingAddress"?}``), or
    None for the customer's default instrument. A token or plain card makes (or updates) the
    customer's instrument, as ``POST /payment-instruments`` would. The instrument returned may be
    the stored document itself: read it, never change it.

    :raises ValidationFailed: on ``paymentInstruction.token``,
        ``paymentInstruction.paymentInstrumentId`` or ``paymentInstruction`` when no usable
        instrument results.
    """
    if instruction is None:
        default = customer.get("defaultPaymentInstrument")
        if not default:
            raise _refuse("paymentInstruction", "The customer has no default payment instrument; "
                          "send a paymentInstruction.")
        instrument = usable_instrument(tx, ctx, default["paymentInstrumentId"], customer["id"],
                                       "paymentInstruction")
    elif "token" in instruction:
        instrument, _ = instrument_from_token(tx, ctx, _checked_id(instruction, "token"), customer,
                                              build_contact(billing_address)
                                              if billing_address else None,
                                              field="paymentInstruction.token")
    elif "paymentInstrumentId" in instruction:
        instrument = usable_instrument(tx, ctx, _checked_id(instruction, "paymentInstrumentId"),
                                       customer["id"], "paymentInstruction.paymentInstrumentId")
    elif "pan" in instruction or "method" in instruction:
        instrument, _ = _from_plain_card(tx, ctx, checked_card(instruction), customer, {},
                                         build_contact(billing_address)
                                         if billing_address else None)
    else:
        raise _refuse("paymentInstruction", "Send a token, a paymentInstrumentId or a card.")
    return instrument, profile_of(tx, ctx, instrument["id"])


def _checked_id(instruction: dict[str, Any], key: str) -> str:
    value = instruction[key]
    if not isinstance(value, str) or not 1 <= len(value) <= 50:
        raise _refuse(f"paymentInstruction.{key}", "Must be an id of 1 to 50 characters.")
    return value


_DIGITS = re.compile(r"[0-9]{12,19}")
_CVV = re.compile(r"[0-9]{3,4}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: A contact's text members and their Rebilly length limits.
_CONTACT_TEXT = {"firstName": 45, "lastName": 45, "organization": 255, "address": 60,
                 "address2": 60, "city": 45, "region": 45, "country": 2, "postalCode": 10,
                 "jobTitle": 255}


def checked_card(card: dict[str, Any]) -> dict[str, Any]:
    """A plain card sent as a transaction's ``paymentInstruction``, checked member by member
    (the request schema reads the instruction as a bare object).

    :raises ValidationFailed: naming every ``paymentInstruction.*`` member that is wrong.
    """
    wrong: list[dict[str, str]] = []

    def fail(member: str, message: str) -> None:
        wrong.append({"field": f"paymentInstruction.{member}", "message": message})

    if card.get("method") != "payment-card":
        fail("method", "Must be payment-card: the sandbox takes plain payment cards only.")
    pan = card.get("pan")
    if not isinstance(pan, str) or not _DIGITS.fullmatch(pan):
        fail("pan", "Must be a card number of 12 to 19 digits, without spaces.")
    elif not luhn_valid(pan):
        fail("pan", "Not a valid card number (Luhn check failed).")
    for member, low, high in (("expMonth", 1, 12), ("expYear", 2000, 2100)):
        value = card.get(member)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            fail(member, f"Must be an integer from {low} to {high}.")
    if "cvv" in card and (not isinstance(card["cvv"], str) or not _CVV.fullmatch(card["cvv"])):
        fail("cvv", "Must be 3 or 4 digits.")
    address = card.get("billingAddress")
    if address is not None:
        wrong.extend(_contact_errors(address, "paymentInstruction.billingAddress"))
    if wrong:
        raise ValidationFailed(wrong)
    return card


def _contact_errors(address: Any, where: str) -> list[dict[str, str]]:
    """What is wrong with a contact object sent without a request schema."""
    if not isinstance(address, dict):
        return [{"field": where, "message": "Must be an object."}]
    wrong = []
    for member, limit in _CONTACT_TEXT.items():
        value = address.get(member)
        if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= limit):
            wrong.append({"field": f"{where}.{member}",
                          "message": f"Must be text of 1 to {limit} characters."})
    dob = address.get("dob")
    if dob is not None and (not isinstance(dob, str) or not _DATE.fullmatch(dob)):
        wrong.append({"field": f"{where}.dob", "message": "Not a valid date: use YYYY-MM-DD."})
    for member in ("emails", "phoneNumbers"):
        entries = address.get(member)
        if entries is None:
            continue
        if not isinstance(entries, list) or len(entries) > 100 or not all(
                isinstance(entry, dict) and isinstance(entry.get("label"), str)
                and isinstance(entry.get("value"), str)
                and isinstance(entry.get("primary", False), bool) for entry in entries):
            wrong.append({"field": f"{where}.{member}",
                          "message": "Must be a list of {label, value, primary?} objects."})
    return wrong


def record_payment(tx: Transaction, ctx: Context, instrument_id: str, *, approved: bool,
                   payment: bool, at: str) -> None:
    """What a finished transaction does to its instrument.

    An approved sale, authorization or capture makes an inactive instrument active; an approved
    sale or capture (``payment``) sets ``lastPaymentTime``. Revision and ``updatedTime`` move only
    when something changed.
    """
    if not approved:
        return
    instrument = tx.read(ctx.namespace, PAYMENT_INSTRUMENTS, instrument_id)
    if instrument is None:
        return
    changes: dict[str, Any] = {}
    if instrument.get("status") == "inactive":
        changes["status"] = "active"
    if payment and instrument.get("lastPaymentTime") != at:
        changes["lastPaymentTime"] = at
    if not changes:
        return
    changes["revision"] = instrument.get("revision", 1) + 1
    changes["updatedTime"] = format_time(ctx.clock.now())
    instrument = tx.update(ctx.namespace, PAYMENT_INSTRUMENTS, instrument_id, changes)
    if "status" in changes:
        _modified(tx, ctx, instrument)


def get_instrument(ctx: Context, instrument_id: str) -> dict[str, Any]:
    """A stored instrument as it shows now.

    :raises NotFound: when the namespace has no instrument with this id.
    """
    instrument = ctx.store.get(ctx.namespace, PAYMENT_INSTRUMENTS, instrument_id)
    if instrument is None:
        raise NotFound(f"Payment instrument {instrument_id} was not found.")
    return shown(instrument, ctx.clock.now())


def list_instruments(ctx: Context, query: ListQuery) -> Page[dict[str, Any] | None]:
    """A page of a namespace's instruments as they show now, each with its customer when
    ``expand=customer`` asked for it (else None beside it).

    Filters and sorts see the status an instrument shows (``expired`` included), so
    ``status:expired`` finds cards that expired on the sandbox clock.
    """
    now = ctx.clock.now()
    with ctx.store.transaction() as tx:
        stored = tx.view(ctx.namespace, PAYMENT_INSTRUMENTS)
        table = (tx.indexed(ctx.namespace, PAYMENT_INSTRUMENTS, *index_specs(query.resource))
                 if query.scans else None)
        chosen, total = select_page(stored, query, table,
                                    lambda instrument: _with_status(instrument, now))
        documents = [shown(instrument, now) for instrument in chosen]
        related = [tx.get(ctx.namespace, _CUSTOMERS, instrument["customerId"])
                   if "customer" in query.expand else None for instrument in documents]
    return Page(documents, total, related)


def _with_status(instrument: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The stored document itself when its status stands, else a shallow copy that shows it."""
    status = instrument_status(instrument, now)
    return instrument if status == instrument.get("status") else {**instrument, "status": status}


#: Fields a PATCH may set on a payment card (bank-account fields do not fit a card).
_CARD_PATCHABLE = ("expMonth", "expYear", "customFields", "useAsBackup",
                   "stickyGatewayAccountId")


def update_instrument(ctx: Context, instrument_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """``PATCH /payment-instruments/{id}``: apply the fields that fit a payment card.

    A ``token`` replaces the card details with the token's (same card or not) and its address
    unless ``billingAddress`` is sent; ``cvv`` refreshes the kept card profile.

    :raises NotFound: for an unknown instrument.
    :raises ValidationFailed: on ``token`` for an unknown, used or expired token.
    """
    with ctx.store.transaction() as tx:
        instrument = tx.get(ctx.namespace, PAYMENT_INSTRUMENTS, instrument_id)
        if instrument is None:
            raise NotFound(f"Payment instrument {instrument_id} was not found.")
        before = copy_document(instrument)
        profile = profile_of(tx, ctx, instrument_id)
        if data.get("token") is not None:
            token = take_token(tx, ctx, data["token"], "token")
            card = token["paymentInstrument"]
            instrument.update({key: card[key] for key in ("bin", "last4", "brand", "expMonth",
                                                          "expYear")})
            instrument["fingerprint"] = fingerprint(card["bin"], card["last4"])
            if token.get("billingAddress"):
                instrument["billingAddress"] = token["billingAddress"]
            profile = profile_of(tx, ctx, token["id"])
        for key in _CARD_PATCHABLE:
            if key in data:
                instrument[key] = copy_document(data[key])
        if data.get("billingAddress") is not None:
            instrument["billingAddress"] = build_contact(data["billingAddress"])
        if "cvv" in data:
            profile = {**profile, "cvvFailed": data["cvv"] in ("000", "0000"),
                       "cvvChecked": True}
        if "expMonth" in data or "expYear" in data:
            profile = {**profile, "expiryFailed": (instrument["expMonth"],
                                                   instrument["expYear"]) == (10, 2051)}
        if instrument != before:
            instrument["revision"] = instrument.get("revision", 1) + 1
            instrument["updatedTime"] = format_time(ctx.clock.now())
            tx.put(ctx.namespace, PAYMENT_INSTRUMENTS, instrument)
            _modified(tx, ctx, instrument)
        keep_profile(tx, ctx, instrument_id, profile)
        return shown(instrument, ctx.clock.now())


def deactivate_instrument(ctx: Context, instrument_id: str) -> dict[str, Any]:
    """Take an instrument out of use for good; clear it as its customer's default.

    :raises NotFound: for an unknown instrument.
    :raises Conflict: when it is already deactivated.
    """
    with ctx.store.transaction() as tx:
        instrument = tx.get(ctx.namespace, PAYMENT_INSTRUMENTS, instrument_id)
        if instrument is None:
            raise NotFound(f"Payment instrument {instrument_id} was not found.")
        if instrument.get("status") == "deactivated":
            raise Conflict(f"Payment instrument {instrument_id} is already deactivated.")
        now = format_time(ctx.clock.now())
        instrument.update(status="deactivated", updatedTime=now,
                          revision=instrument.get("revision", 1) + 1)
        tx.put(ctx.namespace, PAYMENT_INSTRUMENTS, instrument)
        _modified(tx, ctx, instrument)
        customer = tx.get(ctx.namespace, _CUSTOMERS, instrument["customerId"])
        default = (customer or {}).get("defaultPaymentInstrument") or {}
        if default.get("paymentInstrumentId") == instrument_id:
            customer.update(defaultPaymentInstrument=None, updatedTime=now,
                            revision=customer.get("revision", 1) + 1)
            tx.put(ctx.namespace, _CUSTOMERS, customer)
        return shown(instrument, ctx.clock.now())
