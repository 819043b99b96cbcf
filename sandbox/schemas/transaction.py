"""Transaction request bodies: create, refund, update (offsite result) and patch (customFields).

Rebilly's limits are declared here; a ``null`` is accepted only where Rebilly's type is nullable
and is otherwise a 422 naming the member. ``paymentInstruction`` is read as an object here and
checked in detail by the payment-instruments service, which knows every form it takes.
"""

from __future__ import annotations

import ipaddress
import math
import re
from typing import Any

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from .base import RequestSchema, StrictBoolean, StrictInteger, Text
from .bounded import BoundedList
from .contact import ContactSchema
from .token import PaymentCardSchema

__all__ = ("TransactionSchema", "RefundSchema", "TransactionUpdateSchema",
           "TransactionPatchSchema", "MAX_AMOUNT", "TRANSACTION_TYPES", "OFFSITE_RESULTS")

TRANSACTION_TYPES = ("sale", "authorize", "setup")
OFFSITE_RESULTS = ("abandoned", "approved", "canceled", "declined")
CURRENCY = re.compile(r"^[A-Z]{3}$")
REQUEST_ID = re.compile(r"^[\-\w]+$", re.ASCII)
RESOURCE_ID = re.compile(r"^[@~\-.\w]+$", re.ASCII)
#: The largest amount the sandbox takes (Rebilly declares none): sums of amounts stay exact
#: enough in binary floating point and never overflow.
MAX_AMOUNT = 1_000_000_000_000
#: Headers and extra-data members one ``riskMetadata`` may carry.
MAX_RISK_MEMBERS = 100


class Amount(fields.Number):
    """A JSON number above 0 and at most ``MAX_AMOUNT`` (never a string, boolean or NaN).

    Only a float is asked whether it is finite: an integer is compared as it is, because one
    too large for a float (``10**400``) would overflow on the way.
    """

    num_type = float

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float | int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError("Must be a number.")
        if isinstance(value, float) and not math.isfinite(value) or value <= 0:
            raise ValidationError("Must be a number greater than 0.")
        if value > MAX_AMOUNT:
            raise ValidationError(f"Must be at most {MAX_AMOUNT}.")
        return value


class Currency(fields.String):
    """An ISO 4217 code: three capital letters."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not CURRENCY.fullmatch(text):
            raise ValidationError("Must be a 3-letter ISO 4217 currency code in capitals.")
        return text


class ResultUrl(fields.Url):
    """``redirectUrl`` / ``notificationUrl``: an absolute URL of at most 2083 characters, which
    may hold the ``{id}`` and ``{result}`` placeholders."""

    def __init__(self) -> None:
        super().__init__(allow_none=True, require_tld=False, schemes={"http", "https"},
                         validate=validate.Length(max=2083))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        filled = value.replace("{id}", "id").replace("{result}", "result")
        super()._deserialize(filled, attr, data, **kwargs)
        return value


class StringMap(fields.Dict):
    """An object of short text values with a bounded number of members."""

    def __init__(self, **kwargs: Any):
        super().__init__(keys=fields.String(validate=validate.Length(max=255)),
                         values=fields.String(validate=validate.Length(max=8192)), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict:
        if isinstance(value, dict) and len(value) > MAX_RISK_MEMBERS:
            raise ValidationError(f"Must have at most {MAX_RISK_MEMBERS} members.")
        return super()._deserialize(value, attr, data, **kwargs)


class IpAddress(fields.String):
    """An IPv4 or IPv6 address, kept as the text sent."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            ipaddress.ip_address(text)
        except ValueError:
            raise ValidationError("Must be an IPv4 or IPv6 address.") from None
        return text


class BrowserDataSchema(RequestSchema):
    colorDepth = StrictInteger(required=True, validate=validate.Range(1, 48))
    isJavaEnabled = StrictBoolean(required=True)
    language = Text(8, required=True, allow_none=False)
    screenWidth = StrictInteger(required=True, validate=validate.Range(0, 65535))
    screenHeight = StrictInteger(required=True, validate=validate.Range(0, 65535))
    timeZoneOffset = StrictInteger(required=True, validate=validate.Range(-1410, 1410))
    isAdBlockEnabled = StrictBoolean()


class RiskMetadataSchema(RequestSchema):
    """What the client sends of ``riskMetadata``; the scored members are the server's."""

    SERVER_OWNED = frozenset({"isVpn", "isProxy", "isTor", "isHosting", "hasMismatchedTimeZone",
                              "hasMismatchedBillingAddressCountry", "hasMismatchedBankCountry",
                              "hasMismatchedHolderName", "isHighRiskCountry", "distance",
                              "score", "velocity", "paymentInstrumentVelocity",
                              "emailVelocity", "isTrustedBrowser", "country", "region",
                              "city", "isp", "postalCode", "latitude", "longitude"})

    ipAddress = IpAddress(allow_none=True)
    fingerprint = Text(50, allow_none=True, pattern=None)
    httpHeaders = StringMap(allow_none=True)
    browserData = fields.Nested(BrowserDataSchema, allow_none=True)
    extraData = StringMap(allow_none=True)


class PaymentInstructionSchema(RequestSchema):
    """``paymentInstruction``: a token, a stored instrument, or a plain card (one of them)."""

    token = Text(50, allow_none=False, pattern=RESOURCE_ID, pattern_message="Must be a token id.")
    paymentInstrumentId = Text(50, allow_none=False, pattern=RESOURCE_ID,
                               pattern_message="Must be a payment instrument id.")
    method = fields.String(validate=validate.OneOf(
        ["payment-card"], error="The sandbox takes payment-card instructions only."))
    pan = fields.String()
    cvv = fields.String(validate=validate.Regexp(r"^[0-9]{3,4}\Z", error="Must be 3 or 4 digits."))
    expMonth = StrictInteger(validate=validate.Range(1, 12))
    expYear = StrictInteger(validate=validate.Range(2000, 2100))
    billingAddress = fields.Nested(ContactSchema)

    @validates("pan")
    def _card_number(self, pan: str, **kwargs: Any) -> None:
        PaymentCardSchema._card_number(self, pan)

    @validates_schema(skip_on_field_errors=True)
    def _one_form(self, data: dict[str, Any], **kwargs: Any) -> None:
        forms = [name for name in ("token", "paymentInstrumentId", "pan") if name in data]
        if len(forms) != 1:
            raise ValidationError("Send exactly one of token, paymentInstrumentId or a card "
                                  "(pan, expMonth, expYear).")
        if forms == ["pan"]:
            missing = {name: ["Missing data for required field."]
                       for name in ("expMonth", "expYear") if name not in data}
            if missing:
                raise ValidationError(missing)


class TransactionSchema(RequestSchema):
    """The body of ``POST /transactions``."""

    SERVER_OWNED = frozenset({
        "id", "status", "result", "purchaseAmount", "purchaseCurrency", "requestAmount",
        "requestCurrency", "childTransactions", "parentTransactionId", "createdTime",
        "updatedTime", "revision", "gateway", "gatewayName", "organizationId", "bin", "has3ds",
        "3ds", "paymentInstrument", "_links", "_embedded",
    })

    type = fields.String(required=True, validate=validate.OneOf(TRANSACTION_TYPES))
    websiteId = Text(50, required=True, allow_none=False, pattern=RESOURCE_ID,
                     pattern_message="Must hold only letters, digits and @ ~ - . _")
    customerId = Text(50, required=True, allow_none=False, pattern=RESOURCE_ID,
                      pattern_message="Must hold only letters, digits and @ ~ - . _")
    currency = Currency(required=True)
    amount = Amount(required=True)
    upsertCustomer = StrictBoolean(load_default=False)
    paymentInstruction = fields.Nested(PaymentInstructionSchema)
    billingAddress = fields.Nested(ContactSchema, allow_none=True)
    requestId = Text(50, allow_none=True, pattern=REQUEST_ID,
                     pattern_message="Must hold only letters, digits, - and _")
    gatewayAccountId = Text(50, allow_none=True, pattern=None)
    description = Text(255, allow_none=True, pattern=None)
    notificationUrl = ResultUrl()
    redirectUrl = ResultUrl()
    invoiceIds = BoundedList(Text(50, allow_none=False, pattern=RESOURCE_ID,
                                  pattern_message="Must be a resource id."),
                             max_items=100, allow_none=True)
    customFields = fields.Dict(keys=fields.String(), load_default=dict)
    riskMetadata = fields.Nested(RiskMetadataSchema, allow_none=True)
    isProcessedOutside = StrictBoolean(load_default=False)
    isMerchantInitiated = StrictBoolean(load_default=False)


class RefundSchema(RequestSchema):
    """The body of ``POST /transactions/{id}/refund``."""

    amount = Amount(required=True)
    description = Text(255, allow_none=False, pattern=None)
    isProcessedOutside = StrictBoolean(load_default=False)


class TransactionUpdateSchema(RequestSchema):
    """The body of ``POST /transactions/{id}/update``: the offsite step's result."""

    result = fields.String(required=True, validate=validate.OneOf(OFFSITE_RESULTS))
    amount = Amount()
    currency = Currency()


class TransactionPatchSchema(RequestSchema):
    """The body of ``PATCH /transactions/{id}``: only customFields may change."""

    customFields = fields.Dict(keys=fields.String())
