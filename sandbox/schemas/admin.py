"""Admin request payloads and query strings, validated like API payloads."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from .base import RequestSchema

__all__ = ("ClockSchema", "JournalQuerySchema")

CLOCK_ACTIONS = ("freeze", "set", "advance", "resume", "real")
#: The clock stays where dates and token expiries can be computed without overflowing.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)


class ClockSchema(RequestSchema):
    """``{"action": "freeze" | "set" | "advance" | "resume" | "real", "time"?, "seconds"?}``."""

    action = fields.String(required=True, validate=validate.OneOf(CLOCK_ACTIONS))
    time = fields.AwareDateTime(format="iso", default_timezone=None,
                                validate=validate.Range(EARLIEST, LATEST, error=(
                                    "Must be between 1970 and 9000.")))
    seconds = fields.Float(allow_nan=False, validate=validate.Range(-10 * 365 * 86400,
                                                                  10 * 365 * 86400))

    @validates_schema
    def _needs(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["action"] == "set" and "time" not in data:
            raise ValidationError({"time": ["Required to set the clock."]})
        if data["action"] == "advance" and "seconds" not in data:
            raise ValidationError({"seconds": ["Required to advance the clock."]})


class JournalQuerySchema(RequestSchema):
    method = fields.String(validate=validate.Length(max=10))
    path = fields.String(validate=validate.Length(max=2000))
    status = fields.Integer(validate=validate.Range(100, 599))
    limit = fields.Integer(validate=validate.Range(1, 10000))
