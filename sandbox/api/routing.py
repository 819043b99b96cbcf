"""The API blueprint: one blueprint, mounted at the root and under ``/organizations/{id}``.

Every API request is authenticated (credential -> namespace), given its fixtures, offered to the
fault injection and, unless it is a GET, counted against the namespace's rate limit before its
view runs; afterwards it is recorded in the namespace's request journal. A request that no route
takes (a 404, or a 405 for the wrong method) is journaled too, under the namespace of the
credential it carries: calling something the sandbox lacks is what a developer needs to see first.
"""

from __future__ import annotations

import re
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from marshmallow import Schema
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect

from ..auth import authenticate
from ..jsonbody import parse_json_object
from ..problems import NotFound, SandboxError
from ..schemas import load
from ..seeding import seed_namespace
from ..services.context import Context
from ..serving import NETWORK_FAULT_KEY
from ..state import get_state
from .faulting import inject_after, inject_before

__all__ = ("bp", "add_route", "base_url", "load_body", "service_context", "routed")

bp = Blueprint("api", __name__)

#: URL prefixes every API route is served under.
PREFIXES = ("", "/organizations/<organization_id>")

#: Rebilly's resource id pattern, for organization ids in URLs.
RESOURCE_ID = re.compile(r"[@~\-.\w]{1,50}", re.ASCII)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: Paths of the admin API, which is never journaled.
ADMIN_PATH = "/__admin"

#: Endpoints that also accept a publishable key (``Authorization: pk_…``).
PUBLISHABLE_ENDPOINTS: set[str] = set()


@bp.url_value_preprocessor
def _pull_organization(endpoint: str | None, values: dict | None) -> None:
    organization_id = (values or {}).pop("organization_id", None)
    if organization_id is not None and not RESOURCE_ID.fullmatch(organization_id):
        raise NotFound("No organization has that id (1-50 letters, digits and @ ~ - . _).")
    g.organization_id = organization_id


# The hooks below run on every request: they take the request and ``g`` out of their proxies
# once (``_get_current_object``), as each proxy lookup costs about as much as a dict copy.


@bp.before_request
def _before_view() -> None:
    state = get_state()
    req, ctx = request._get_current_object(), g._get_current_object()
    namespace = ctx.namespace = authenticate(
        req.headers,
        allow_publishable=req.endpoint in PUBLISHABLE_ENDPOINTS,
        accepted_keys=state.config["api_keys"],
        salt=state.namespace_salt,
    )
    writing = req.method not in ("GET", "HEAD", "OPTIONS")
    seed_namespace(state, namespace.id, writing=writing)
    ctx.allowance = None
    inject_before(state, namespace.id)
    if writing:
        ctx.allowance = state.rate_limiter.hit(namespace.id)


@bp.after_request
def _finish(response: Response) -> Response:
    """After-commit faults, rate-limit headers, then the journal sees the final answer."""
    state = get_state()
    response = inject_after(state, response)
    if request.method in WRITE_METHODS and response.status_code < 400 \
            and "/subscription" in request.path:
        state.billing.ensure_started()  # orders and their pauses have steps on the clock
    allowance = g.get("allowance")
    if allowance is not None and response.status_code < 400:
        response.headers.update(allowance.headers())
    namespace = g.get("namespace")
    if namespace is not None:
        _journal(namespace.id, response)
    return response


@bp.after_app_request
def _journal_unrouted(response: Response) -> Response:
    """Journal a request that matched no route, when a usable credential says whose it is."""
    if request.endpoint is not None or g.get("journaled") or request.path.startswith(ADMIN_PATH):
        return response
    state = get_state()
    try:
        namespace = authenticate(request.headers, allow_publishable=True,
                                 accepted_keys=state.config["api_keys"],
                                 salt=state.namespace_salt)
    except SandboxError:  # anonymous, or a credential that works nowhere: nobody to show it to
        return response
    _journal(namespace.id, response)
    return response


def _journal(namespace: str, response: Response) -> None:
    req, ctx = request._get_current_object(), g._get_current_object()
    ctx.journaled = True
    state = get_state()
    try:
        body = req.get_data()
    except HTTPException:  # too large or cut off: journal the request without it
        body = b""
    started = ctx.get("started")
    network_fault = req.environ.get(NETWORK_FAULT_KEY)
    # A dropped connection carries no status; a truncated answer still had one.
    status = None if network_fault and network_fault[0] != "truncate" else response.status_code
    stored = ctx.get("stored_before_fault")
    if stored is None:  # no after-commit fault: a write is stored when it was answered 2xx
        stored = req.method in WRITE_METHODS and status is not None and status < 300
    duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
    if network_fault and network_fault[0] == "hang":
        # The server holds the connection this long once the answer is made, then cuts it: the
        # client waited that long too.
        duration_ms += network_fault[1] * 1000
    state.journal.record(
        namespace,
        time=state.clock_for(namespace).now(),
        method=req.method, path=req.path, query=req.query_string.decode("latin-1"),
        headers=req.headers.items(), body=body, status=status,
        duration_ms=duration_ms,
        fault=fault.journal() if (fault := ctx.get("fault")) else None,
        stored=stored)


#: Root URLs already worked out, by the environ values werkzeug makes them from; bounded, since
#: the Host header is the client's to choose.
_ROOT_URLS: dict[tuple, str] = {}
_ROOT_URL_KEYS = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME")
_MAX_ROOT_URLS = 256


def _root_url() -> str:
    """``request.root_url`` without its slash, worked out once per host rather than per request
    (decoding, IDNA and quoting the host cost more than the rest of ``base_url``)."""
    environ = request.environ
    key = tuple(environ.get(name) for name in _ROOT_URL_KEYS)
    root = _ROOT_URLS.get(key)
    if root is None:
        if len(_ROOT_URLS) >= _MAX_ROOT_URLS:
            _ROOT_URLS.clear()
        root = _ROOT_URLS[key] = request.root_url.rstrip("/")
    return root


def base_url() -> str:
    """This request's API root, keeping the organization prefix it was sent with."""
    ctx = g._get_current_object()
    cached = ctx.get("base_url")
    if cached is None:
        cached = _root_url()
        organization_id = ctx.get("organization_id")
        if organization_id:
            cached = f"{cached}/organizations/{organization_id}"
        ctx.base_url = cached
    return cached


def load_body(schema: Schema) -> dict[str, Any]:
    """The request body, parsed as JSON whatever its Content-Type and validated by ``schema``."""
    config = get_state().config
    body = parse_json_object(request.get_data(), max_depth=config["max_json_depth"])
    return load(schema, body, strict=config["strict"])


def service_context() -> Context:
    """What a service needs to act for this request's namespace and organization."""
    request_globals = g._get_current_object()
    ctx = get_state().context(request_globals.namespace.id, request_globals.organization_id)
    ctx.base_url = base_url()
    return ctx


def routed(path: str, method: str | None = None) -> bool:
    """Whether an API route takes ``path`` (with ``method``, when one is named).

    Fault rules act only on requests a route took, so a rule whose path fails this never fires.
    A path with a ``*`` may match a route whatever it holds, so it counts as routed.
    """
    if "*" in path:
        return True
    adapter = current_app.url_map.bind("sandbox.invalid")
    try:
        endpoint, _ = adapter.match(path, method=method or "GET")
    except RequestRedirect:
        return True
    except MethodNotAllowed:
        return method is None  # another method is taken, and the rule names none
    except HTTPException:
        return False
    return endpoint.startswith(f"{bp.name}.")


def add_route(rule: str, view, methods: list[str], *, publishable: bool = False) -> None:
    """Serve ``view`` at ``rule`` with and without a trailing slash, under every prefix."""
    for prefix in PREFIXES:
        bp.add_url_rule(prefix + rule, view_func=view, methods=methods, strict_slashes=False)
    if publishable:
        PUBLISHABLE_ENDPOINTS.add(f"{bp.name}.{view.__name__}")
