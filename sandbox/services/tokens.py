"""Payment tokens and the payment instruments they become.

A token is single-use and expires 30 minutes after it is made. The card number is judged when
the token is made (``gateway.card_profile``) and only that judgement is kept, in the hidden
card-profile table, never the number. Redeeming a token (a ``paymentToken`` on a customer create
or upsert) marks it used and makes a payment instrument for that customer through
``services.instruments``, billed to the token's address or else the customer's primary address.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..cards import brand_of
from ..gateway import card_profile
from ..ids import format_time
from ..problems import NotFound, ValidationFailed
from ..resources import PAYMENT_TOKENS
from ..store import Transaction
from .contacts import build_contact
from .context import Context
from .paging import ListQuery

if TYPE_CHECKING:
    from .listing import Page

__all__ = ("TOKENS", "PAYMENT_INSTRUMENTS", "CARD_PROFILES", "TOKEN_LIFETIME", "create_token",
           "get_token", "list_tokens", "take_token", "redeem_token", "instrument_reference")

TOKENS = PAYMENT_TOKENS.table
PAYMENT_INSTRUMENTS = "payment-instruments"
#: The hidden table of gateway card profiles, keyed by token or instrument id (never shown).
CARD_PROFILES = "card-profiles"
TOKEN_LIFETIME = timedelta(minutes=30)


def create_token(ctx: Context, data: dict[str, Any], token_id: str | None = None) -> dict:
    """Make a payment-card token from validated ``data``; the card number is not kept.

    ``token_id`` gives it a chosen id (fixtures); the API always generates one.
    """
    now = ctx.clock.now()
    card = data["paymentInstrument"]
    token = {
        "id": token_id or ctx.ids.new("tok"),
        "method": data["method"],
        "paymentInstrument": {
            "bin": card["pan"][:6],
            "last4": card["pan"][-4:],
            "brand": brand_of(card["pan"]),
            "expMonth": card["expMonth"],
            "expYear": card["expYear"],
        },
        "billingAddress": build_contact(data.get("billingAddress")),
        "isUsed": False,
        "usageTime": None,
        "expirationTime": format_time(now + TOKEN_LIFETIME),
        "createdTime": format_time(now),
        "updatedTime": format_time(now),
    }
    profile = card_profile(card["pan"], card.get("cvv"), card["expMonth"], card["expYear"])
    with ctx.store.transaction() as tx:
        tx.put(ctx.namespace, TOKENS, token)
        tx.put(ctx.namespace, CARD_PROFILES, {"id": token["id"], **profile})
    return token


def get_token(ctx: Context, token_id: str) -> dict[str, Any]:
    """A stored token as it stands now (used or not, expired or not).

    :raises NotFound: when the namespace has no token with this id.
    """
    token = ctx.store.get(ctx.namespace, TOKENS, token_id)
    if token is None:
        raise NotFound(f"Payment token {token_id} was not found.")
    return token


def list_tokens(ctx: Context, query: ListQuery) -> Page:
    """A page of the namespace's own tokens, the stored documents as ``get_token`` reads them
    (no card number was ever kept)."""
    from .listing import list_documents  # lists read customers, which redeem tokens

    return list_documents(ctx.store, ctx.namespace, query)


def take_token(tx: Transaction, ctx: Context, token_id: str, field: str) -> dict[str, Any]:
    """Mark a token used, inside the caller's transaction, and return it.

    :raises ValidationFailed: on ``field`` when the token is unknown, used or expired.
    """
    token = tx.get(ctx.namespace, TOKENS, token_id)
    if token is None:
        raise _refuse(field, "No payment token with this id exists.")
    if token["isUsed"]:
        raise _refuse(field, "This payment token has already been used.")
    now = ctx.clock.now()
    if now >= datetime.fromisoformat(token["expirationTime"]):
        raise _refuse(field, "This payment token has expired (tokens last 30 minutes).")
    token.update(isUsed=True, usageTime=format_time(now), updatedTime=format_time(now))
    tx.put(ctx.namespace, TOKENS, token)
    return token


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([{"field": field, "message": message}])


def redeem_token(tx: Transaction, ctx: Context, token_id: str, customer_id: str,
                 primary_address: dict[str, Any] | None) -> dict[str, Any]:
    """Use up a token: mark it used and make the customer's payment instrument from it.

    Call inside the customer's transaction, so two creates racing for one token cannot both win.
    The instrument is the full payment card ``POST /payment-instruments`` makes (inactive until
    its first approved payment).

    :raises ValidationFailed: on ``paymentToken`` when the token is unknown, used or expired.
    """
    from .instruments import instrument_from_token  # instruments build on tokens, not the reverse

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
