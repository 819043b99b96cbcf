"""The API blueprint: one blueprint, mounted at the root and under ``/organizations/{id}``.

Every API request is authenticated (credential -> namespace) and, unless it is a GET, counted
against the namespace's rate limit before its view runs.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from ..auth import authenticate
from ..state import get_state

__all__ = ("bp", "add_route", "base_url")

bp = Blueprint("api", __name__)

#: URL prefixes every API route is served under.
PREFIXES = ("", "/organizations/<organization_id>")

#: Endpoints that also accept a publishable key (``Authorization: pk_…``).
PUBLISHABLE_ENDPOINTS: set[str] = set()


@bp.url_value_preprocessor
def _pull_organization(endpoint: str | None, values: dict | None) -> None:
    g.organization_id = (values or {}).pop("organization_id", None)


@bp.before_request
def _authenticate_and_count() -> None:
    state = get_state()
    g.namespace = authenticate(
        request.headers,
        allow_publishable=request.endpoint in PUBLISHABLE_ENDPOINTS,
        accepted_keys=state.config["api_keys"],
    )
    g.allowance = None
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        g.allowance = state.rate_limiter.hit(g.namespace.id)


@bp.after_request
def _rate_limit_headers(response: Response) -> Response:
    allowance = g.get("allowance")
    if allowance is not None and response.status_code < 400:
        response.headers.update(allowance.headers())
    return response


def base_url() -> str:
    """This request's API root, keeping the organization prefix it was sent with."""
    cached = g.get("base_url")
    if cached is None:
        cached = request.root_url.rstrip("/")
        if g.get("organization_id"):
            cached = f"{cached}/organizations/{g.organization_id}"
        g.base_url = cached
    return cached


def add_route(rule: str, view, methods: list[str], *, publishable: bool = False) -> None:
    """Serve ``view`` at ``rule`` with and without a trailing slash, under every prefix."""
    for prefix in PREFIXES:
        bp.add_url_rule(prefix + rule, view_func=view, methods=methods, strict_slashes=False)
    if publishable:
        PUBLISHABLE_ENDPOINTS.add(f"{bp.name}.{view.__name__}")
