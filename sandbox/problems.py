"""The errors the sandbox answers on purpose, as plain exceptions any layer may raise.

Each carries what its problem-JSON answer needs (status, title, detail, extra members, headers),
but nothing here knows HTTP frameworks: services raise these, and ``sandbox.errors`` turns them
into responses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = (
    "SandboxError",
    "BadRequest",
    "Unauthorized",
    "NotFound",
    "Conflict",
    "ValidationFailed",
    "TooManyRequests",
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


class ValidationFailed(SandboxError):
    """A 422 listing every failing field as ``{field, message}`` in dot notation."""

    status = 422
    title = "Validation error"

    def __init__(self, invalid_fields: Iterable[dict[str, str]], detail: str | None = None):
        fields = list(invalid_fields)
        super().__init__(detail or _summarise(fields), invalidFields=fields)


def _summarise(fields: list[dict[str, str]]) -> str:
    if len(fields) == 1:
        return f"{fields[0]['field']}: {fields[0]['message']}"
    return f"Invalid data sent: {len(fields)} fields failed validation."
