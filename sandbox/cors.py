"""CORS for the API: a checkout page's FramePay or SDK calls the sandbox from another origin.

A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) is answered here, before any
authentication, since a browser never sends a credential with it. Allowed origins come from the
``cors_origins`` setting: patterns where ``:*`` is any port and ``*`` any origin. Credentials
travel in headers, never cookies, so no ``Access-Control-Allow-Credentials`` is sent. The admin
API (``/__admin``) gets no CORS header at all: another origin can neither read nor preflight it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import Flask, Response, request

from .admin.routes import ADMIN_PREFIX as ADMIN_PATH
from .problems import Forbidden
from .state import get_state

__all__ = ("init_app", "origin_allowed", "ALLOWED_HEADERS", "EXPOSED_HEADERS")

ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
#: What Rebilly's FramePay, JS SDK and Instruments send, and the sandbox's fault header.
ALLOWED_HEADERS = ("Authorization", "REB-APIKEY", "Content-Type", "REB-API-CONSUMER",
                   "Accept", "Accept-Language", "X-Requested-With", "X-Sandbox-Fault")
EXPOSED_HEADERS = ("Location", "Pagination-Total", "Pagination-Limit", "Pagination-Offset",
                   "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Retry-After",
                   "Retry-After")
#: Seconds a browser may reuse a preflight's answer.
MAX_AGE = "600"
_PATTERNS: dict[tuple[str, ...], re.Pattern[str]] = {}


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One expression for the patterns: ``*`` alone is any origin, ``:*`` any port (or none)."""
    parts = []
    for pattern in patterns:
        if pattern == "*":
            parts.append(r"[a-z][a-z0-9+.-]*://[^/\s]+")
            continue
        pattern = pattern.rstrip("/").lower()
        if pattern.endswith(":*"):
            parts.append(re.escape(pattern[:-2]) + r"(?::[0-9]{1,5})?")
        else:
            parts.append(re.escape(pattern))
    return re.compile("|".join(parts) or r"(?!)")


def origin_allowed(origin: str, patterns: Iterable[str]) -> bool:
    """Whether ``origin`` (as a browser sends it) matches one of ``patterns``."""
    key = tuple(patterns)
    compiled = _PATTERNS.get(key)
    if compiled is None:
        compiled = _PATTERNS[key] = _compile(key)
    return compiled.fullmatch(origin.lower()) is not None


def _is_preflight() -> bool:
    return (request.method == "OPTIONS" and "Origin" in request.headers
            and "Access-Control-Request-Method" in request.headers)


def _answer_preflight() -> Response | None:
    if not _is_preflight():
        return None
    origin = request.headers["Origin"]
    if request.path.startswith(ADMIN_PATH):
        raise Forbidden("The admin API is not reachable from another origin.")
    if not origin_allowed(origin, get_state().config["cors_origins"]):
        raise Forbidden(f"The origin {origin} may not call this sandbox; add it to "
                        "--cors-origins (SANDBOX_CORS_ORIGINS).")
    response = Response(status=204)
    response.headers.update({
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": ALLOWED_METHODS,
        "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
        "Access-Control-Max-Age": MAX_AGE,
        "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    })
    return response


def _add_headers(response: Response) -> Response:
    origin = request.headers.get("Origin")
    if origin is None or request.path.startswith(ADMIN_PATH) or _is_preflight():
        return response
    response.vary.add("Origin")
    if origin_allowed(origin, get_state().config["cors_origins"]):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
    return response


def init_app(app: Flask) -> None:
    """Answer preflights before any blueprint's hooks, and mark every allowed answer."""
    app.before_request(_answer_preflight)
    app.after_request(_add_headers)
