"""What the invoice routes answer, for the OpenAPI document only."""

from __future__ import annotations

from marshmallow import fields, validate

from .responses import AnswerSchema, links, text, timestamp

__all__ = ("InvoiceResponseSchema", "InvoiceItemResponseSchema", "INVOICE_STATUSES")

#: Rebilly's invoice statuses; the sandbox produces all but quotation and disputed.
INVOICE_STATUSES = ("draft", "quotation", "unpaid", "paid", "partially-paid", "past-due",
                    "abandoned", "voided", "partially-refunded", "refunded", "disputed")


def _time() -> fields.String:
    return fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class InvoiceItemResponseSchema(AnswerSchema):
    id = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(["debit", "credit"]))
    unitPrice = fields.Float(required=True)
    quantity = fields.Integer(required=True)
    price = fields.Float(required=True, metadata={
        "description": "unitPrice × quantity rounded to the cent, half up; for a plan's item, "
                       "what the plan's formula charges for the quantity."})
    description = text()
    productId = text()
    planId = text()
    subscriptionId = text()
    tax = fields.Dict(required=True, allow_none=True)
    periodStartTime = _time()
    periodEndTime = _time()
    periodNumber = fields.Integer(required=True, allow_none=True)
    createdTime = timestamp()
    updatedTime = timestamp()
    links = links()


class TaxItemResponseSchema(AnswerSchema):
    amount = fields.Float(required=True)
    description = fields.String(required=True)


class TaxResponseSchema(AnswerSchema):
    calculator = fields.String(required=True)
    items = fields.List(fields.Nested(TaxItemResponseSchema), required=True)
    amount = fields.Float(required=True)


class InvoiceResponseSchema(AnswerSchema):
    id = fields.String(required=True)
    invoiceNumber = fields.Integer(required=True)
    type = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(INVOICE_STATUSES))
    customerId = fields.String(required=True)
    websiteId = fields.String(required=True)
    currency = fields.String(required=True)
    billingAddress = fields.Dict(required=True, allow_none=True)
    deliveryAddress = fields.Dict(required=True, allow_none=True)
    poNumber = text()
    notes = text()
    tax = fields.Nested(TaxResponseSchema, required=True)
    subscriptionId = text()
    orderId = text()
    quoteId = text()
    items = fields.List(fields.Nested(InvoiceItemResponseSchema), required=True)
    discounts = fields.List(fields.Dict(), required=True)
    subtotalAmount = fields.Float(required=True)
    discountAmount = fields.Float(required=True)
    amount = fields.Float(required=True)
    amountDue = fields.Float(required=True)
    transactions = fields.List(fields.String(), required=True, metadata={
        "description": "The ids of the last 10 transactions that paid it."})
    creditMemoAllocations = fields.List(fields.Dict(), required=True)
    issuedTime = _time()
    dueTime = _time()
    paidTime = _time()
    voidedTime = _time()
    abandonedTime = _time()
    autopayScheduledTime = _time()
    delinquencyTime = _time()
    autopayRetryNumber = fields.Integer(required=True)
    organizationId = text()
    revision = fields.Integer(required=True)
    createdTime = timestamp()
    updatedTime = timestamp()
    links = links()
