"""The order routes (Rebilly's ``/subscriptions``): create (``POST`` or ``PUT`` by id), read,
list, delete and void a pending order, change an active order's items, read its upcoming
invoice or issue it early. Load the body or list query, call the service, show the result.

``expand`` embeds ``customer``, ``website``, ``initialInvoice``, ``recentInvoice`` and
``upcomingInvoice`` (``paymentInstrument`` when the order names one).
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ..problems import NotFound
from ..resources import SUBSCRIPTIONS
from ..schemas.invoice import InvoiceIssueSchema
from ..schemas.list_query import load_list_query
from ..schemas.order import ItemChangeSchema, OrderSchema
from ..services import events, orders
from ..services.context import Context
from ..services.customer_reads import get_customer
from ..services.instruments import get_instrument
from ..services.invoices import get_invoice
from ..services.websites import get_website
from .order_bodies import order_body, upcoming_invoice_body
from .present import (
    customer_body,
    instrument_body,
    invoice_body,
    json_response,
    page_response,
    website_body,
)
from .routing import add_route, base_url, load_body, service_context

__all__ = ()

_order_schema = OrderSchema()
_change_schema = ItemChangeSchema()
_issue_schema = InvoiceIssueSchema()

events.register_presenter("subscription", order_body)


def _location(order_id: str) -> dict[str, str]:
    return {"Location": f"{base_url()}/subscriptions/{order_id}"}


def _expand() -> tuple[str, ...]:
    """The ``expand`` names asked for that an order can embed."""
    asked = request.args.get("expand", "")
    return tuple(name.strip() for name in asked.split(",")
                 if name.strip() in SUBSCRIPTIONS.expandable)


def _show(ctx: Context, order: dict[str, Any]) -> dict[str, Any]:
    """The order with what ``expand`` asked for; what is gone is left out."""
    root = base_url()
    embedded: dict[str, Any] = {}
    for name in _expand():
        try:
            embedded[name] = _related(ctx, order, name, root)
        except NotFound:
            continue
    return order_body(order, root, embedded or None)


def _related(ctx: Context, order: dict[str, Any], name: str, root: str) -> dict[str, Any]:
    """:raises NotFound: when the order has no such related document."""
    if name == "customer":
        customer, relations = get_customer(ctx, order["customerId"])
        return customer_body(customer, root, lead_source=relations.has_lead_source)
    if name == "website":
        return website_body(get_website(ctx, order["websiteId"]), root)
    if name in ("initialInvoice", "recentInvoice"):
        return invoice_body(get_invoice(ctx, order.get(f"{name}Id") or ""), root)
    if name == "upcomingInvoice":
        return upcoming_invoice_body(orders.upcoming_invoice(ctx, order["id"]), root)
    instrument_id = order.get("paymentInstrumentId")
    if not instrument_id:
        raise NotFound("The order names no payment instrument.")
    return instrument_body(get_instrument(ctx, instrument_id), root)


def post_order() -> Response:
    ctx = service_context()
    order = orders.create_order(ctx, load_body(_order_schema))
    return json_response(_show(ctx, order), 201, _location(order["id"]))


def list_orders() -> Response:
    ctx = service_context()
    query = load_list_query(SUBSCRIPTIONS, request.args)
    page = orders.list_orders(ctx, query)
    return page_response([_show(ctx, order) for order in page.documents], page.total,
                         query.limit, query.offset)


def get_order(order_id: str) -> Response:
    ctx = service_context()
    return json_response(_show(ctx, orders.get_order(ctx, order_id)))


def put_order(order_id: str) -> Response:
    ctx = service_context()
    order, created = orders.upsert_order(ctx, order_id, load_body(_order_schema))
    if created:
        return json_response(_show(ctx, order), 201, _location(order_id))
    return json_response(_show(ctx, order))


def delete_order(order_id: str) -> Response:
    orders.delete_order(service_context(), order_id)
    return Response(status=204)


def void_order(order_id: str) -> Response:
    ctx = service_context()
    order = orders.void_order(ctx, order_id)
    return json_response(_show(ctx, order), 201, _location(order_id))


def change_items(order_id: str) -> Response:
    ctx = service_context()
    order = orders.change_items(ctx, order_id, load_body(_change_schema))
    return json_response(_show(ctx, order), 201, _location(order_id))


def issue_upcoming_invoice(order_id: str) -> Response:
    """201 with the invoice issued, in the upcoming invoice's shape; an ``InvoiceIssue`` body
    is read and its times are not used (the invoice is issued now, due an hour later)."""
    if request.get_data().strip():
        load_body(_issue_schema)
    invoice = orders.issue_upcoming_invoice(service_context(), order_id)
    return json_response(upcoming_invoice_body(invoice, base_url()), 201,
                         {"Location": f"{base_url()}/invoices/{invoice['id']}"})


def upcoming_invoice(order_id: str) -> Response:
    invoice = orders.upcoming_invoice(service_context(), order_id)
    return json_response(upcoming_invoice_body(invoice, base_url()))


for _view, _rule, _method in (
        (post_order, "/subscriptions", "POST"), (list_orders, "/subscriptions", "GET"),
        (get_order, "/subscriptions/<order_id>", "GET"),
        (put_order, "/subscriptions/<order_id>", "PUT"),
        (delete_order, "/subscriptions/<order_id>", "DELETE"),
        (void_order, "/subscriptions/<order_id>/void", "POST"),
        (change_items, "/subscriptions/<order_id>/change-items", "POST"),
        (upcoming_invoice, "/subscriptions/<order_id>/upcoming-invoice", "GET"),
        (issue_upcoming_invoice, "/subscriptions/<order_id>/upcoming-invoice/issue", "POST")):
    add_route(_rule, _view, [_method])
