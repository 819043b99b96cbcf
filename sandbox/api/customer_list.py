"""``GET /customers``: load the list query, ask the listing service for the page, show it.

The answer is a bare JSON array, each customer shown exactly as ``GET /customers/{id}`` shows it
(``expand`` included), with the paging in ``Pagination-Total``, ``Pagination-Limit`` and
``Pagination-Offset`` headers, which is where Rebilly's SDKs read it from.
"""

from __future__ import annotations

from flask import Response, g, request

from ..resources import CUSTOMERS
from ..schemas.list_query import load_list_query
from ..services import listing
from ..services.paging import select_fields
from ..state import get_state
from .present import customer_body, json_response
from .routing import add_route, base_url


def list_customers() -> Response:
    query = load_list_query(CUSTOMERS, request.args)
    page = listing.list_customers(get_state().store, g.namespace.id, query)
    root = base_url()
    shown = []
    for customer, related in zip(page.documents, page.related):
        body = customer_body(customer, root, lead_source=related.has_lead_source)
        if related.embedded is not None:
            body["_embedded"] = related.embedded
        shown.append(select_fields(body, query.fields))
    return json_response(shown, 200, {
        "Pagination-Total": str(page.total),
        "Pagination-Limit": str(query.limit),
        "Pagination-Offset": str(query.offset),
    })


add_route("/customers", list_customers, ["GET"])
