"""Payment instrument request bodies: ``POST /payment-instruments`` and its ``PATCH``.

The create body is one of two forms, told apart by ``token``: a token with ``customerId``, or a
plain card (``method: payment-card`` with ``pan``, expiry and ``billingAddress``). Rebilly's
PATCH body is a ``oneOf`` of three overlapping forms (token, card, bank account) that ``{}`` alone
matches thrice, so it is read as their union and the service applies what fits the instrument.
A ``null`` is accepted only where Rebilly's type is nullable (``stickyGatewayAccountId``).
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from ..cards import luhn_valid
from .base import RequestSchema, StrictBoolean, StrictInteger, Text
from .contact import ContactSchema
from .token import DIGITS

__all__ = ("InstrumentCreateSchema", "InstrumentPatchSchema")

#: Members a plain card must send (the token form takes them from the token).
_PLAIN_CARD_REQUIRED = ("method", "pan", "expMonth", "expYear", "billingAddress")
#: Members only a plain card may send.
_PLAIN_CARD_ONLY = ("method", "pan", "cvv", "expMonth", "expYear", "billingAddress")
#: Why another method is refused; a card member missing for want of a card fails with it too.
CARDS_ONLY = "The sandbox stores payment cards only (method payment-card)."
#: Members the server owns on an instrument, dropped when a client sends them back.
_SERVER_OWNED = frozenset({
    "id", "status", "fingerprint", "bin", "last4", "fpanLast4", "brand", "bankCountry",
    "bankName", "isPayoutable", "billingPortalUrl", "createdTime", "updatedTime",
    "lastPaymentTime", "expirationReminderTime", "expirationReminderNumber", "digitalWallet",
    "revision", "_links", "_embedded",
})


def _cvv() -> fields.String:
    return fields.String(validate=validate.Regexp(r"^[0-9]{3,4}\Z", error="Must be 3 or 4 digits."))


class InstrumentCreateSchema(RequestSchema):
    """``POST /payment-instruments``: the token form or the plain card form."""

    SERVER_OWNED = _SERVER_OWNED

    customerId = Text(50, pattern=None, required=True, allow_none=False)
    token = Text(50, pattern=None, allow_none=False)
    method = fields.String(validate=validate.OneOf(["payment-card"], error=CARDS_ONLY))
    pan = fields.String()
    cvv = _cvv()
    expMonth = StrictInteger(validate=validate.Range(1, 12))
    expYear = StrictInteger(validate=validate.Range(2000, 2100))
    billingAddress = fields.Nested(ContactSchema)
    customFields = fields.Dict(keys=fields.String())
    useAsBackup = StrictBoolean()
    riskMetadata = fields.Dict(keys=fields.String())

    @validates("pan")
    def _card_number(self, pan: str, **kwargs: Any) -> None:
        if not DIGITS.fullmatch(pan) or not 12 <= len(pan) <= 19:
            raise ValidationError("Must be a card number of 12 to 19 digits, without spaces.")
        if not luhn_valid(pan):
            raise ValidationError("Not a valid card number (Luhn check failed).")

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _one_form(self, data: dict[str, Any], original_data: Any, **kwargs: Any) -> None:
        if not isinstance(original_data, dict):
            return
        if "token" in original_data:
            sent = [name for name in _PLAIN_CARD_ONLY if name in original_data]
            if sent:
                raise ValidationError({name: ["Not allowed with a token: send a token or a "
                                              "card, not both."] for name in sent})
            return
        missing = [name for name in _PLAIN_CARD_REQUIRED if name not in original_data]
        if missing:
            raise ValidationError({name: [_missing_card_member(original_data)]
                                   for name in missing})


def _missing_card_member(body: dict[str, Any]) -> str:
    """A bank account or PayPal body lacks the card members because it is not a card: the same
    reason as its ``method``, so the 422's detail can name it."""
    method = body.get("method")
    if isinstance(method, str) and method != "payment-card":
        return CARDS_ONLY
    return "Missing data for required field (send a token or a card)."


class InstrumentPatchSchema(RequestSchema):
    """``PATCH /payment-instruments/{id}``: the union of the token, card and bank-account forms."""

    SERVER_OWNED = _SERVER_OWNED | {"customerId", "method"}

    token = Text(50, pattern=None, allow_none=False)
    cvv = _cvv()
    expMonth = StrictInteger(validate=validate.Range(1, 12))
    expYear = StrictInteger(validate=validate.Range(2000, 2100))
    billingAddress = fields.Nested(ContactSchema)
    stickyGatewayAccountId = Text(50, pattern=None)
    customFields = fields.Dict(keys=fields.String())
    useAsBackup = StrictBoolean()
    bankName = Text(255, pattern=None, allow_none=False)
    accountType = fields.String(validate=validate.OneOf(["checking", "savings", "other"]))
