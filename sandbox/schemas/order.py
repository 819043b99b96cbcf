"""The bodies of the order routes: an order (``POST /subscriptions``, ``PUT /subscriptions/{id}``)
and an item change (``POST /subscriptions/{id}/change-items``).

One schema takes both order types, as Rebilly's ``oneOf`` is told apart by ``orderType``: a
one-time order keeps none of a subscription's recurring members (they are dropped). An item's
``plan`` is ``{id}`` (a stored plan) or a whole plan with an ``id`` (an inline plan, this order's
own copy), validated as ``POST /plans`` validates one.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from .base import RequestSchema, StrictBoolean, StrictInteger, Text
from .bounded import BoundedList
from .contact import ContactSchema
from .invoice import Moment
from .plan import PlanSchema
from .transaction import RESOURCE_ID

__all__ = ("OrderSchema", "ItemChangeSchema", "ORDER_TYPES", "RECURRING_MEMBERS", "MAX_ITEMS",
           "MAX_COUPONS")

ORDER_TYPES = ("subscription-order", "one-time-order")
#: Items one order may hold (the sandbox's own bound: Rebilly declares none).
MAX_ITEMS = 100
#: Coupons one order may name (the sandbox's own bound).
MAX_COUPONS = 20
#: Rebilly's bound on an order item's quantity.
MAX_ORDER_QUANTITY = 1_000_000_000
#: What a one-time order has none of.
RECURRING_MEMBERS = ("trial", "isTrialOnly", "startTime", "renewalTime", "autopay",
                     "paymentInstrumentId", "recurringInterval", "invoiceTimeShift",
                     "delinquencyPeriod")
#: An ISO 8601 duration of days, hours, minutes and seconds (``P7D``, ``PT36H``).
DURATION = re.compile(r"^P(?=\d|T\d)(\d{1,5}D)?(T(?=\d)(\d{1,6}H)?(\d{1,8}M)?(\d{1,9}S)?)?$")
_PLAN_OWNED = frozenset({"currencySign", "revision", "isTrialOnly", "createdTime", "updatedTime",
                         "invoiceTimeShift", "_links", "_embedded"})


def _identifier(**kwargs: Any) -> Text:
    return Text(50, pattern=RESOURCE_ID, pattern_message="Must be an id.", **kwargs)


class ItemPlan(fields.Field):
    """``{id}`` naming a stored plan, or a whole plan with its ``id`` (an inline plan)."""

    _id = _identifier(required=True, allow_none=False)
    _plan = PlanSchema()

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ValidationError("Must be an object: {id} or a whole plan with an id.")
        if value.get("id") is None:
            raise ValidationError({"id": ["Missing data for required field."]})
        try:
            plan_id = self._id.deserialize(value["id"])
        except ValidationError as error:
            raise ValidationError({"id": error.messages}) from None
        rest = {key: member for key, member in value.items()
                if key != "id" and key not in _PLAN_OWNED}
        if not rest:
            return {"id": plan_id}
        return {"id": plan_id, **self._plan.load(rest), "inline": True}


class OrderItemSchema(RequestSchema):
    SERVER_OWNED = frozenset({"id", "usageStatus", "revision", "isModified", "isGrandfathered",
                              "quantityFilled", "_links", "_embedded"})

    plan = ItemPlan()
    planId = _identifier()
    quantity = StrictInteger(allow_none=True, load_default=1,
                             validate=validate.Range(min=0, max=MAX_ORDER_QUANTITY))
    usageLimits = fields.Dict(allow_none=True)
    excludeFromMrr = StrictBoolean(load_default=False)

    @post_load
    def _plan(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """``planId`` (deprecated) stands for ``plan: {id}``; a null quantity means 1."""
        if data.get("plan") is None:
            if data.get("planId") is None:
                raise ValidationError({"plan": ["Missing data for required field."]})
            data["plan"] = {"id": data["planId"]}
        data.pop("planId", None)
        if data.get("quantity") is None:
            data["quantity"] = 1
        return data


class OrderTrialSchema(RequestSchema):
    enabled = StrictBoolean(required=True)
    endTime = Moment()

    @validates_schema(skip_on_field_errors=True)
    def _end(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["enabled"] and data.get("endTime") is None:
            raise ValidationError("Required when the trial is enabled.", "endTime")


class OrderSchema(RequestSchema):
    SERVER_OWNED = frozenset({
        "id", "status", "billingStatus", "inTrial", "trialConversionTime", "currency",
        "currentPeriodStart", "currentPeriodEnd", "rebillNumber", "churnTime", "activationTime",
        "voidTime", "canceledTime", "canceledBy", "cancelCategory", "cancelDescription",
        "initialInvoiceId", "recentInvoiceId", "renewalReminderTime", "renewalReminderNumber",
        "abandonReminderTime", "abandonReminderNumber", "mrr", "lineItems", "lineItemSubtotal",
        "billingPortalToken", "organizationId", "revision", "createdTime", "updatedTime",
        "_links", "_embedded"})

    orderType = fields.String(required=True, validate=validate.OneOf(ORDER_TYPES))
    customerId = _identifier(required=True, allow_none=False)
    websiteId = _identifier(required=True, allow_none=False)
    items = BoundedList(fields.Nested(OrderItemSchema), max_items=MAX_ITEMS, required=True,
                        validate=validate.Length(min=1, error="Must hold at least one item."))
    trial = fields.Nested(OrderTrialSchema, allow_none=True)
    isTrialOnly = StrictBoolean(load_default=False)
    startTime = Moment()
    renewalTime = Moment()
    abandonTime = Moment()
    autopay = StrictBoolean(load_default=True)
    paymentInstrumentId = _identifier(allow_none=True)
    recurringInterval = fields.Dict(allow_none=True)
    invoiceTimeShift = fields.Dict(allow_none=True)
    billingAddress = fields.Nested(ContactSchema, allow_none=True)
    deliveryAddress = fields.Nested(ContactSchema, allow_none=True)
    delinquencyPeriod = fields.String(allow_none=True, validate=validate.Regexp(
        DURATION, error="Must be an ISO 8601 duration of days and time (P7D, PT36H)."))
    couponIds = BoundedList(_identifier(allow_none=False), max_items=MAX_COUPONS,
                            allow_none=True)
    poNumber = Text(50, pattern=None)
    notes = Text(65535, pattern=None)
    shipping = fields.Dict(allow_none=True)
    riskMetadata = fields.Dict(allow_none=True)
    customFields = fields.Dict(keys=fields.String(), allow_none=True)

    @post_load
    def _one_time(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """A one-time order keeps none of a subscription's recurring members."""
        if data["orderType"] == "one-time-order":
            for name in RECURRING_MEMBERS:
                data.pop(name, None)
        return data


class ItemChangeSchema(RequestSchema):
    items = BoundedList(fields.Nested(OrderItemSchema), max_items=MAX_ITEMS, required=True,
                        validate=validate.Length(min=1, error="Must hold at least one item."))
    renewalPolicy = fields.String(required=True, validate=validate.OneOf(
        ("resetToRecurring", "retainRecurring", "retainTrialThenRecurring", "retainTrialOnly",
         "reset", "retain")))
    prorated = StrictBoolean(required=True)
    effectiveTime = Moment()
    preview = StrictBoolean(load_default=False)
    keepTrial = StrictBoolean()
    ignoreRecurring = StrictBoolean()
