"""``GET /customers``: read the list parameters, ask the listing service, show the page.

The answer is a bare JSON array, each customer shown exactly as ``GET /customers/{id}`` shows it
(``expand`` included), with the paging in ``Pagination-Total``, ``Pagination-Limit`` and
``Pagination-Offset`` headers, which is where Rebilly's SDKs read it from.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, request

from ..services.customers import parse_expand
from ..services.listing import ListQuery, parse_list_query, select_fields
from ..services.listing import list_customers as list_page
from ..state import get_state
from .present import json_response, show_customers
from .routing import add_route, base_url


def _query() -> ListQuery:
    """Repeated ``sort`` or ``filter`` parameters add up, as if joined with ``,`` or ``;``."""
    args = request.args
    filters = [value for value in args.getlist("filter") if value.strip()]
    return parse_list_query(
        limit=args.get("limit"),
        offset=args.get("offset"),
        sort=args.getlist("sort"),
        filter=";".join(filters) if filters else None,
        q=args.get("q"),
        fields=args.get("fields"),
    )


def list_customers() -> Response:
    query = _query()
    expand = parse_expand(request.args.get("expand"))
    namespace, root = g.namespace.id, base_url()

    def present(page: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return show_customers(page, namespace, root, expand)

    shown, total = list_page(get_state().store, namespace, query, present)
    return json_response([select_fields(body, query.fields) for body in shown], 200, {
        "Pagination-Total": str(total),
        "Pagination-Limit": str(query.limit),
        "Pagination-Offset": str(query.offset),
    })


add_route("/customers", list_customers, ["GET"])
