"""Customer routes: load the body, call the service, show the result. Nothing else."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request

from ..errors import NotFound
from ..schemas import CustomerSchema
from ..services.customers import (CUSTOMERS, LEAD_SOURCES, create_customer, merge_customer,
                                  parse_expand, upsert_customer)
from ..state import get_state
from .present import json_response, show_customers
from .routing import add_route, base_url, load_body, service_context

customer_schema = CustomerSchema()


def _show(customer: dict[str, Any], status: int, expand: tuple[str, ...],
          headers: dict[str, str] | None = None) -> Response:
    body = show_customers([customer], g.namespace.id, base_url(), expand)[0]
    return json_response(body, status, headers)


def post_customer() -> Response:
    expand = parse_expand(request.args.get("expand"))
    customer = create_customer(service_context(), load_body(customer_schema))
    return _show(customer, 201, expand, {"Location": f"{base_url()}/customers/{customer['id']}"})


def get_customer(customer_id: str) -> Response:
    expand = parse_expand(request.args.get("expand"))
    customer = get_state().store.get(g.namespace.id, CUSTOMERS, customer_id)
    if customer is None:
        raise NotFound(f"Customer {customer_id} was not found.")
    return _show(customer, 200, expand)


def put_customer(customer_id: str) -> Response:
    expand = parse_expand(request.args.get("expand"))
    customer, created = upsert_customer(service_context(), customer_id, load_body(customer_schema))
    if created:
        return _show(customer, 201, expand,
                     {"Location": f"{base_url()}/customers/{customer['id']}"})
    return _show(customer, 200, expand)


def get_lead_source(customer_id: str) -> Response:
    lead_source = get_state().store.get(g.namespace.id, LEAD_SOURCES, customer_id)
    if lead_source is None:
        raise NotFound(f"Customer {customer_id} has no lead source.")
    self_url = f"{base_url()}/customers/{customer_id}"
    return json_response({**lead_source, "_links": [
        {"rel": "self", "href": f"{self_url}/lead-source"}, {"rel": "customer", "href": self_url}]})


def delete_customer(customer_id: str) -> Response:
    merge_customer(service_context(), customer_id, request.args.get("targetCustomerId"))
    return Response(status=204)


add_route("/customers", post_customer, ["POST"])
add_route("/customers/<customer_id>", get_customer, ["GET"])
add_route("/customers/<customer_id>", put_customer, ["PUT"])
add_route("/customers/<customer_id>", delete_customer, ["DELETE"])
add_route("/customers/<customer_id>/lead-source", get_lead_source, ["GET"])
