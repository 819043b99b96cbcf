"""The one place that turns exceptions into responses: the HTTP side of
``rebilly_sandbox.problems``.

Every error the sandbox answers, from a validation failure to an unknown route or a bug, leaves
through ``problem_response`` as ``application/json`` with RFC 9457 members, the way Rebilly
answers. Views and services raise; they never build error bodies themselves. A bug answers a
problem 500 in production; an app that propagates exceptions (Flask's ``TESTING`` or
``PROPAGATE_EXCEPTIONS``) lets it reach the caller with its traceback instead.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, has_request_context, json, request
from werkzeug.exceptions import HTTPException

from .problems import SandboxError
from .store import WriteFailed

__all__ = ("problem_response", "init_app")

log = logging.getLogger("sandbox")


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


def _propagates() -> bool:
    """Flask's own rule: ``PROPAGATE_EXCEPTIONS``, or when unset, testing or debug mode."""
    propagate = current_app.config.get("PROPAGATE_EXCEPTIONS")
    if propagate is None:
        return current_app.testing or current_app.debug
    return bool(propagate)


def _handle_unexpected(error: Exception) -> Response:
    """A bug: a logged problem 500, unless the app propagates it to the test that caused it."""
    if _propagates():
        raise error
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
