"""The payment-card token request body of ``POST /tokens``."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, validate, validates

from ..cards import luhn_valid
from .base import RequestSchema, StrictInteger, Text
from .contact import ContactSchema
from .customer import LeadSourceSchema

__all__ = ("TokenSchema", "PaymentCardSchema")

DIGITS = re.compile(r"[0-9]+")


class PaymentCardSchema(RequestSchema):
    SERVER_OWNED = frozenset({"bin", "last4", "brand"})

    pan = fields.String(required=True)
    cvv = fields.String(validate=validate.Regexp(r"^[0-9]{3,4}\Z", error="Must be 3 or 4 digits."))
    expMonth = StrictInteger(required=True, validate=validate.Range(1, 12))
    expYear = StrictInteger(required=True, validate=validate.Range(2000, 2100))
    encryptedCvv = Text(255, pattern=None)

    @validates("pan")
    def _card_number(self, pan: str, **kwargs: Any) -> None:
        if not DIGITS.fullmatch(pan) or not 12 <= len(pan) <= 19:
            raise ValidationError("Must be a card number of 12 to 19 digits, without spaces.")
        if not luhn_valid(pan):
            raise ValidationError("Not a valid card number (Luhn check failed).")


class TokenSchema(RequestSchema):
    SERVER_OWNED = frozenset({"id", "isUsed", "usageTime", "expirationTime", "createdTime",
                              "updatedTime", "_links"})

    method = fields.String(required=True, validate=validate.OneOf(
        ["payment-card"], error="The sandbox makes payment-card tokens only."))
    paymentInstrument = fields.Nested(PaymentCardSchema, required=True)
    billingAddress = fields.Nested(ContactSchema)
    leadSource = fields.Nested(LeadSourceSchema)
    riskMetadata = fields.Dict(allow_none=True)
