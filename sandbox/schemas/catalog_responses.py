"""What the product and plan routes answer, for the OpenAPI document only (the website's answer
is ``responses.WebsiteResponseSchema``, which customers embed too)."""

from __future__ import annotations

from marshmallow import fields, validate

from ..services.pricing import FORMULAS
from .responses import AnswerSchema, links, text, timestamp

__all__ = ("ProductResponseSchema", "PlanResponseSchema")


class RecognitionResponseSchema(AnswerSchema):
    debitAccountId = fields.String(allow_none=True)
    creditAccountId = fields.String(allow_none=True)


class ProductResponseSchema(AnswerSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    unitLabel = fields.String(required=True)
    description = text()
    requiresShipping = fields.Boolean(required=True)
    options = fields.List(fields.String(), required=True)
    taxCategoryId = text()
    accountingCode = text()
    recognition = fields.Nested(RecognitionResponseSchema, required=True, allow_none=True)
    customFields = fields.Dict(keys=fields.String(), required=True)
    createdTime = timestamp()
    updatedTime = timestamp()
    links = links()


class BracketResponseSchema(AnswerSchema):
    price = fields.Float(required=True)
    maxQuantity = fields.Integer(required=True, allow_none=True, metadata={
        "description": "The bracket's absolute upper bound; null: no limit."})


class PricingResponseSchema(AnswerSchema):
    """The members of the formula: fixed-fee has price; flat-rate price, minQuantity and
    maxQuantity; stairstep, tiered and volume brackets and minQuantity."""

    formula = fields.String(required=True, validate=validate.OneOf(FORMULAS))
    price = fields.Float()
    minQuantity = fields.Integer(allow_none=True)
    maxQuantity = fields.Integer(allow_none=True)
    brackets = fields.List(fields.Nested(BracketResponseSchema))


class PeriodResponseSchema(AnswerSchema):
    unit = fields.String(required=True)
    length = fields.Integer(required=True)


class IntervalResponseSchema(PeriodResponseSchema):
    limit = fields.Integer(required=True, allow_none=True)
    billingTiming = fields.String(required=True)


class TrialResponseSchema(AnswerSchema):
    price = fields.Float(required=True)
    period = fields.Nested(PeriodResponseSchema, required=True)


class SetupResponseSchema(AnswerSchema):
    price = fields.Float(required=True)


class PlanResponseSchema(AnswerSchema):
    """A plan of any kind: a subscription has a recurringInterval, a trial-only plan a trial
    and no pricing member, a one-time sale neither."""

    id = fields.String(required=True)
    name = fields.String(required=True)
    description = text()
    richDescription = text()
    productId = fields.String(required=True)
    productOptions = fields.Dict(keys=fields.String(), required=True, allow_none=True)
    currency = fields.String(required=True)
    currencySign = fields.String(required=True)
    setup = fields.Nested(SetupResponseSchema, required=True, allow_none=True)
    isActive = fields.Boolean(required=True)
    isTrialOnly = fields.Boolean(required=True)
    revision = fields.Integer(required=True)
    customFields = fields.Dict(keys=fields.String(), required=True)
    pricing = fields.Nested(PricingResponseSchema, metadata={
        "description": "Left out on a trial-only plan."})
    recurringInterval = fields.Nested(IntervalResponseSchema, required=True, allow_none=True)
    trial = fields.Nested(TrialResponseSchema, required=True, allow_none=True)
    createdTime = timestamp()
    updatedTime = timestamp()
    links = links()
