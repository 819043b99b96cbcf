"""Marshmallow schemas of request bodies, and the one place they are loaded into clean data."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from ..problems import ValidationFailed
from .base import flatten_errors, strict_unknown_fields
from .customer import CustomerSchema
from .token import TokenSchema

__all__ = ("CustomerSchema", "TokenSchema", "load")


def load(schema: Schema, body: dict[str, Any], *, strict: bool = False) -> dict[str, Any]:
    """Validate ``body``; return the clean data.

    :raises ValidationFailed: listing every failing field in dot notation.
    """
    with strict_unknown_fields(strict):
        try:
            return schema.load(body)
        except ValidationError as error:
            raise ValidationFailed(flatten_errors(error.messages),
                                   reason=_body_reason(error.messages)) from None


def _body_reason(messages: Any) -> str | None:
    """The schema-level message(s) of the whole body, if a validator gave any."""
    found = messages.get("_schema") if isinstance(messages, dict) else None
    return " ".join(str(message) for message in found) if found else None
