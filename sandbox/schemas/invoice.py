"""The bodies of the invoice routes: an invoice (``POST /invoices``, ``PUT /invoices/{id}``), an
invoice item (``POST /invoices/{id}/items``) and an issue (``POST /invoices/{id}/issue``).

Date-times arrive as ISO 8601 with a zone and leave as the sandbox's UTC form. Amounts are
plain JSON numbers; their rounding is ``services.invoice_amounts``'s.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from ..ids import format_time
from .base import RequestSchema, StrictInteger, Text
from .bounded import BoundedList
from .contact import ContactSchema
from .plan import CURRENCY, MAX_PRICE, MAX_QUANTITY, Price
from .transaction import RESOURCE_ID

__all__ = ("InvoiceSchema", "InvoiceItemSchema", "InvoiceIssueSchema",
           "InvoiceTransactionSchema")

#: Manual tax lines one invoice may hold (the sandbox's own bound: Rebilly declares none).
MAX_TAX_ITEMS = 100
_EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
_LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)


class Moment(fields.AwareDateTime):
    """An ISO 8601 date-time with a zone, between 1970 and 9000, stored in the UTC form."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("allow_none", True)
        super().__init__(format="iso", default_timezone=None, validate=validate.Range(
            _EARLIEST, _LATEST, error="Must be between 1970 and 9000."), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        return format_time(super()._deserialize(value, attr, data, **kwargs))

    def _validate(self, value: Any) -> None:
        super()._validate(datetime.fromisoformat(value) if isinstance(value, str) else value)


def _identifier(**kwargs: Any) -> Text:
    return Text(50, pattern=RESOURCE_ID, pattern_message="Must be an id.", **kwargs)


class TaxItemSchema(RequestSchema):
    amount = Price(required=True)
    description = Text(1000, pattern=None, required=True, allow_none=False)


class TaxSchema(RequestSchema):
    """Only the manual calculator: the sandbox has no tax service to call."""

    SERVER_OWNED = frozenset({"amount"})

    calculator = fields.String(required=True, validate=validate.OneOf(
        ["manual"], error="Only the manual calculator is simulated."))
    items = BoundedList(fields.Nested(TaxItemSchema), max_items=MAX_TAX_ITEMS, required=True)


class InvoiceSchema(RequestSchema):
    SERVER_OWNED = frozenset({
        "id", "invoiceNumber", "type", "status", "subscriptionId", "orderId", "quoteId", "items",
        "discounts", "subtotalAmount", "discountAmount", "amount", "amountDue", "transactions",
        "creditMemoAllocations", "issuedTime", "paidTime", "voidedTime", "abandonedTime",
        "autopayRetryNumber", "organizationId", "revision", "createdTime", "updatedTime",
        "_links", "_embedded"})

    customerId = _identifier(required=True, allow_none=False)
    websiteId = _identifier(required=True, allow_none=False)
    currency = fields.String(required=True, validate=validate.Regexp(
        CURRENCY, error="Must be a 3-letter ISO 4217 currency code in capitals."))
    billingAddress = fields.Nested(ContactSchema, allow_none=True)
    deliveryAddress = fields.Nested(ContactSchema, allow_none=True)
    poNumber = Text(50, pattern=None)
    notes = Text(65535, pattern=None)
    tax = fields.Nested(TaxSchema, allow_none=True)
    dueTime = Moment()
    autopayScheduledTime = Moment()
    delinquencyTime = Moment()

    @validates_schema
    def _no_delinquency_without_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("delinquencyTime") is not None:
            raise ValidationError("Must be null on an invoice without an order.",
                                  "delinquencyTime")


class InvoiceItemSchema(RequestSchema):
    """A line: its own ``unitPrice``, or a ``planId`` whose formula prices the quantity."""

    SERVER_OWNED = frozenset({"id", "price", "subscriptionId", "tax", "createdTime",
                              "updatedTime", "_links", "_embedded"})

    type = fields.String(required=True, validate=validate.OneOf(["debit", "credit"]))
    unitPrice = Price()
    quantity = StrictInteger(load_default=1, validate=validate.Range(min=1, max=MAX_QUANTITY))
    description = Text(1000, pattern=None)
    productId = _identifier()
    planId = _identifier()
    periodStartTime = Moment()
    periodEndTime = Moment()
    periodNumber = StrictInteger(allow_none=True, validate=validate.Range(min=0,
                                                                          max=MAX_QUANTITY))

    @validates_schema
    def _priced(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("unitPrice") is None and data.get("planId") is None:
            raise ValidationError("Required unless a planId prices the item.", "unitPrice")

    @post_load
    def _bounded(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        price = data.get("unitPrice")
        if price is not None and price * data["quantity"] > MAX_PRICE:
            raise ValidationError(f"unitPrice × quantity must be at most {MAX_PRICE}.",
                                  "quantity")
        return data


class InvoiceIssueSchema(RequestSchema):
    issuedTime = Moment()
    dueTime = Moment()


class InvoiceTransactionSchema(RequestSchema):
    """``POST /invoices/{id}/transaction``: an approved payment's unused amount, or part of it."""

    transactionId = _identifier(required=True, allow_none=False)
    amount = Price(allow_none=True)
