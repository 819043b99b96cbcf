"""What the order routes answer, for the OpenAPI document only."""

from __future__ import annotations

from marshmallow import fields, validate

from .invoice_responses import InvoiceItemResponseSchema
from .responses import AnswerSchema, links, text, timestamp

__all__ = ("OrderResponseSchema", "UpcomingInvoiceResponseSchema", "ORDER_STATUSES")

#: Rebilly's order statuses (subscription and one-time orders together).
ORDER_STATUSES = ("pending", "active", "abandoned", "canceled", "churned", "paused", "voided",
                  "completed", "trial-ended")


def _time() -> fields.String:
    return fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class OrderItemResponseSchema(AnswerSchema):
    id = fields.String(required=True)
    plan = fields.Dict(required=True, metadata={
        "description": "The whole plan the item bills: the stored plan as it was when the "
                       "order took it, or the order's own inline copy (isModified)."})
    quantity = fields.Integer(required=True)
    usageLimits = fields.Dict(required=True, allow_none=True)
    excludeFromMrr = fields.Boolean(required=True)
    revision = fields.Integer(required=True)
    isModified = fields.Boolean(required=True)
    isGrandfathered = fields.Boolean(required=True)


class OrderResponseSchema(AnswerSchema):
    """Both order types: a one-time order has none of the recurring members."""

    id = fields.String(required=True)
    orderType = fields.String(required=True, validate=validate.OneOf(
        ["subscription-order", "one-time-order"]))
    status = fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES))
    billingStatus = text()
    customerId = fields.String(required=True)
    websiteId = fields.String(required=True)
    currency = fields.String(required=True)
    items = fields.List(fields.Nested(OrderItemResponseSchema), required=True)
    trial = fields.Dict(allow_none=True)
    isTrialOnly = fields.Boolean()
    inTrial = fields.Boolean()
    trialConversionTime = _time()
    startTime = _time()
    renewalTime = _time()
    abandonTime = _time()
    autopay = fields.Boolean()
    paymentInstrumentId = text()
    currentPeriodStart = _time()
    currentPeriodEnd = _time()
    rebillNumber = fields.Integer(allow_none=True)
    churnTime = _time()
    activationTime = _time()
    voidTime = _time()
    canceledTime = _time()
    canceledBy = text()
    cancelCategory = text()
    cancelDescription = text()
    initialInvoiceId = text()
    recentInvoiceId = text()
    mrr = fields.Float()
    billingAddress = fields.Dict(required=True, allow_none=True)
    deliveryAddress = fields.Dict(required=True, allow_none=True)
    poNumber = text()
    notes = text()
    customFields = fields.Dict(allow_none=True)
    recurringInterval = fields.Dict(allow_none=True)
    invoiceTimeShift = fields.Dict(allow_none=True)
    delinquencyPeriod = fields.String(allow_none=True)
    shipping = fields.Dict(allow_none=True)
    riskMetadata = fields.Dict(allow_none=True)
    renewalReminderTime = _time()
    renewalReminderNumber = fields.Integer()
    abandonReminderTime = _time()
    abandonReminderNumber = fields.Integer()
    lineItems = fields.List(fields.Dict())
    lineItemSubtotal = fields.Float()
    organizationId = text()
    revision = fields.Integer(required=True)
    createdTime = timestamp()
    updatedTime = timestamp()
    links = links()
    embedded = fields.Dict(data_key="_embedded", metadata={
        "description": "What expand asked for: customer, website, initialInvoice, "
                       "recentInvoice, upcomingInvoice, paymentInstrument."})


class UpcomingItemResponseSchema(InvoiceItemResponseSchema):
    isInterim = fields.Boolean(required=True)


class UpcomingInvoiceResponseSchema(AnswerSchema):
    id = fields.String(required=True, metadata={
        "description": "The id the renewal invoice will have once issued."})
    subscriptionId = fields.String(required=True)
    customerId = fields.String(required=True)
    websiteId = fields.String(required=True)
    currency = fields.String(required=True)
    items = fields.List(fields.Nested(UpcomingItemResponseSchema), required=True)
    discounts = fields.List(fields.Dict(), required=True)
    billingAddress = fields.Dict(required=True, allow_none=True)
    deliveryAddress = fields.Dict(required=True, allow_none=True)
    poNumber = text()
    notes = text()
    shipping = fields.Dict(required=True, allow_none=True)
    tax = fields.Dict(required=True)
    isNewOrder = fields.Boolean(required=True)
    revision = fields.Integer(required=True)
    createdTime = timestamp()
    updatedTime = timestamp()
    subtotalAmount = fields.Float(required=True)
    discountAmount = fields.Float(required=True)
    amount = fields.Float(required=True)
    amountDue = fields.Float(required=True)
    issuedTime = _time()
    dueTime = _time()
    links = links()
