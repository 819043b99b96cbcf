"""The body of ``POST /products`` and ``PUT /products/{id}``: Rebilly's Product."""

from __future__ import annotations

from marshmallow import fields, validate

from .base import RequestSchema, StrictBoolean, Text

__all__ = ("ProductSchema")

#: Option names one product may carry (the sandbox's own bound: Rebilly declares none).
MAX_OPTIONS = 100


class RecognitionSchema(RequestSchema):
    debitAccountId = Text(50, pattern=None, load_default=None)
    creditAccountId = Text(50, pattern=None, load_default=None)


class ProductSchema(RequestSchema):
    SERVER_OWNED = frozenset({"id", "createdTime", "updatedTime", "_links"})

    name = fields.String(required=True, validate=validate.Length(min=3, max=255))
    unitLabel = fields.String(validate=validate.Length(min=1, max=50))
    description = Text(512, pattern=None)
    requiresShipping = StrictBoolean()
    options = fields.List(fields.String(validate=validate.Length(min=1, max=255)),
                          validate=validate.Length(max=MAX_OPTIONS))
    taxCategoryId = Text(50, pattern=None)
    accountingCode = Text(255, pattern=None)
    recognition = fields.Nested(RecognitionSchema, allow_none=True)
    customFields = fields.Dict(keys=fields.String())
