"""The invoice routes in the OpenAPI document: the collection, one invoice, its items, and the
issue, void and abandon actions, bodies read from the validating schemas."""

from __future__ import annotations

from typing import Any

from ..resources import INVOICES
from ..schemas.invoice import (
    InvoiceIssueSchema,
    InvoiceItemSchema,
    InvoiceSchema,
    InvoiceTransactionSchema,
)
from ..schemas.invoice_responses import InvoiceItemResponseSchema, InvoiceResponseSchema
from ..schemas.list_query import list_query_parameters
from ..schemas.responses import ProblemSchema
from .components import (
    CREATED_HEADERS,
    RATE_LIMITED,
    error_refs,
    json_answer,
    list_operation,
    request_body,
)

__all__ = ("invoice_operations",)

TAGS = ["Invoices"]
_MEMBER = "/invoices/{invoice_id}"
#: Each action: what it does, and when it is refused.
_ACTIONS = (
    ("issue", "Issue a draft: unpaid, or paid at once when nothing is due.",
     "The invoice is not a draft."),
    ("void", "Void a draft, unpaid or past-due invoice: every amount becomes 0.",
     "The invoice is paid, partially paid, refunded, abandoned or voided."),
    ("abandon", "Abandon an unpaid, past-due or partially-paid invoice.",
     "The invoice is a draft, paid, refunded, abandoned or voided."),
)


def invoice_operations() -> dict[str, dict[str, dict[str, Any]]]:
    """``/invoices``, one invoice, its items and its actions, as apispec path operations."""
    created = json_answer(InvoiceResponseSchema, "Created.", headers=CREATED_HEADERS)
    operations: dict[str, dict[str, dict[str, Any]]] = {
        "/invoices": {
            "post": {
                "operationId": "createInvoice", "tags": TAGS,
                "summary": "Create a draft invoice with a generated id.",
                "requestBody": request_body(InvoiceSchema),
                "responses": {"201": created, **error_refs(400, 401, 413, 422, 429)},
            },
            "get": list_operation("listInvoices", TAGS, "A page of the namespace's invoices.",
                                  list_query_parameters(INVOICES),
                                  InvoiceResponseSchema(partial=True),
                                  description="The page, as a bare array."),
        },
        _MEMBER: {
            "get": {
                "operationId": "getInvoice", "tags": TAGS, "summary": "One invoice.",
                "responses": {"200": json_answer(InvoiceResponseSchema, "The invoice."),
                              **error_refs(401, 404)},
            },
            "put": {
                "operationId": "upsertInvoice", "tags": TAGS,
                "summary": "Create the draft with this id, or replace its writable members "
                           "(an issued invoice keeps its customer, website, currency and tax).",
                "requestBody": request_body(InvoiceSchema),
                "responses": {"200": json_answer(InvoiceResponseSchema, "Replaced.",
                                                 headers=RATE_LIMITED),
                              "201": created, **error_refs(400, 401, 413, 422, 429)},
            },
        },
        f"{_MEMBER}/items": {
            "get": {
                "operationId": "listInvoiceItems", "tags": TAGS,
                "summary": "The invoice's items, a bare array (limit and offset apply, no "
                           "Pagination-* headers).",
                "parameters": [_bound("limit", "Items to show (0-1000, default 100)."),
                               _bound("offset", "Items to skip (0-1000, default 0).")],
                "responses": {"200": json_answer({"type": "array",
                                                  "items": InvoiceItemResponseSchema},
                                                 "The items."),
                              **error_refs(401, 404)},
            },
            "post": {
                "operationId": "createInvoiceItem", "tags": TAGS,
                "summary": "Add a line to a draft invoice.",
                "requestBody": request_body(InvoiceItemSchema),
                "responses": {"201": json_answer(InvoiceItemResponseSchema, "Created.",
                                                 headers=CREATED_HEADERS),
                              **error_refs(400, 401, 404, 413, 422, 429)},
            },
        },
    }
    for action, summary, conflict in _ACTIONS:
        operation: dict[str, Any] = {
            "operationId": f"{action}Invoice", "tags": TAGS, "summary": summary,
            "responses": {"201": json_answer(InvoiceResponseSchema, "The invoice.",
                                             headers=CREATED_HEADERS),
                          "409": json_answer(ProblemSchema, conflict),
                          **error_refs(400, 401, 404, 429)},
        }
        if action == "issue":
            operation["requestBody"] = {**request_body(InvoiceIssueSchema), "required": False}
        operations[f"{_MEMBER}/{action}"] = {"post": operation}
    operations[f"{_MEMBER}/transaction"] = {"post": {
        "operationId": "applyInvoiceTransaction", "tags": TAGS,
        "summary": "Let an approved payment's unused amount pay the invoice (amount, else as "
                   "much as both allow).",
        "requestBody": request_body(InvoiceTransactionSchema),
        "responses": {"200": json_answer(InvoiceResponseSchema, "The invoice.",
                                         headers=RATE_LIMITED),
                      **error_refs(400, 401, 404, 413, 422, 429)},
    }}
    return operations


def _bound(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description,
            "schema": {"type": "integer", "minimum": 0, "maximum": 1000}}
