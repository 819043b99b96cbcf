"""Customer routes: load the body, call the service, show the result. Nothing else."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request

from ..errors import NotFound
from ..jsonbody import parse_json_object
from ..schemas import CustomerSchema, load
from ..services.customers import CUSTOMERS, LEAD_SOURCES, Context, create_customer
from ..state import get_state
from .routing import add_route, base_url
from .present import customer_body

customer_schema = CustomerSchema()


def _context() -> Context:
    state = get_state()
    return Context(state.store, state.ids, state.clock, g.namespace.id, g.organization_id)


def _show(customer: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    store = get_state().store
    has_lead_source = store.get(g.namespace.id, LEAD_SOURCES, customer["id"]) is not None
    body = customer_body(customer, base_url(), lead_source=has_lead_source)
    response = current_app.json.response(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def post_customer() -> Response:
    state = get_state()
    body = parse_json_object(request.get_data(cache=False),
                             max_depth=state.config["max_json_depth"])
    data = load(customer_schema, body, strict=state.config["strict"])
    customer = create_customer(_context(), data)
    return _show(customer, 201, {"Location": f"{base_url()}/customers/{customer['id']}"})


def get_customer(customer_id: str) -> Response:
    customer = get_state().store.get(g.namespace.id, CUSTOMERS, customer_id)
    if customer is None:
        raise NotFound(f"Customer {customer_id} was not found.")
    return _show(customer, 200)


add_route("/customers", post_customer, ["POST"])
add_route("/customers/<customer_id>", get_customer, ["GET"])
