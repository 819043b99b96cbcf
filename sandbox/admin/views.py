"""The ``/__admin`` views: each a thin HTTP layer over one call of ``admin.operations``.

An admin request names its namespace the way an API request does, with ``REB-APIKEY``; a view
reads it (required or not) where its operation needs it, after or before its body as it always
has, so the order of the errors it answers stays the same.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request

from ..api.present import json_response
from ..api.routing import routed
from ..auth import authenticate
from ..jsonbody import parse_json_object
from ..problems import BadRequest
from ..schemas import load
from ..schemas.admin import ClockSchema, JournalQuerySchema
from ..schemas.fault import FaultRuleSchema
from ..seeding import seed_namespace
from ..state import get_state
from . import operations

__all__ = ("OPENAPI_BUILDER",)

#: The ``app.extensions`` key under which the OpenAPI document's builder is kept.
OPENAPI_BUILDER = "rebilly_sandbox.openapi"

clock_schema = ClockSchema()
journal_query_schema = JournalQuerySchema()
fault_rule_schema = FaultRuleSchema()


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
    added = operations.add_fault(get_state(), _namespace(required=False), rule, definition)
    path, method = rule["match"].get("path"), rule["match"].get("method")
    if path is not None and not routed(path, method):
        added["warning"] = (f"No API route takes {method + ' ' if method else ''}{path}, so "
                            "this rule can never fire (a request no route takes is a 404 or "
                            "405 and is never faulted).")
    return json_response(added, 201)


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


def deliver_webhooks() -> Response:
    return json_response(operations.deliver_webhooks(get_state(), _namespace(required=False)))


def webhook_tracking() -> Response:
    namespace = _namespace(required=True)
    return json_response(operations.webhook_tracking(
        get_state(), namespace, request.args.get("eventType") or None))


def openapi_document() -> Response:
    """The sandbox's OpenAPI document, with this request's root as its server.

    The document is built from the route table that serves this view, so its builder is handed
    over at start-up (``rebilly_sandbox.admin.init_app``) rather than imported here.
    """
    spec = current_app.extensions[OPENAPI_BUILDER]()
    return json_response({"openapi": spec["openapi"], "info": spec["info"],
                          "servers": [{"url": request.root_url.rstrip("/")}], **spec})
