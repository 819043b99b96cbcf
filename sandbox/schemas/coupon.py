"""The bodies of the coupon routes: a coupon (``POST /coupons``, ``PUT /coupons/{id}``), its
expiration (``POST /coupons/{id}/expiration``) and a redemption (``POST /coupons-redemptions``),
and what those routes answer, for the OpenAPI document.

A discount and each restriction are one of several shapes told apart by ``type`` (Rebilly's
discriminator), so one field (``ByType``) picks the schema by that member and reports the
chosen schema's errors under the field's path. Restriction types the sandbox does not simulate
are refused by name rather than stored and ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from .base import RequestSchema, StrictBoolean, StrictInteger, Text
from .bounded import BoundedList
from .invoice import Moment
from .plan import CURRENCY, MAX_PRICE, MAX_QUANTITY, Price
from .responses import AnswerSchema, links, text, timestamp
from .transaction import RESOURCE_ID

__all__ = ("CouponSchema", "CouponExpirationSchema", "RedemptionSchema",
           "CouponResponseSchema", "RedemptionResponseSchema", "COUPON_STATUSES",
           "DISCOUNT_CONTEXTS", "NOT_SIMULATED_RESTRICTIONS")

COUPON_STATUSES = ("draft", "issued", "expired")
DISCOUNT_CONTEXTS = ("items", "shipping", "items-and-shipping")
#: Ids one restriction may list, and restrictions one coupon may hold (the sandbox's own bounds:
#: Rebilly declares none; one of each type makes 15 at most).
MAX_RESTRICTION_IDS = 1000
MAX_RESTRICTIONS = 20
#: Restriction types Rebilly has that the sandbox refuses, each with why.
NOT_SIMULATED_RESTRICTIONS = {
    "restrict-to-countries": "Not simulated by the sandbox: it has no billing-country rules.",
    "restrict-to-exclusive-application": "Not simulated by the sandbox: discounts always "
                                         "combine, in redemption order.",
    "restrict-to-bxgy": "Not simulated by the sandbox: it adds no free lines to invoices.",
}


def _identifier(**kwargs: Any) -> Text:
    return Text(50, pattern=RESOURCE_ID, pattern_message="Must be an id.", **kwargs)


def _ids() -> BoundedList:
    return BoundedList(_identifier(allow_none=False), max_items=MAX_RESTRICTION_IDS,
                       required=True, validate=validate.Length(min=1))


def _kind(name: str) -> fields.String:
    return fields.String(required=True, validate=validate.Equal(name))


def _quantity(**kwargs: Any) -> StrictInteger:
    return StrictInteger(validate=validate.Range(min=1, max=MAX_QUANTITY), **kwargs)


class ByType(fields.Field):
    """An object whose ``type`` member picks the schema that loads it (Rebilly's
    ``discriminator``); a type in ``refused`` is a 422 with its reason."""

    def __init__(self, schemas: Mapping[str, type[RequestSchema]],
                 refused: Mapping[str, str] | None = None, **kwargs: Any):
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {**kwargs["metadata"],
                              "oneOf": [_variant(name, schema) for name, schema in schemas.items()]}
        super().__init__(**kwargs)
        self.schemas = dict(schemas)
        self.refused = dict(refused or {})

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise ValidationError("Must be an object.")
        kind = value.get("type")
        if isinstance(kind, str) and kind in self.refused:
            raise ValidationError({"type": [self.refused[kind]]})
        schema = self.schemas.get(kind) if isinstance(kind, str) else None
        if schema is None:
            raise ValidationError({"type": [f"Must be one of: {', '.join(self.schemas)}."]})
        return schema().load(value)


def _variant(name: str, schema: type[RequestSchema]) -> dict[str, Any]:
    """A variant's outline for the OpenAPI document: its members and which are required."""
    loaded = schema().load_fields
    return {"type": "object", "title": name,
            "required": [key for key, field in loaded.items() if field.required],
            "properties": {key: ({"type": "string", "enum": [name]} if key == "type" else {})
                           for key in loaded}}


class PercentDiscountSchema(RequestSchema):
    type = _kind("percent")
    value = Price(required=True, validate=validate.Range(min=0.01, max=100))
    context = fields.String(load_default="items", validate=validate.OneOf(DISCOUNT_CONTEXTS))


class FixedDiscountSchema(RequestSchema):
    type = _kind("fixed")
    amount = Price(required=True, validate=validate.Range(min=0.01, max=MAX_PRICE))
    currency = fields.String(required=True, validate=validate.Regexp(
        CURRENCY, error="Must be a 3-letter ISO 4217 currency code in capitals."))
    context = fields.String(load_default="items", validate=validate.OneOf(DISCOUNT_CONTEXTS))


class QuantitySchema(RequestSchema):
    quantity = _quantity(required=True)


class DiscountsPerRedemptionSchema(QuantitySchema):
    type = _kind("discounts-per-redemption")


class RedemptionsPerCustomerSchema(QuantitySchema):
    type = _kind("redemptions-per-customer")


class TotalRedemptionsSchema(QuantitySchema):
    type = _kind("total-redemptions")


class OrderAmountSchema(RequestSchema):
    amount = Price(required=True)
    currency = fields.String(required=True, validate=validate.Regexp(
        CURRENCY, error="Must be a 3-letter ISO 4217 currency code in capitals."))


class MinimumOrderAmountSchema(OrderAmountSchema):
    type = _kind("minimum-order-amount")


class MaximumOrderAmountSchema(OrderAmountSchema):
    type = _kind("maximum-order-amount")


class PaidByTimeSchema(RequestSchema):
    type = _kind("paid-by-time")
    time = Moment(required=True, allow_none=False)


class RestrictToCustomersSchema(RequestSchema):
    type = _kind("restrict-to-customers")
    customerIds = _ids()


class RestrictToCustomerTagsSchema(RequestSchema):
    type = _kind("restrict-to-customer-tags")
    tags = BoundedList(Text(255, allow_none=False), max_items=MAX_RESTRICTION_IDS,
                       required=True, validate=validate.Length(min=1))
    requireAllTags = StrictBoolean(load_default=False)


class RestrictToInvoicesSchema(RequestSchema):
    type = _kind("restrict-to-invoices")
    invoiceIds = _ids()


class RestrictToPlansSchema(RequestSchema):
    type = _kind("restrict-to-plans")
    planIds = _ids()
    minimumQuantity = _quantity(load_default=1)


class RestrictToProductsSchema(RequestSchema):
    type = _kind("restrict-to-products")
    productIds = _ids()
    minimumQuantity = _quantity(load_default=1)


class RestrictToSubscriptionsSchema(RequestSchema):
    type = _kind("restrict-to-subscriptions")
    subscriptionIds = _ids()


#: The restrictions a redemption may add (Rebilly's ``RedemptionRestriction``).
REDEMPTION_RESTRICTIONS: dict[str, type[RequestSchema]] = {
    "discounts-per-redemption": DiscountsPerRedemptionSchema,
    "maximum-order-amount": MaximumOrderAmountSchema,
    "minimum-order-amount": MinimumOrderAmountSchema,
    "paid-by-time": PaidByTimeSchema,
    "restrict-to-invoices": RestrictToInvoicesSchema,
    "restrict-to-plans": RestrictToPlansSchema,
    "restrict-to-products": RestrictToProductsSchema,
    "restrict-to-subscriptions": RestrictToSubscriptionsSchema,
}
#: The restrictions a coupon may hold that the sandbox simulates.
COUPON_RESTRICTIONS: dict[str, type[RequestSchema]] = {
    **REDEMPTION_RESTRICTIONS,
    "redemptions-per-customer": RedemptionsPerCustomerSchema,
    "total-redemptions": TotalRedemptionsSchema,
    "restrict-to-customers": RestrictToCustomersSchema,
    "restrict-to-customer-tags": RestrictToCustomerTagsSchema,
}


def _restrictions(schemas: Mapping[str, type[RequestSchema]],
                  refused: Mapping[str, str] | None = None) -> BoundedList:
    return BoundedList(ByType(schemas, refused), max_items=MAX_RESTRICTIONS, allow_none=True)


def _one_of_each(restrictions: list[dict[str, Any]] | None, field: str) -> None:
    """:raises ValidationError: on ``field`` when a restriction type appears twice."""
    seen: set[str] = set()
    for restriction in restrictions or ():
        if restriction["type"] in seen:
            raise ValidationError(f"Holds {restriction['type']} more than once; each type may "
                                  "appear once.", field)
        seen.add(restriction["type"])


class CouponSchema(RequestSchema):
    SERVER_OWNED = frozenset({"id", "status", "redemptionsCount", "revision", "createdTime",
                              "updatedTime", "_links", "_embedded"})

    discount = ByType({"percent": PercentDiscountSchema, "fixed": FixedDiscountSchema},
                      required=True)
    restrictions = _restrictions(COUPON_RESTRICTIONS, NOT_SIMULATED_RESTRICTIONS)
    description = Text(1000, pattern=None)
    issuedTime = Moment(required=True, allow_none=False)
    expiredTime = Moment()

    @validates_schema(skip_on_field_errors=True)
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        _one_of_each(data.get("restrictions"), "restrictions")
        expired = data.get("expiredTime")
        if expired is not None and expired <= data["issuedTime"]:
            raise ValidationError("Must be later than issuedTime.", "expiredTime")


class ExpiredTime(Moment):
    """A date-time, or null or "" for now (Rebilly's text says so, its type says string)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if value == "":
            return None
        return super()._deserialize(value, attr, data, **kwargs)

    def _validate(self, value: Any) -> None:
        if value is not None:
            super()._validate(value)


class CouponExpirationSchema(RequestSchema):
    expiredTime = ExpiredTime(required=True, metadata={
        "description": "When the coupon expires; null or \"\" expires it now."})


class RedemptionSchema(RequestSchema):
    SERVER_OWNED = frozenset({"id", "canceledTime", "createdTime", "updatedTime", "_links",
                              "_embedded"})

    couponId = _identifier(required=True, allow_none=False)
    customerId = _identifier(required=True, allow_none=False)
    additionalRestrictions = _restrictions(
        REDEMPTION_RESTRICTIONS,
        {name: "Not a redemption restriction: set it on the coupon."
         for name in COUPON_RESTRICTIONS.keys() - REDEMPTION_RESTRICTIONS.keys()})

    @validates_schema(skip_on_field_errors=True)
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        _one_of_each(data.get("additionalRestrictions"), "additionalRestrictions")


# -- answers, for the OpenAPI document ------------------------------------------------------

class CouponResponseSchema(AnswerSchema):
    id = fields.String(required=True)
    discount = fields.Dict(required=True)
    restrictions = fields.List(fields.Dict(), required=True)
    description = text("The invoice discount line's text; null shows Coupon \"<id>\".")
    issuedTime = timestamp()
    expiredTime = timestamp(nullable=True)
    status = fields.String(required=True, validate=validate.OneOf(COUPON_STATUSES))
    redemptionsCount = fields.Integer(required=True)
    revision = fields.Integer(required=True)
    createdTime = timestamp()
    updatedTime = timestamp()
    links = links()


class RedemptionResponseSchema(AnswerSchema):
    id = fields.String(required=True)
    couponId = fields.String(required=True)
    customerId = fields.String(required=True)
    additionalRestrictions = fields.List(fields.Dict(), required=True)
    canceledTime = timestamp(nullable=True)
    createdTime = timestamp()
    updatedTime = timestamp()
    links = links()
