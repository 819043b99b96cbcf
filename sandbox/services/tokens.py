"""Payment tokens and the payment instruments they become.

A token is single-use and expires 30 minutes after it is made. The card number is judged when
the token is made (``gateway.card_profile``) and only that judgement is kept, in the hidden
card-profile table, never the number. Redeeming a token (a ``paymentToken`` on a customer create
or upsert: ``services.instruments.redeem_token``, since instruments build on tokens) marks it used
and makes a payment instrument for that customer, billed to the token's address or else the
customer's primary address.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..cards import brand_of
from ..gateway import card_profile
from ..ids import format_time
from ..problems import NotFound, ValidationFailed
from ..store import Transaction
from .contacts import build_contact
from .context import Context
from .listing import Page, list_documents
from .paging import ListQuery
from .tables import CARD_PROFILES, TOKENS

__all__ = ("TOKEN_LIFETIME", "create_token", "get_token", "list_tokens", "take_token")

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
