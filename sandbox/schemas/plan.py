"""The body of ``POST /plans`` and ``PUT /plans/{id}``: one of Rebilly's three kinds of plan.

The kind follows from the body, as Rebilly's ``oneOf`` has no discriminator: a
``recurringInterval`` makes a subscription plan, else a ``trial`` makes a trial-only plan (which
has no ``pricing``), else it is a one-time sale. Each pricing formula names the members it
needs; brackets are read with absolute upper bounds (``services.pricing``), so theirs must rise.
"""

from __future__ import annotations

import math
import re
from typing import Any

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from ..services.pricing import BRACKET_FORMULAS, FORMULAS
from .base import RequestSchema, StrictBoolean, StrictInteger, Text
from .bounded import BoundedList

__all__ = ("PlanSchema", "PricingSchema", "MAX_PRICE", "MAX_QUANTITY",
           "plan_kind")

CURRENCY = re.compile(r"^[A-Z]{3}$")
#: The largest price the sandbox takes (Rebilly declares none): totals stay exact and bounded.
MAX_PRICE = 1_000_000_000_000
#: Rebilly's bound on every plan quantity.
MAX_QUANTITY = 999_999_999
#: Brackets one formula may hold (the sandbox's own bound: Rebilly declares none).
MAX_BRACKETS = 100
PERIOD_UNITS = ("day", "week", "month", "year")


class Price(fields.Number):
    """A JSON number from 0 to ``MAX_PRICE`` (never a string, boolean, NaN or infinity)."""

    num_type = float

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float | int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError("Must be a number.")
        if isinstance(value, float) and not math.isfinite(value) or value < 0:
            raise ValidationError("Must be a number of 0 or more.")
        if value > MAX_PRICE:
            raise ValidationError(f"Must be at most {MAX_PRICE}.")
        return value


def quantity(**kwargs: Any) -> StrictInteger:
    return StrictInteger(allow_none=True, load_default=None,
                         validate=validate.Range(min=1, max=MAX_QUANTITY), **kwargs)


class BracketSchema(RequestSchema):
    price = Price(required=True)
    maxQuantity = quantity()


class PricingSchema(RequestSchema):
    formula = fields.String(required=True, validate=validate.OneOf(FORMULAS))
    price = Price()
    minQuantity = quantity()
    maxQuantity = quantity()
    brackets = BoundedList(fields.Nested(BracketSchema), max_items=MAX_BRACKETS)

    @validates_schema(skip_on_field_errors=True)
    def _formula_members(self, data: dict[str, Any], **kwargs: Any) -> None:
        formula = data["formula"]
        if formula in BRACKET_FORMULAS:
            _check_brackets(data)
        elif data.get("price") is None:
            raise ValidationError({"price": [f"A {formula} price needs a price."]})
        bounds = [data.get("minQuantity"), data.get("maxQuantity")]
        if formula == "flat-rate" and None not in bounds and bounds[0] > bounds[1]:
            raise ValidationError({"minQuantity": ["Must not be above maxQuantity."]})

    @post_load
    def _formula_shape(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Only the members the formula has: a fixed fee keeps no quantities, brackets no
        price of their own."""
        return {name: data.get(name) for name in _MEMBERS[data["formula"]]}


#: The members each formula keeps.
_MEMBERS = {"fixed-fee": ("formula", "price"),
            "flat-rate": ("formula", "price", "minQuantity", "maxQuantity"),
            **{formula: ("formula", "brackets", "minQuantity") for formula in BRACKET_FORMULAS}}


def _check_brackets(data: dict[str, Any]) -> None:
    brackets = data.get("brackets") or []
    if not brackets:
        raise ValidationError({"brackets": ["Must hold at least one bracket."]})
    errors: dict[Any, Any] = {}
    previous = 0
    for index, bracket in enumerate(brackets):
        bound = bracket.get("maxQuantity")
        if bound is None and index < len(brackets) - 1:
            errors[index] = {"maxQuantity": ["Only the last bracket may have no upper limit."]}
        elif bound is not None and bound <= previous:
            errors[index] = {"maxQuantity": ["Must be above the previous bracket's maxQuantity "
                                             "(an absolute upper bound)."]}
        previous = bound if bound is not None else previous
    minimum = data.get("minQuantity")
    last = brackets[-1].get("maxQuantity")
    if not errors and minimum is not None and last is not None and minimum > last:
        errors["minQuantity"] = ["Must not be above the last bracket's maxQuantity."]
    if errors:
        raise ValidationError({"brackets": errors} if "minQuantity" not in errors else errors)


class PeriodSchema(RequestSchema):
    unit = fields.String(required=True, validate=validate.OneOf(PERIOD_UNITS))
    length = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class RecurringIntervalSchema(PeriodSchema):
    limit = StrictInteger(allow_none=True, load_default=None,
                          validate=validate.Range(min=1, max=65535))
    billingTiming = fields.String(load_default="prepaid",
                                  validate=validate.OneOf(("prepaid", "postpaid")))


class TrialSchema(RequestSchema):
    price = Price(required=True)
    period = fields.Nested(PeriodSchema, required=True)


class SetupSchema(RequestSchema):
    price = Price(required=True)


def plan_kind(data: dict[str, Any]) -> str:
    """``subscription``, ``trial-only`` or ``one-time-sale``, from a loaded plan body."""
    if data.get("recurringInterval") is not None:
        return "subscription"
    return "trial-only" if data.get("trial") is not None else "one-time-sale"


class PlanSchema(RequestSchema):
    SERVER_OWNED = frozenset({"id", "currencySign", "revision", "isTrialOnly", "createdTime",
                              "updatedTime", "invoiceTimeShift", "_links", "_embedded"})

    name = Text(255, required=True, allow_none=False)
    description = Text(65535, pattern=None)
    richDescription = Text(65535, pattern=None)
    productId = Text(50, pattern=None, required=True, allow_none=False)
    productOptions = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True),
                                 allow_none=True, validate=validate.Length(max=MAX_BRACKETS))
    currency = fields.String(required=True, validate=validate.Regexp(
        CURRENCY, error="Must be a 3-letter ISO 4217 currency code in capitals."))
    setup = fields.Nested(SetupSchema, allow_none=True)
    isActive = StrictBoolean()
    customFields = fields.Dict(keys=fields.String())
    pricing = fields.Nested(PricingSchema, allow_none=True)
    recurringInterval = fields.Nested(RecurringIntervalSchema, allow_none=True)
    trial = fields.Nested(TrialSchema, allow_none=True)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _kind_members(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        """Checked beside any field's errors, so one answer names every failing field; a
        member that failed on its own is not blamed again."""
        sent = original if isinstance(original, dict) else {}
        if any(name in sent and name not in data for name in ("recurringInterval", "trial")):
            return  # the kind is unknown while its deciding member is invalid
        kind = plan_kind(data)
        if kind == "trial-only" and data.get("pricing") is not None:
            raise ValidationError({"pricing": [
                "A trial-only plan (a trial without a recurringInterval) has no pricing."]})
        if kind != "trial-only" and sent.get("pricing") is None:
            raise ValidationError({"pricing": [f"A {kind} plan needs a pricing formula."]})
