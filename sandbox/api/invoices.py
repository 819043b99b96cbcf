"""The invoice routes: create (``POST`` or ``PUT`` by id), read, list, items, and the issue,
void and abandon actions. Load the body or list query, call the service, show the result.

Actions answer 201 with ``Location`` (the invoice), as Rebilly declares; void and abandon take
no body, and issue takes none or ``{issuedTime?, dueTime?}``. ``…/transaction`` (an approved
payment's unused amount pays the invoice) answers 200 with the invoice.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from marshmallow import Schema

from ..resources import INVOICES
from ..schemas.invoice import (
    InvoiceIssueSchema,
    InvoiceItemSchema,
    InvoiceSchema,
    InvoiceTransactionSchema,
)
from ..schemas.list_query import load_list_query
from ..services import events, invoice_payments, invoices
from .present import invoice_body, invoice_item_body, json_response, page_response
from .routing import add_route, base_url, load_body, service_context

__all__ = ()

_invoice_schema = InvoiceSchema()
_item_schema = InvoiceItemSchema()
_issue_schema = InvoiceIssueSchema()
_transaction_schema = InvoiceTransactionSchema()

events.register_presenter("invoice", invoice_body)


def _location(invoice_id: str) -> dict[str, str]:
    return {"Location": f"{base_url()}/invoices/{invoice_id}"}


def _optional_body(schema: Schema) -> dict[str, Any]:
    """An action's body: none at all reads as ``{}`` (the SDK sends none)."""
    return load_body(schema) if request.get_data().strip() else {}


def post_invoice() -> Response:
    invoice = invoices.create_invoice(service_context(), load_body(_invoice_schema))
    return json_response(invoice_body(invoice, base_url()), 201, _location(invoice["id"]))


def list_invoices() -> Response:
    query = load_list_query(INVOICES, request.args)
    page = invoices.list_invoices(service_context(), query)
    return page_response([invoice_body(invoice, base_url()) for invoice in page.documents],
                         page.total, query.limit, query.offset)


def get_invoice(invoice_id: str) -> Response:
    return json_response(invoice_body(invoices.get_invoice(service_context(), invoice_id),
                                      base_url()))


def put_invoice(invoice_id: str) -> Response:
    invoice, created = invoices.upsert_invoice(service_context(), invoice_id,
                                               load_body(_invoice_schema))
    if created:
        return json_response(invoice_body(invoice, base_url()), 201, _location(invoice_id))
    return json_response(invoice_body(invoice, base_url()))


def list_items(invoice_id: str) -> Response:
    """The invoice's items, a bare array: ``limit`` and ``offset`` apply, no Pagination-*."""
    items = invoices.get_invoice(service_context(), invoice_id)["items"]
    offset, limit = _bound("offset", 0), _bound("limit", 100)
    return json_response([invoice_item_body(item, invoice_id, base_url())
                          for item in items[offset:offset + limit]])


def post_item(invoice_id: str) -> Response:
    item = invoices.add_item(service_context(), invoice_id, load_body(_item_schema))
    return json_response(invoice_item_body(item, invoice_id, base_url()), 201,
                         {"Location": f"{base_url()}/invoices/{invoice_id}/items/{item['id']}"})


def issue(invoice_id: str) -> Response:
    invoice = invoices.issue_invoice(service_context(), invoice_id,
                                     _optional_body(_issue_schema))
    return json_response(invoice_body(invoice, base_url()), 201, _location(invoice_id))


def void(invoice_id: str) -> Response:
    invoice = invoices.void_invoice(service_context(), invoice_id)
    return json_response(invoice_body(invoice, base_url()), 201, _location(invoice_id))


def abandon(invoice_id: str) -> Response:
    invoice = invoices.abandon_invoice(service_context(), invoice_id)
    return json_response(invoice_body(invoice, base_url()), 201, _location(invoice_id))


def apply_transaction(invoice_id: str) -> Response:
    """200 with the invoice (Rebilly declares 200 here, unlike the other actions)."""
    invoice = invoice_payments.apply_transaction(service_context(), invoice_id,
                                                 load_body(_transaction_schema))
    return json_response(invoice_body(invoice, base_url()))


def _bound(name: str, default: int) -> int:
    """A ``limit`` or ``offset`` of 0..1000; anything else falls back to the default."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and int(value) <= 1000 else default


for _view, _rule, _method in (
        (post_invoice, "/invoices", "POST"), (list_invoices, "/invoices", "GET"),
        (get_invoice, "/invoices/<invoice_id>", "GET"),
        (put_invoice, "/invoices/<invoice_id>", "PUT"),
        (list_items, "/invoices/<invoice_id>/items", "GET"),
        (post_item, "/invoices/<invoice_id>/items", "POST"),
        (issue, "/invoices/<invoice_id>/issue", "POST"),
        (void, "/invoices/<invoice_id>/void", "POST"),
        (abandon, "/invoices/<invoice_id>/abandon", "POST"),
        (apply_transaction, "/invoices/<invoice_id>/transaction", "POST")):
    add_route(_rule, _view, [_method])
