"""The ``/__admin`` API over HTTP: one explicit route table, each a thin layer on a Python call.

An admin request names its namespace the way an API request does, with ``REB-APIKEY``;
``Authorization`` is kept for the admin token (``--admin-token``). Admin routes are never rate
limited and never recorded in the request journal.
"""

from __future__ import annotations

import hmac
from typing import Any, Callable

from flask import Blueprint, Flask, Response, request

from ..api.present import json_response
from ..auth import authenticate
from ..errors import BadRequest, Unauthorized
from ..jsonbody import parse_json_object
from ..openapi import build_spec
from ..schemas import load
from ..schemas.admin import ClockSchema, JournalQuerySchema
from ..schemas.fault import FaultRuleSchema
from ..seeding import seed_namespace
from ..state import get_state
from . import dashboard, operations

__all__ = ("bp", "init_app")

bp = Blueprint("admin", __name__, url_prefix="/__admin")
clock_schema = ClockSchema()
journal_query_schema = JournalQuerySchema()
fault_rule_schema = FaultRuleSchema()


@bp.before_request
def _check_admin_token() -> None:
    expected = get_state().config["admin_token"]
    if expected is None or request.endpoint == "admin.health":
        return  # health stays open: container health checks and wait loops carry no token
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(),
                                                             expected.encode()):
        raise Unauthorized("Admin routes need 'Authorization: Bearer <admin token>'.",
                           headers={"WWW-Authenticate": 'Bearer realm="rebilly-sandbox admin"'})


def _namespace(required: bool) -> str | None:
    if "REB-APIKEY" not in request.headers:
        if required:
            raise BadRequest("Name the namespace with the REB-APIKEY header of its API key.")
        return None
    state = get_state()
    namespace = authenticate({"REB-APIKEY": request.headers["REB-APIKEY"]},
                             accepted_keys=state.config["api_keys"], salt=state.namespace_salt).id
    if request.method != "GET":  # an admin change: the namespace is no longer only read
        seed_namespace(state, namespace)
    return namespace


def _body() -> dict[str, Any]:
    return parse_json_object(request.get_data(), max_depth=get_state().config["max_json_depth"])


def health() -> Response:
    return json_response(operations.health(get_state()))


def reset() -> Response:
    return json_response(operations.reset(get_state(), _namespace(required=False)))


def list_fixtures() -> Response:
    return json_response(operations.list_fixtures(get_state()))


def load_named_fixtures(name: str) -> Response:
    return json_response(operations.load_fixtures(get_state(), _namespace(required=True), name),
                         201)


def load_inline_fixtures() -> Response:
    namespace = _namespace(required=True)
    return json_response(operations.load_fixtures(get_state(), namespace, inline=_body()), 201)


def export() -> Response:
    return json_response(operations.export(get_state(), _namespace(required=True)))


def list_snapshots() -> Response:
    return json_response(operations.list_snapshots(get_state(), _namespace(required=True)))


def save_snapshot(name: str) -> Response:
    return json_response(operations.save_snapshot(get_state(), _namespace(required=True), name),
                         201)


def restore_snapshot(name: str) -> Response:
    return json_response(operations.restore_snapshot(get_state(), _namespace(required=True),
                                                     name))


def delete_snapshot(name: str) -> Response:
    operations.delete_snapshot(get_state(), _namespace(required=True), name)
    return Response(status=204)


def get_clock() -> Response:
    return json_response(operations.clock(get_state(), _namespace(required=False)))


def move_clock() -> Response:
    change = load(clock_schema, _body())
    return json_response(operations.move_clock(
        get_state(), _namespace(required=False), change["action"], change.get("time"),
        change.get("seconds")))


def add_fault() -> Response:
    definition = _body()
    rule = load(fault_rule_schema, definition)
    return json_response(operations.add_fault(get_state(), _namespace(required=False), rule,
                                              definition), 201)


def list_faults() -> Response:
    return json_response(operations.list_faults(get_state(), _namespace(required=False)))


def get_fault(rule_id: str) -> Response:
    return json_response(operations.get_fault(get_state(), _namespace(required=False), rule_id))


def delete_fault(rule_id: str) -> Response:
    operations.delete_fault(get_state(), _namespace(required=False), rule_id)
    return Response(status=204)


def clear_faults() -> Response:
    return json_response(operations.clear_faults(get_state(), _namespace(required=False)))


def list_requests() -> Response:
    filters = load(journal_query_schema, request.args.to_dict())
    return json_response(operations.requests(get_state(), _namespace(required=True), filters))


def clear_requests() -> Response:
    return json_response(operations.clear_requests(get_state(), _namespace(required=False)))


def openapi_document() -> Response:
    """The sandbox's OpenAPI document, with this request's root as its server."""
    spec = build_spec()
    return json_response({"openapi": spec["openapi"], "info": spec["info"],
                          "servers": [{"url": request.root_url.rstrip("/")}], **spec})


ROUTES: tuple[tuple[str, str, Callable[..., Response]], ...] = (
    ("/health", "GET", health),
    ("/reset", "POST", reset),
    ("/fixtures", "GET", list_fixtures),
    ("/fixtures", "POST", load_inline_fixtures),
    ("/fixtures/<name>", "POST", load_named_fixtures),
    ("/export", "GET", export),
    ("/snapshots", "GET", list_snapshots),
    ("/snapshots/<name>", "POST", save_snapshot),
    ("/snapshots/<name>/restore", "POST", restore_snapshot),
    ("/snapshots/<name>", "DELETE", delete_snapshot),
    ("/clock", "GET", get_clock),
    ("/clock", "POST", move_clock),
    ("/faults", "POST", add_fault),
    ("/faults", "GET", list_faults),
    ("/faults", "DELETE", clear_faults),
    ("/faults/<rule_id>", "GET", get_fault),
    ("/faults/<rule_id>", "DELETE", delete_fault),
    ("/requests", "GET", list_requests),
    ("/requests", "DELETE", clear_requests),
    ("/openapi.json", "GET", openapi_document),
    ("/", "GET", dashboard.dashboard),
)

for _rule, _method, _view in ROUTES:
    bp.add_url_rule(_rule, view_func=_view, methods=[_method], strict_slashes=False)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
