"""The order routes (``/subscriptions``) in the OpenAPI document: the collection, one order,
its void and item-change actions and its upcoming invoice, bodies read from the validating
schemas."""

from __future__ import annotations

from typing import Any

from ..resources import SUBSCRIPTIONS
from ..schemas.invoice import InvoiceIssueSchema
from ..schemas.list_query import list_query_parameters
from ..schemas.order import ItemChangeSchema, OrderSchema
from ..schemas.order_responses import OrderResponseSchema, UpcomingInvoiceResponseSchema
from ..schemas.responses import ProblemSchema
from .components import (
    CREATED_HEADERS,
    RATE_LIMITED,
    error_refs,
    json_answer,
    list_operation,
    request_body,
)

__all__ = ("order_operations",)

TAGS = ["Orders"]
_MEMBER = "/subscriptions/{order_id}"


def order_operations() -> dict[str, dict[str, dict[str, Any]]]:
    """``/subscriptions``, one order and its actions, as apispec path operations."""
    created = json_answer(OrderResponseSchema, "Created.", headers=CREATED_HEADERS)
    not_pending = json_answer(ProblemSchema, "The order is not pending.")
    return {
        "/subscriptions": {
            "post": {
                "operationId": "createOrder", "tags": TAGS,
                "summary": "Create an order: its initial invoice is issued and, with autopay "
                           "and an instrument, paid at once.",
                "requestBody": request_body(OrderSchema),
                "responses": {"201": created, **error_refs(400, 401, 413, 422, 429)},
            },
            "get": list_operation("listOrders", TAGS, "A page of the namespace's orders.",
                                  list_query_parameters(SUBSCRIPTIONS),
                                  OrderResponseSchema(partial=True),
                                  description="The page, as a bare array."),
        },
        _MEMBER: {
            "get": {
                "operationId": "getOrder", "tags": TAGS, "summary": "One order.",
                "responses": {"200": json_answer(OrderResponseSchema, "The order."),
                              **error_refs(401, 404)},
            },
            "put": {
                "operationId": "upsertOrder", "tags": TAGS,
                "summary": "Create the order with this id, or replace its writable members "
                           "(items only while it is pending).",
                "requestBody": request_body(OrderSchema),
                "responses": {"200": json_answer(OrderResponseSchema, "Replaced.",
                                                 headers=RATE_LIMITED),
                              "201": created, **error_refs(400, 401, 413, 422, 429)},
            },
            "delete": {
                "operationId": "deleteOrder", "tags": TAGS,
                "summary": "Delete a pending order and its unpaid initial invoice.",
                "responses": {"204": {"description": "Deleted.", "headers": RATE_LIMITED},
                              "409": not_pending, **error_refs(401, 404, 429)},
            },
        },
        f"{_MEMBER}/void": {"post": {
            "operationId": "voidOrder", "tags": TAGS,
            "summary": "Void a pending order (a one-time order is canceled) and its unpaid "
                       "initial invoice.",
            "responses": {"201": json_answer(OrderResponseSchema, "The order.",
                                             headers=CREATED_HEADERS),
                          "409": not_pending, **error_refs(401, 404, 429)},
        }},
        f"{_MEMBER}/change-items": {"post": {
            "operationId": "changeOrderItems", "tags": TAGS,
            "summary": "Replace an active order's items (the complete new set).",
            "requestBody": request_body(ItemChangeSchema),
            "responses": {"201": json_answer(OrderResponseSchema, "The order.",
                                             headers=CREATED_HEADERS),
                          **error_refs(400, 401, 404, 413, 422, 429)},
        }},
        f"{_MEMBER}/upcoming-invoice/issue": {"post": {
            "operationId": "issueUpcomingInvoice", "tags": TAGS,
            "summary": "Issue the next period's renewal invoice now, to be paid ahead of time.",
            "requestBody": {**request_body(InvoiceIssueSchema), "required": False},
            "responses": {"201": json_answer(UpcomingInvoiceResponseSchema,
                                             "The invoice issued.", headers=CREATED_HEADERS),
                          "409": json_answer(ProblemSchema, "No renewal ahead, or its "
                                             "invoice is issued already."),
                          **error_refs(400, 401, 404, 429)},
        }},
        f"{_MEMBER}/upcoming-invoice": {"get": {
            "operationId": "getUpcomingInvoice", "tags": TAGS,
            "summary": "What the order's next renewal will bill, not stored.",
            "responses": {"200": json_answer(UpcomingInvoiceResponseSchema,
                                             "The upcoming invoice."),
                          **error_refs(401, 404)},
        }},
    }
