"""The problem-JSON error family and the one place that turns exceptions into responses.

Every error the sandbox answers, from a validation failure to an unknown route or a bug, leaves
through ``problem_response`` as ``application/json`` with RFC 9457 members, the way Rebilly
answers. Views raise; they never build error bodies themselves.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable

from flask import Flask, Response, has_request_context, json, request
from werkzeug.exceptions import HTTPException

from .store.journal import WriteFailed

__all__ = (
    "SandboxError",
    "BadRequest",
    "Unauthorized",
    "NotFound",
    "ValidationFailed",
    "TooManyRequests",
    "problem_response",
    "init_app",
)

log = logging.getLogger("sandbox")


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


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Build the one error envelope: ``{type, title, status, detail, instance, ...extra}``."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if has_request_context():
        body["instance"] = request.path
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _handle_sandbox_error(error: SandboxError) -> Response:
    return problem_response(
        error.status, error.title, error.detail, headers=error.headers, **error.extra
    )


def _handle_http_exception(error: HTTPException) -> Response:
    headers = {}
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    detail = {
        404: "No route matches this URL.",
        405: "This route does not accept that method.",
        413: "The request body is larger than the sandbox accepts.",
    }.get(error.code or 500, error.description or "")
    return problem_response(error.code or 500, error.name, detail, headers=headers)


def _handle_write_failed(error: WriteFailed) -> Response:
    log.error("write refused: %s", error)
    return problem_response(503, "Service Unavailable", f"The sandbox cannot store this change: "
                            f"{error}. Nothing was changed.", headers={"Retry-After": "5"})


def _handle_unexpected(error: Exception) -> Response:
    log.exception("unexpected error while answering a request")
    return problem_response(
        500, "Internal Server Error", "The sandbox failed to answer; see its log."
    )


def init_app(app: Flask) -> None:
    """Register the handlers so that every error leaves as problem JSON."""
    app.register_error_handler(SandboxError, _handle_sandbox_error)
    app.register_error_handler(WriteFailed, _handle_write_failed)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
