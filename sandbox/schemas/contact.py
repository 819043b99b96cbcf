"""Rebilly's ContactObject (a customer's ``primaryAddress``) with its field limits and patterns."""

from __future__ import annotations

import re

from marshmallow import fields, validate

from .base import FullDate, RequestSchema, StrictBoolean, Text
from .bounded import BoundedList

__all__ = ("ContactSchema", "EmailSchema", "PhoneNumberSchema", "MAX_CONTACT_ITEMS")

#: Emails and phone numbers one contact may hold (the sandbox's own bound: Rebilly declares
#: none), refused before any item is read, so no body can keep the server reading for long.
MAX_CONTACT_ITEMS = 100

COUNTRY = re.compile(r"^[A-Z]{2}$")
POSTAL_CODE = re.compile(r"^[\w\s\-]+$")


class EmailSchema(RequestSchema):
    label = Text(45, required=True, allow_none=False)
    value = fields.Email(
        required=True, validate=validate.Length(max=255), error_messages={
            "invalid": "Not a valid email address."})
    primary = StrictBoolean(load_default=False)


class PhoneNumberSchema(RequestSchema):
    label = Text(45, required=True, allow_none=False)
    value = Text(50, required=True, allow_none=False)
    primary = StrictBoolean(load_default=False)


class ContactSchema(RequestSchema):
    SERVER_OWNED = frozenset({"hash"})

    firstName = Text(45)
    lastName = Text(45)
    organization = Text(255)
    address = Text(60)
    address2 = Text(60)
    city = Text(45)
    region = Text(45)
    country = Text(2, pattern=COUNTRY, pattern_message="Must be an ISO 3166-1 alpha-2 country "
                   "code in capitals, such as US or GB.")
    postalCode = Text(10, pattern=POSTAL_CODE, pattern_message="Must hold only letters, digits, "
                      "spaces and hyphens.")
    phoneNumbers = BoundedList(fields.Nested(PhoneNumberSchema), max_items=MAX_CONTACT_ITEMS)
    emails = BoundedList(fields.Nested(EmailSchema), max_items=MAX_CONTACT_ITEMS)
    dob = FullDate(allow_none=True, error_messages={
        "invalid": "Not a valid date: use YYYY-MM-DD."})
    jobTitle = Text(255)
