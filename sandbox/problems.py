"""The errors the sandbox answers on purpose, as plain exceptions any layer may raise.

Each carries what its problem-JSON answer needs (status, title, detail, extra members, headers),
but nothing here knows HTTP frameworks: services raise these, and ``rebilly_sandbox.errors`` turns
them into responses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = (
    "SandboxError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "ValidationFailed",
    "TooManyRequests",
    "NotSimulated",
)


class SandboxError(Exception):
    """Base of every error the sandbox answers on purpose."""

    status = 500
    title = "Internal Server Error"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


class BadRequest(SandboxError):
    status = 400
    title = "Bad Request"


class Unauthorized(SandboxError):
    status = 401
    title = "Unauthorized"


class Forbidden(SandboxError):
    """A request the sandbox refuses whoever sends it: another origin, for instance."""

    status = 403
    title = "Forbidden"


class NotFound(SandboxError):
    status = 404
    title = "Not Found"


class Conflict(SandboxError):
    """A request that cannot apply to the resource as it stands (a repeat, a finished step)."""

    status = 409
    title = "Conflict"


class TooManyRequests(SandboxError):
    status = 429
    title = "Rate Limit Exceeded"


class NotSimulated(SandboxError):
    """A route Rebilly has that the sandbox does not serve: not a missing record (a 404)."""

    status = 501
    title = "Not Implemented"


class ValidationFailed(SandboxError):
    """A 422 listing every failing field as ``{field, message}`` in dot notation.

    ``reason`` is a body-level (schema-level) message; ``detail`` names it, or the message
    every field shares, because ``detail`` is all an SDK's error shows.
    """

    status = 422
    title = "Validation error"

    def __init__(self, invalid_fields: Iterable[dict[str, str]], detail: str | None = None,
                 reason: str | None = None):
        fields = list(invalid_fields)
        self.reason = reason
        super().__init__(detail or _summarise(fields, reason), invalidFields=fields)


def _summarise(fields: list[dict[str, str]], reason: str | None = None) -> str:
    """One sentence: the one field and its message, else the reason and the count."""
    if len(fields) == 1 and reason is None:
        return f"{fields[0]['field']}: {fields[0]['message']}"
    reason = reason or _shared_message(fields)
    count = f"{len(fields)} field{'' if len(fields) == 1 else 's'} failed validation."
    return f"{reason.rstrip('. ')}: {count}" if reason else f"Invalid data sent: {count}"


def _shared_message(fields: list[dict[str, str]]) -> str | None:
    """The message of every field, when they all failed for one reason."""
    messages = {entry["message"] for entry in fields}
    return messages.pop() if len(fields) > 1 and len(messages) == 1 else None
