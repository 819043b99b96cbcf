"""Customer routes: load the body, call the service, show the result. Nothing else."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ..resources import CUSTOMERS
from ..schemas import CustomerSchema
from ..schemas.customer import LeadSourceSchema
from ..schemas.list_query import load_expand
from ..services import customer_reads
from ..services.customers import (
    create_customer,
    delete_lead_source,
    merge_customer,
    put_lead_source,
    upsert_customer,
)
from .present import json_response, lead_source_body, show_customer
from .routing import add_route, base_url, load_body, service_context

customer_schema = CustomerSchema()
lead_source_schema = LeadSourceSchema()


def _show(customer: dict[str, Any], status: int, expand: tuple[str, ...],
          headers: dict[str, str] | None = None) -> Response:
    """Answer with a customer just written, read back with what it shows beside it."""
    relations = customer_reads.for_display(service_context(), [customer], expand)[0]
    return json_response(show_customer(customer, relations, base_url()), status, headers)


def post_customer() -> Response:
    expand = load_expand(CUSTOMERS, request.args.get("expand"))
    customer = create_customer(service_context(), load_body(customer_schema))
    return _show(customer, 201, expand, {"Location": f"{base_url()}/customers/{customer['id']}"})


def get_customer(customer_id: str) -> Response:
    expand = load_expand(CUSTOMERS, request.args.get("expand"))
    customer, relations = customer_reads.get_customer(service_context(), customer_id, expand)
    return json_response(show_customer(customer, relations, base_url()))


def put_customer(customer_id: str) -> Response:
    expand = load_expand(CUSTOMERS, request.args.get("expand"))
    customer, created = upsert_customer(service_context(), customer_id, load_body(customer_schema))
    if created:
        return _show(customer, 201, expand,
                     {"Location": f"{base_url()}/customers/{customer['id']}"})
    return _show(customer, 200, expand)


def get_lead_source(customer_id: str) -> Response:
    lead_source = customer_reads.get_lead_source(service_context(), customer_id)
    return json_response(lead_source_body(lead_source, customer_id, base_url()))


def put_customer_lead_source(customer_id: str) -> Response:
    """The JS SDK's createLeadSource and updateLeadSource: 201 either way, the only success
    Rebilly declares."""
    lead_source = put_lead_source(service_context(), customer_id, load_body(lead_source_schema))
    url = f"{base_url()}/customers/{customer_id}/lead-source"
    return json_response(lead_source_body(lead_source, customer_id, base_url()), 201,
                         {"Location": url})


def delete_customer_lead_source(customer_id: str) -> Response:
    delete_lead_source(service_context(), customer_id)
    return Response(status=204)


def delete_customer(customer_id: str) -> Response:
    merge_customer(service_context(), customer_id, request.args.get("targetCustomerId"))
    return Response(status=204)


add_route("/customers", post_customer, ["POST"])
add_route("/customers/<customer_id>", get_customer, ["GET"])
add_route("/customers/<customer_id>", put_customer, ["PUT"])
add_route("/customers/<customer_id>", delete_customer, ["DELETE"])
add_route("/customers/<customer_id>/lead-source", get_lead_source, ["GET"])
add_route("/customers/<customer_id>/lead-source", put_customer_lead_source, ["PUT"])
add_route("/customers/<customer_id>/lead-source", delete_customer_lead_source, ["DELETE"])
