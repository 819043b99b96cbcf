"""What the admin API answers (and the fixture-set payload), for the OpenAPI document only.

Like ``responses``, these are never used to build answers; the test suite checks real admin
answers against the document so the two stay the same.
"""

from __future__ import annotations

from marshmallow import fields, validate

from .coupon import CouponSchema
from .customer import CustomerSchema, TagSchema
from .fault import FaultRuleSchema
from .instrument import InstrumentCreateSchema
from .order import OrderSchema
from .plan import PlanSchema
from .product import ProductSchema
from .responses import AnswerSchema
from .token import TokenSchema
from .transaction import (
    TRANSACTION_TYPES,
    Currency,
    TransactionSchema,
    TransactionUpdateSchema,
)
from .website import FixtureWebsiteSchema

__all__ = ("HealthSchema", "ResetResultSchema", "FixtureSetInfoSchema", "FixtureLoadResultSchema",
           "FixtureSetSchema", "SnapshotResultSchema", "ClockStateSchema", "FaultRuleStateSchema",
           "JournalEntrySchema", "RemovedCountSchema", "ClearedCountSchema")


def counts(description: str) -> fields.Dict:
    return fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                       metadata={"description": description})


class HealthSchema(AnswerSchema):
    status = fields.String(required=True, validate=validate.OneOf(["ok"]))
    version = fields.String(required=True)
    uptimeSeconds = fields.Float(required=True)
    store = fields.String(required=True, validate=validate.OneOf(["memory", "tinydb-file"]))
    fixtures = fields.String(required=True, allow_none=True,
                             metadata={"description": "The start-up fixture set, if any."})


class ResetResultSchema(AnswerSchema):
    scope = fields.String(required=True, validate=validate.OneOf(["namespace", "all"]))
    removed = counts("Documents removed, by kind.")
    journalEntries = fields.Integer(required=True)
    faultRules = fields.Integer(required=True)
    fixtures = fields.String(required=True, allow_none=True)


class FixtureSetInfoSchema(AnswerSchema):
    name = fields.String(required=True)
    description = fields.String()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    error = fields.String(metadata={"description": "Why the set cannot be read."})


class FixtureLoadResultSchema(AnswerSchema):
    name = fields.String(required=True, allow_none=True)
    loaded = counts("Records loaded, by kind.")


class FixtureCustomerSchema(CustomerSchema):
    """A fixture customer: a customer body with the id it is stored under."""

    id = fields.String(required=True)


class FixtureProductSchema(ProductSchema):
    """A fixture product: a product body with the id it is stored under."""

    id = fields.String(required=True)


class FixturePlanSchema(PlanSchema):
    """A fixture plan: a plan body with the id it is stored under; its product comes before
    it, in ``products`` or already in the namespace."""

    id = fields.String(required=True)


class FixtureTokenSchema(TokenSchema):
    """A fixture token: a token body with the id it is stored under."""

    id = fields.String(required=True)


class FixtureInstrumentSchema(InstrumentCreateSchema):
    """A fixture payment card: a ``POST /payment-instruments`` body with the id it is stored
    under; ``status: deactivated`` deactivates it once the whole set is loaded."""

    id = fields.String()
    status = fields.String(validate=validate.OneOf(["deactivated"]))


class FixtureCouponSchema(CouponSchema):
    """A fixture coupon: a coupon body with the code (id) it is stored under."""

    id = fields.String(required=True)


class FixtureOrderSchema(OrderSchema):
    """A fixture order: an order body with the id it is stored under, made as
    ``PUT /subscriptions/{id}`` makes it (its initial invoice issued and, with autopay, paid)."""

    id = fields.String(required=True)


class FixtureTransactionSchema(TransactionSchema):
    """A fixture transaction, made again as the sandbox made it: a payment (``sale``,
    ``authorize``, ``setup``: a ``POST /transactions`` body, which needs ``websiteId``,
    ``customerId`` and ``currency``) with its offsite ``approval``, or a ``refund`` or ``void``
    of ``parentTransactionId`` (a ``/refund`` body)."""

    id = fields.String()
    type = fields.String(required=True,
                         validate=validate.OneOf((*TRANSACTION_TYPES, "refund", "void")))
    websiteId = fields.String(metadata={"description": "Required for a payment."})
    customerId = fields.String(metadata={"description": "Required for a payment."})
    currency = Currency(metadata={"description": "Required for a payment."})
    parentTransactionId = fields.String(metadata={
        "description": "Required for a refund or void: a transaction earlier in the set."})
    approval = fields.Nested(TransactionUpdateSchema, metadata={
        "description": "How the offsite (3-D Secure) step of a payment waiting for approval "
                       "ends."})


class FixtureSetSchema(AnswerSchema):
    """A fixture set: what ``POST /__admin/fixtures`` loads and ``GET /__admin/export`` gives."""

    description = fields.String()
    websites = fields.List(fields.Nested(FixtureWebsiteSchema))
    products = fields.List(fields.Nested(FixtureProductSchema))
    plans = fields.List(fields.Nested(FixturePlanSchema))
    tags = fields.List(fields.Nested(TagSchema))
    tokens = fields.List(fields.Nested(FixtureTokenSchema))
    customers = fields.List(fields.Nested(FixtureCustomerSchema))
    paymentInstruments = fields.List(fields.Nested(FixtureInstrumentSchema))
    transactions = fields.List(fields.Nested(FixtureTransactionSchema))
    coupons = fields.List(fields.Nested(FixtureCouponSchema))
    subscriptions = fields.List(fields.Nested(FixtureOrderSchema))


class SnapshotResultSchema(AnswerSchema):
    name = fields.String(required=True)
    saved = fields.Dict(keys=fields.String(), values=fields.Integer(),
                        metadata={"description": "On save: documents saved, by kind."})
    restored = fields.Dict(keys=fields.String(), values=fields.Integer(),
                           metadata={"description": "On restore: documents restored, by kind."})


class ClockStateSchema(AnswerSchema):
    now = fields.DateTime(format="iso", required=True)
    frozen = fields.Boolean(required=True)
    offsetSeconds = fields.Float(required=True, allow_none=True,
                                 metadata={"description": "Null while frozen."})
    scope = fields.String(required=True, validate=validate.OneOf(["global", "namespace"]))
    billing = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "After a move: what the billing steps the move made due did, by kind "
                       "(renewals, invoices, payments, declines, retries, activations, "
                       "trialsEnded, pastDue, abandoned, churned, completed, pauses, events, "
                       "steps)."})


class FaultRuleStateSchema(FaultRuleSchema):
    """A fault rule as listed: its definition as sent, its id and its counters."""

    id = fields.String(required=True)
    globalRule = fields.Boolean(data_key="global", required=True)
    matched = fields.Integer(required=True)
    fired = fields.Integer(required=True)
    remaining = fields.Integer(required=True, allow_none=True,
                               metadata={"description": "Null when the rule has no times."})
    expiresInSeconds = fields.Float(required=True, metadata={
        "description": "Seconds until the rule removes itself."})
    warning = fields.String(metadata={
        "description": "Only when the rule is made, if no API route takes its path."})


class FaultMarkSchema(AnswerSchema):
    source = fields.String(required=True, validate=validate.OneOf(["rule", "header", "email"]))
    rule = fields.String(required=True, allow_none=True)
    match = fields.Integer(required=True, allow_none=True)
    action = fields.String(required=True)
    delayMs = fields.Integer(required=True, allow_none=True)


class JournalEntrySchema(AnswerSchema):
    id = fields.Integer(required=True)
    time = fields.DateTime(format="iso", required=True)
    method = fields.String(required=True)
    path = fields.String(required=True)
    query = fields.String(required=True)
    headers = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                          metadata={"description": "Credentials redacted."})
    headersTruncated = fields.Boolean(required=True, metadata={
        "description": "Headers were cut: 1 KiB per value, 4 KiB and 64 headers per entry."})
    body = fields.String(required=True, metadata={
        "description": "The first 16 KiB, card data masked; empty for a card route's body that "
                       "is not JSON."})
    bodyTruncated = fields.Boolean(required=True)
    bodyBytes = fields.Integer(required=True, metadata={"description": "The size as sent."})
    status = fields.Integer(required=True, allow_none=True,
                            metadata={"description": "Null when the connection was dropped."})
    durationMs = fields.Float(required=True)
    fault = fields.Nested(FaultMarkSchema, required=True, allow_none=True)
    stored = fields.Boolean(required=True)


class RemovedCountSchema(AnswerSchema):
    removed = fields.Integer(required=True)


class ClearedCountSchema(AnswerSchema):
    cleared = fields.Integer(required=True)
