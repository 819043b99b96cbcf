"""What every request schema shares: the unknown-field policy, strict JSON types, error paths.

Unknown fields are ignored, as Rebilly does; in strict mode they are a 422, so a typo cannot go
unnoticed. Marshmallow's load-time ``unknown`` does not reach nested schemas, so strictness is a
context variable that every schema level reads. Fields the server owns (ids, timestamps, hashes)
are tolerated and dropped at every level, in either mode, because official clients send them back.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validates_schema

__all__ = (
    "FullDate",
    "RequestSchema",
    "StrictBoolean",
    "StrictInteger",
    "Text",
    "flatten_errors",
    "strict_unknown_fields",
)

_STRICT = contextvars.ContextVar("sandbox_strict_unknown", default=False)

#: Rebilly's free-text pattern: non-empty, Basic Multilingual Plane only.
BMP_TEXT = re.compile("^[\u0000-\uffff]+$")
#: RFC 3339 full-date, the only form of a JSON Schema ``format: date``.
FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@contextmanager
def strict_unknown_fields(enabled: bool) -> Iterator[None]:
    """Reject unknown fields at every schema level while this block runs."""
    token = _STRICT.set(enabled)
    try:
        yield
    finally:
        _STRICT.reset(token)


class RequestSchema(Schema):
    """Base of every request schema."""

    #: Keys the server owns at this level: accepted in a request and dropped.
    SERVER_OWNED: frozenset[str] = frozenset()

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _drop_server_owned(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, Mapping) and self.SERVER_OWNED.intersection(data):
            return {key: value for key, value in data.items() if key not in self.SERVER_OWNED}
        return data

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _reject_unknown(self, data: Any, original_data: Any, **kwargs: Any) -> None:
        if not _STRICT.get() or not isinstance(original_data, Mapping):
            return
        known = self.load_fields.keys() | self.SERVER_OWNED
        unknown = sorted(key for key in original_data if key not in known)
        if unknown:
            raise ValidationError({key: ["Unknown field."] for key in unknown})


class StrictBoolean(fields.Boolean):
    """A JSON boolean and nothing else (marshmallow would accept 1, "yes", "true")."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictInteger(fields.Integer):
    """A JSON integer and nothing else (marshmallow would accept "7", 7.0 and true)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class FullDate(fields.Date):
    """A ``YYYY-MM-DD`` date only (Python's ISO parser also takes 17060117 and 1706-W03-1)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str) or not FULL_DATE.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Text(fields.String):
    """A string that may be null, with Rebilly's length limit and (by default) BMP pattern."""

    def __init__(self, max_length: int, *, pattern: re.Pattern[str] | None = BMP_TEXT,
                 pattern_message: str = "Must be non-empty text without characters outside "
                 "the Basic Multilingual Plane.", **kwargs: Any):
        kwargs.setdefault("allow_none", True)
        super().__init__(**kwargs)
        self.max_length = max_length
        self.pattern = pattern
        self.pattern_message = pattern_message

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > self.max_length:
            raise ValidationError(f"Must be at most {self.max_length} characters long.")
        if self.pattern is not None and not self.pattern.fullmatch(text):
            raise ValidationError(self.pattern_message)
        return text


def flatten_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn marshmallow's nested messages into Rebilly's ``[{field, message}]`` in dot notation."""
    flat: list[dict[str, str]] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            where = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                where = prefix or "body"
            flat.extend(flatten_errors(value, where))
    elif isinstance(messages, (list, tuple)):
        for message in messages:
            flat.extend(flatten_errors(message, prefix))
    else:
        flat.append({"field": prefix or "body", "message": str(messages)})
    return flat
