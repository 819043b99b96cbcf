"""``GET /customers``: load the list query, ask the listing service for the page, show it.

The answer is a bare JSON array, each customer shown exactly as ``GET /customers/{id}`` shows it
(``expand`` included), with the paging in ``Pagination-Total``, ``Pagination-Limit`` and
``Pagination-Offset`` headers, which is where Rebilly's SDKs read it from.
"""

from __future__ import annotations

from flask import Response, request

from ..resources import CUSTOMERS
from ..schemas.list_query import load_list_query
from ..services import listing
from ..services.paging import select_fields
from .present import page_response, show_customers
from .routing import add_route, base_url, service_context


def list_customers() -> Response:
    query = load_list_query(CUSTOMERS, request.args)
    page = listing.list_customers(service_context(), query)
    shown = show_customers(page.documents, page.related, base_url())
    return page_response([select_fields(body, query.fields) for body in shown], page.total,
                         query.limit, query.offset)


add_route("/customers", list_customers, ["GET"])
