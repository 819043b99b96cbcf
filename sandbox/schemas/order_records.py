"""The bodies of an order's records: a cancellation (``POST``/``PUT
/subscription-cancellations``), a pause (``POST``/``PUT /subscription-pauses``) and a reactivation
(``POST /subscription-reactivations``), and, for the OpenAPI document only, what they answer.

Date-times arrive as ISO 8601 with a zone and leave in the sandbox's UTC form (``Moment``). A
pause's ``timeRemaining`` is an ISO 8601 duration of weeks, days, hours, minutes and seconds,
kept as a count of seconds in the form ``P864000S``: years and months have no fixed length.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, post_load, validate

from .base import RequestSchema, StrictBoolean, StrictInteger, Text
from .bounded import BoundedList
from .invoice import Moment
from .plan import CURRENCY, MAX_PRICE, MAX_QUANTITY, Price
from .responses import AnswerSchema, links, text, timestamp
from .transaction import RESOURCE_ID

__all__ = ("CancellationSchema", "PauseSchema", "ReactivationSchema",
           "CancellationResponseSchema", "PauseResponseSchema", "ReactivationResponseSchema",
           "CANCEL_REASONS", "CHURN_POLICIES", "DURATION", "MAX_LINE_ITEMS", "MAX_DURATION")

#: Rebilly's reasons for a cancellation (an order's ``cancelCategory`` takes the same value).
CANCEL_REASONS = ("did-not-use", "did-not-want", "missing-features", "bugs-or-problems",
                  "do-not-remember", "risk-warning", "contract-expired", "too-expensive",
                  "other", "billing-failure")
#: ``churnTimePolicy`` as Rebilly's enum spells it: the string "null" means no policy.
CHURN_POLICIES = ("null", "now", "at-next-renewal")
#: The statuses a cancellation can be created with; ``completed`` and ``revoked`` are the
#: server's to set.
CREATED_STATUSES = ("draft", "confirmed")
#: Extra lines one cancellation may carry (the sandbox's own bound: Rebilly declares none).
MAX_LINE_ITEMS = 100
#: The longest ``timeRemaining`` taken: 100 years of seconds.
MAX_DURATION = 100 * 366 * 86400
#: An ISO 8601 duration without years or months: ``P10D``, ``PT36H``, ``P864000S`` (Rebilly's
#: own example has seconds straight after the P; ``P1M`` stays a month, so it is refused).
DURATION = re.compile(r"P(?:(\d{1,12})W)?(?:(\d{1,12})D)?(?:T(?=\d)(?:(\d{1,12})H)?"
                      r"(?:(\d{1,12})M)?(?:(\d{1,12})S)?|(\d{1,12})S)?", re.ASCII)
_UNIT_SECONDS = (7 * 86400, 86400, 3600, 60, 1, 1)


def _identifier(**kwargs: Any) -> Text:
    return Text(50, pattern=RESOURCE_ID, pattern_message="Must be an id.", **kwargs)


class Duration(fields.String):
    """An ISO 8601 duration (weeks to seconds), loaded as the ``P<seconds>S`` form, or null."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("allow_none", True)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text_value = super()._deserialize(value, attr, data, **kwargs)
        match = DURATION.fullmatch(text_value)
        if match is None or text_value == "P":
            raise ValidationError("Must be an ISO 8601 duration of weeks, days, hours, minutes "
                                  "and seconds, such as P864000S or P10D.")
        seconds = sum(int(part) * unit for part, unit in zip(match.groups(), _UNIT_SECONDS,
                                                            strict=True) if part)
        if seconds > MAX_DURATION:
            raise ValidationError(f"Must be at most P{MAX_DURATION}S.")
        return f"P{seconds}S"


class LineItemSchema(RequestSchema):
    """An extra charge or credit for the cancellation's invoice."""

    type = fields.String(required=True, validate=validate.OneOf(["debit", "credit"]))
    unitPriceAmount = Price(required=True)
    unitPriceCurrency = fields.String(required=True, validate=validate.Regexp(
        CURRENCY, error="Must be a 3-letter ISO 4217 currency code in capitals."))
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))
    description = Text(1000, pattern=None)
    periodStartTime = Moment()
    periodEndTime = Moment()

    @post_load
    def _bounded(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if data["unitPriceAmount"] * data["quantity"] > MAX_PRICE:
            raise ValidationError(f"unitPriceAmount × quantity must be at most {MAX_PRICE}.",
                                  "quantity")
        return data


class CancellationSchema(RequestSchema):
    SERVER_OWNED = frozenset({"id", "lineItemSubtotal", "proratedInvoiceId", "appliedInvoiceId",
                              "canceledTime", "createdTime", "updatedTime", "_links",
                              "_embedded"})

    subscriptionId = _identifier(required=True, allow_none=False)
    churnTimePolicy = fields.String(allow_none=True, validate=validate.OneOf(CHURN_POLICIES))
    churnTime = Moment()
    status = fields.String(load_default="confirmed", validate=validate.OneOf(
        CREATED_STATUSES, error="Must be draft or confirmed: completed and revoked are set by "
                                "the sandbox."))
    canceledBy = fields.String(load_default="customer", validate=validate.OneOf(
        ["merchant", "customer", "rebilly"]))
    reason = fields.String(load_default="other", validate=validate.OneOf(CANCEL_REASONS))
    description = Text(255, pattern=None)
    prorated = StrictBoolean(load_default=False)
    lineItems = BoundedList(fields.Nested(LineItemSchema), max_items=MAX_LINE_ITEMS,
                            allow_none=True)

    @post_load
    def _policy(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """The string "null", JSON null and no policy at all mean the same: none."""
        if data.get("churnTimePolicy") == "null":
            data["churnTimePolicy"] = None
        data["lineItems"] = data.get("lineItems") or []
        return data


class PauseSchema(RequestSchema):
    SERVER_OWNED = frozenset({"id", "status", "createdTime", "updatedTime", "_links",
                              "_embedded"})

    subscriptionId = _identifier(required=True, allow_none=False)
    pausedBy = fields.String(load_default="customer", validate=validate.OneOf(
        ["merchant", "customer"]))
    description = Text(255, pattern=None)
    effectiveTime = Moment()
    endTime = Moment()
    timeRemaining = Duration()


class ReactivationSchema(RequestSchema):
    SERVER_OWNED = frozenset({"id", "cancellationId", "createdTime", "updatedTime", "_links",
                              "_embedded"})

    subscriptionId = _identifier(required=True, allow_none=False)
    description = Text(255, pattern=None)
    effectiveTime = Moment()
    renewalTime = Moment()
    paymentInstrumentId = _identifier()


# -- answers, for the OpenAPI document only ---------------------------------------------------

def _time(description: str | None = None) -> fields.String:
    metadata = {"format": "date-time", **({"description": description} if description else {})}
    return fields.String(required=True, allow_none=True, metadata=metadata)


class LineItemResponseSchema(AnswerSchema):
    type = fields.String(required=True, validate=validate.OneOf(["debit", "credit"]))
    unitPriceAmount = fields.Float(required=True)
    unitPriceCurrency = fields.String(required=True)
    quantity = fields.Integer(required=True)
    description = text()
    periodStartTime = _time()
    periodEndTime = _time()


class SubtotalResponseSchema(AnswerSchema):
    amount = fields.Float(required=True)
    currency = fields.String(required=True)


class CancellationResponseSchema(AnswerSchema):
    id = fields.String(required=True)
    subscriptionId = fields.String(required=True)
    churnTimePolicy = fields.String(required=True, allow_none=True, validate=validate.OneOf(
        ["now", "at-next-renewal"]), metadata={"description": "As sent; null for no policy."})
    churnTime = _time("When the order churns (or churned).")
    status = fields.String(required=True, validate=validate.OneOf(
        ["draft", "confirmed", "completed", "revoked"]))
    canceledBy = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(CANCEL_REASONS))
    description = text()
    prorated = fields.Boolean(required=True)
    lineItems = fields.List(fields.Nested(LineItemResponseSchema), required=True)
    lineItemSubtotal = fields.Nested(SubtotalResponseSchema, required=True, metadata={
        "description": "Debits less credits, in the order's currency."})
    proratedInvoiceId = text("With prorated, the order's most recent invoice (the period cut "
                             "short).")
    appliedInvoiceId = text("The cancellation invoice holding the proration credit and the "
                            "lineItems, when there is one.")
    canceledTime = _time("When it was confirmed; null for a draft.")
    createdTime = timestamp()
    updatedTime = timestamp()
    links = links()


class PauseResponseSchema(AnswerSchema):
    id = fields.String(required=True)
    subscriptionId = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(
        ["pending", "ongoing", "revoked", "finished"]))
    pausedBy = fields.String(required=True)
    description = text()
    effectiveTime = _time()
    endTime = _time()
    timeRemaining = text("Whole seconds in the form P864000S; null until the pause starts "
                         "unless it was sent.")
    createdTime = timestamp()
    updatedTime = timestamp()
    links = links()


class ReactivationResponseSchema(AnswerSchema):
    id = fields.String(required=True)
    subscriptionId = fields.String(required=True)
    cancellationId = text()
    description = text()
    renewalTime = _time("The order's renewal time after the reactivation.")
    createdTime = timestamp()
    updatedTime = timestamp()
    links = links()
