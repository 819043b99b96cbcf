"""The customer request body: every field of ``POST /customers`` and ``PUT /customers/{id}``.

Writable fields are declared with Rebilly's limits. Fields the server owns are listed in
``SERVER_OWNED`` and dropped on load, whatever the client sends for them. ``null`` is accepted
only where Rebilly's type is nullable (``allow_none``): ``Text`` fields are nullable unless they
say ``allow_none=False``, every other field is not unless it says ``allow_none=True``.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, validate, validates

from .base import RequestSchema, StrictBoolean, Text
from .bounded import BoundedList
from .contact import ContactSchema

__all__ = ("CustomerSchema", "LeadSourceSchema", "TagSchema", "TaxNumberSchema", "MAX_TAGS")

#: RFC 5646 language tag: a 2-3 letter language, then subtags such as a region or script.
LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
TAG_NAME = re.compile(r"^[@~\-.\w\s+]+$")
TAG_TYPES = ("customer", "kyc-document", "aml-check")
TAX_NUMBER_TYPES = ("eu-vat", "other")
#: Tags one request may name: each is looked up, and a new one stored, while the store is locked.
MAX_TAGS = 100
#: Tax numbers and notification emails a customer write may carry (the sandbox's own bound:
#: Rebilly declares none), refused before any item is read.
MAX_LIST_ITEMS = 100


class TaxNumberSchema(RequestSchema):
    """Rebilly's TaxNumber: its ``value`` is any string (no length, no pattern), so an empty one
    or one outside the Basic Multilingual Plane is kept; NUL and lone surrogates never get this
    far (``rebilly_sandbox.jsonbody`` refuses them in every string)."""

    SERVER_OWNED = frozenset({"isValid"})

    type = fields.String(required=True, validate=validate.OneOf(TAX_NUMBER_TYPES))
    value = fields.String(required=True, allow_none=False)
    isDefault = StrictBoolean(load_default=False)


class TagSchema(RequestSchema):
    SERVER_OWNED = frozenset({"id", "createdTime", "updatedTime", "_links"})

    name = Text(255, pattern=TAG_NAME, required=True, allow_none=False,
                pattern_message="Must hold only letters, digits, spaces and @ ~ - . +")
    type = fields.String(required=True, validate=validate.OneOf(TAG_TYPES))


class LeadSourceSchema(RequestSchema):
    SERVER_OWNED = frozenset({"id", "customerId", "createdTime", "updatedTime", "_links"})

    medium = Text(512, pattern=None)
    source = Text(512, pattern=None)
    campaign = Text(512, pattern=None)
    term = Text(512, pattern=None)
    content = Text(512, pattern=None)
    affiliate = Text(512, pattern=None)
    subAffiliate = Text(512, pattern=None)
    salesAgent = Text(512, pattern=None)
    clickId = Text(512, pattern=None)
    path = Text(512, pattern=None)
    referrer = fields.Url(allow_none=True, require_tld=False,
                          validate=validate.Length(max=2083))


class CustomerSchema(RequestSchema):
    SERVER_OWNED = frozenset({
        "id", "createdTime", "updatedTime", "revision", "paymentCount", "invoiceCount",
        "lifetimeRevenue", "averageValue", "lastPaymentTime", "company", "hasFulfilledKyc",
        "organizationId", "defaultPaymentInstrument", "_links", "_embedded",
    })

    # Top-level contact fields (seed); mirrored with primaryAddress.
    email = fields.Email(allow_none=True, validate=validate.Length(max=255),
                         error_messages={"invalid": "Not a valid email address."})
    firstName = Text(45)
    lastName = Text(45)

    websiteId = Text(50, pattern=None, allow_none=False)
    personId = Text(50, pattern=None)
    preferredPayoutInstrumentId = Text(50, pattern=None)
    defaultPaymentInstrumentId = Text(50, pattern=None)
    paymentToken = Text(50, pattern=None, allow_none=False)
    locale = Text(35, pattern=LOCALE,
                  pattern_message="Must be an RFC 5646 language tag, such as en-US.")
    isEddRequired = StrictBoolean(load_default=False)
    customFields = fields.Dict(keys=fields.String(), load_default=dict)
    primaryAddress = fields.Nested(ContactSchema, allow_none=True)
    taxNumbers = BoundedList(fields.Nested(TaxNumberSchema), max_items=MAX_LIST_ITEMS,
                             allow_none=True)
    notificationEmails = BoundedList(
        fields.Email(validate=validate.Length(max=255),
                     error_messages={"invalid": "Not a valid email address."}),
        max_items=MAX_LIST_ITEMS)
    tags = BoundedList(fields.Nested(TagSchema), max_items=MAX_TAGS)
    leadSource = fields.Nested(LeadSourceSchema)

    @validates("tags")
    def _only_customer_tags(self, tags: list[dict[str, Any]] | None, **kwargs: Any) -> None:
        wrong = {index: {"type": ["Only tags of type customer can be assigned to a customer."]}
                 for index, tag in enumerate(tags or [])
                 if isinstance(tag, dict) and tag.get("type", "customer") != "customer"}
        if wrong:
            raise ValidationError(wrong)
