"""The API part of the OpenAPI document: customers, tokens, transactions and the rest, under
each route prefix."""

from __future__ import annotations

import copy
from typing import Any

from apispec import APISpec

from ..resources import PAYMENT_TOKENS, TRANSACTIONS
from ..schemas import CustomerSchema, TokenSchema
from ..schemas.customer import LeadSourceSchema
from ..schemas.list_query import expand_parameter, list_query_parameters
from ..schemas.responses import (
    CustomerResponseSchema,
    LeadSourceResponseSchema,
    ProblemSchema,
    TokenResponseSchema,
)
from ..schemas.transaction import (
    RefundSchema,
    TransactionPatchSchema,
    TransactionSchema,
    TransactionUpdateSchema,
)
from .catalog import catalog_operations
from .components import (
    CREATED_HEADERS,
    JSON,
    RATE_LIMITED,
    error_refs,
    json_answer,
    list_operation,
    path_parameters_of,
    request_body,
)
from .coupons import coupon_operations
from .customer_list import CUSTOMER_LIST_PARAMETERS
from .instruments import instrument_operations
from .invoices import invoice_operations
from .order_records import order_record_operations
from .orders import order_operations
from .tracking import tracking_operations
from .webhooks import webhook_operations

__all__ = ("add_api", "API_PREFIXES")

#: Every API path is served under each of these (``rebilly_sandbox.api.routing.PREFIXES``).
API_PREFIXES = ("", "/organizations/{organization_id}")

#: Operations that also accept a publishable key (``api.routing.PUBLISHABLE_ENDPOINTS``).
PUBLISHABLE_OPERATIONS = frozenset({"createToken", "getToken"})

DEFAULT = {"default": json_answer(ProblemSchema, "An injected fault's answer, or an unexpected "
                                                 "error.")}
CUSTOMER_BODY = request_body(CustomerSchema)


def _operations() -> dict[str, dict[str, dict[str, Any]]]:
    customer = CustomerResponseSchema
    return {
        "/customers": {
            "post": {
                "operationId": "createCustomer", "tags": ["Customers"],
                "summary": "Create a customer with a generated id.",
                "parameters": ["expand"], "requestBody": CUSTOMER_BODY,
                "responses": {"201": json_answer(customer, "Created.", headers=CREATED_HEADERS),
                              **error_refs(400, 401, 413, 422, 429)},
            },
            "get": list_operation("listCustomers", ["Customers"],
                                  "A page of the namespace's customers.",
                                  [*CUSTOMER_LIST_PARAMETERS, "expand"],
                                  CustomerResponseSchema(partial=True)),
        },
        "/customers/{customer_id}": {
            "get": {
                "operationId": "getCustomer", "tags": ["Customers"],
                "summary": "One customer.", "parameters": ["expand"],
                "responses": {"200": json_answer(customer, "The customer."),
                              **error_refs(401, 404)},
            },
            "put": {
                "operationId": "upsertCustomer", "tags": ["Customers"],
                "summary": "Create the customer with this id, or replace its writable fields.",
                "parameters": ["expand"], "requestBody": CUSTOMER_BODY,
                "responses": {"200": json_answer(customer, "Replaced.", headers=RATE_LIMITED),
                              "201": json_answer(customer, "Created.", headers=CREATED_HEADERS),
                              **error_refs(400, 401, 413, 422, 429)},
            },
            "delete": {
                "operationId": "mergeCustomer", "tags": ["Customers"],
                "summary": "Merge the customer into targetCustomerId, then delete it.",
                "parameters": ["targetCustomerId"],
                "responses": {"204": {"description": "Merged and deleted.",
                                      "headers": RATE_LIMITED},
                              **error_refs(401, 404, 422, 429)},
            },
        },
        "/customers/{customer_id}/lead-source": {
            "get": {
                "operationId": "getCustomerLeadSource", "tags": ["Customers"],
                "summary": "The lead source the customer was created with.",
                "responses": {"200": json_answer(LeadSourceResponseSchema, "The lead source."),
                              **error_refs(401, 404)},
            },
            "put": {
                "operationId": "putCustomerLeadSource", "tags": ["Customers"],
                "summary": "Create or replace the customer's lead source (201 either way).",
                "requestBody": request_body(LeadSourceSchema),
                "responses": {"201": json_answer(LeadSourceResponseSchema, "Stored.",
                                                 headers=CREATED_HEADERS),
                              **error_refs(400, 401, 404, 413, 422, 429)},
            },
            "delete": {
                "operationId": "deleteCustomerLeadSource", "tags": ["Customers"],
                "summary": "Remove the customer's lead source.",
                "responses": {"204": {"description": "Removed.", "headers": RATE_LIMITED},
                              **error_refs(401, 404, 429)},
            },
        },
        "/tokens": {
            "post": {
                "operationId": "createToken", "tags": ["Tokens"],
                "summary": "Make a single-use payment-card token (30 minutes).",
                "requestBody": {"required": True, "content": {JSON: {"schema": TokenSchema}}},
                "responses": {"201": json_answer(TokenResponseSchema, "Created.",
                                                 headers=CREATED_HEADERS),
                              **error_refs(400, 401, 413, 422, 429)},
            },
            "get": list_operation("listTokens", ["Tokens"],
                                  "A page of the namespace's own payment tokens, oldest first.",
                                  list_query_parameters(PAYMENT_TOKENS), TokenResponseSchema,
                                  "The page, each token as GET /tokens/{id} shows it."),
        },
        "/tokens/{token_id}": {
            "get": {
                "operationId": "getToken", "tags": ["Tokens"], "summary": "One payment token.",
                "responses": {"200": json_answer(TokenResponseSchema, "The token."),
                              **error_refs(401, 404)},
            },
        },
        **_transaction_operations(),
    }


#: A transaction as answered: the members always present, the rest described loosely.
TRANSACTION_ANSWER: dict[str, Any] = {
    "type": "object",
    "required": ["id", "type", "status", "result", "amount", "currency", "customerId",
                 "websiteId", "paymentInstrument", "gateway", "gatewayName", "createdTime",
                 "updatedTime", "revision", "childTransactions", "_links"],
    "properties": {
        "id": {"type": "string"},
        "type": {"type": "string", "enum": ["sale", "authorize", "setup", "capture", "refund",
                                            "void"]},
        "status": {"type": "string", "enum": ["completed", "waiting-approval",
                                              "partially-refunded", "refunded", "voided"]},
        "result": {"type": "string", "enum": ["approved", "declined", "unknown", "abandoned",
                                              "canceled"]},
        "amount": {"type": "number"},
        "currency": {"type": "string", "minLength": 3, "maxLength": 3},
        "parentTransactionId": {"type": "string", "description": "Left out when the "
                                "transaction has no parent (not nullable)."},
        "childTransactions": {"type": "array", "items": {"type": "string"}},
        "requestId": {"type": "string"},
        "description": {"type": "string"},
        "redirectUrl": {"type": ["string", "null"]},
        "notificationUrl": {"type": ["string", "null"]},
        "customFields": {"type": "object"},
        "revision": {"type": "integer"},
        "_links": {"type": "array", "items": {
            "type": "object", "required": ["rel", "href"],
            "properties": {"rel": {"type": "string"}, "href": {"type": "string"}}}},
    },
}
TRANSACTION_QUERY_ANSWER: dict[str, Any] = {
    "type": "object", "required": ["transactionId", "result", "status", "amount", "currency"],
    "properties": {"transactionId": {"type": "string"}, "result": {"type": "string"},
                   "status": {"type": "string"}, "amount": {"type": "number"},
                   "currency": {"type": "string"}},
}
CONFLICT = json_answer(ProblemSchema, "A repeated requestId (transactionId names the original), "
                                      "or a transaction that is not waiting for that step.")


def _transaction_operations() -> dict[str, dict[str, dict[str, Any]]]:
    """The transaction routes; the list and expand parameters are the list schema's own."""
    expand = expand_parameter(TRANSACTIONS)
    created = json_answer(TRANSACTION_ANSWER, "Created.", headers=CREATED_HEADERS)
    one = json_answer(TRANSACTION_ANSWER, "The transaction.")
    tags = ["Transactions"]
    return {
        "/transactions": {
            "post": {
                "operationId": "createTransaction", "tags": tags,
                "summary": "Run a sale, authorize or setup (a sale may capture an "
                           "authorization); a decline is a 201 with result declined.",
                "parameters": [expand], "requestBody": request_body(TransactionSchema),
                "responses": {"201": created, "409": CONFLICT,
                              **error_refs(400, 401, 413, 422, 429)},
            },
            "get": list_operation("listTransactions", tags,
                                  "A page of the namespace's transactions.",
                                  list_query_parameters(TRANSACTIONS), {"type": "object"}),
        },
        "/transactions/{transaction_id}": {
            "get": {
                "operationId": "getTransaction", "tags": tags, "summary": "One transaction.",
                "parameters": [expand],
                "responses": {"200": one, **error_refs(401, 404, 422)},
            },
            "patch": {
                "operationId": "patchTransaction", "tags": tags,
                "summary": "Replace the transaction's customFields.",
                "requestBody": request_body(TransactionPatchSchema),
                "responses": {"200": json_answer(TRANSACTION_ANSWER, "Updated.",
                                                 headers=RATE_LIMITED),
                              **error_refs(400, 401, 404, 413, 422, 429)},
            },
        },
        "/transactions/{transaction_id}/refund": {
            "post": {
                "operationId": "refundTransaction", "tags": tags,
                "summary": "Refund a sale or capture, or void an authorization; answers the "
                           "child transaction.",
                "parameters": [expand], "requestBody": request_body(RefundSchema),
                "responses": {"201": created, **error_refs(400, 401, 404, 413, 422, 429)},
            },
        },
        "/transactions/{transaction_id}/query": {
            "post": {
                "operationId": "queryTransaction", "tags": tags,
                "summary": "The transaction's result and status as the gateway has them.",
                "responses": {"201": json_answer(TRANSACTION_QUERY_ANSWER, "The query.",
                                                 headers=RATE_LIMITED),
                              **error_refs(401, 404, 429)},
            },
        },
        "/transactions/{transaction_id}/update": {
            "post": {
                "operationId": "updateTransaction", "tags": tags,
                "summary": "Finish a waiting-approval transaction's offsite step with a result.",
                "requestBody": request_body(TransactionUpdateSchema),
                "responses": {"200": json_answer(TRANSACTION_ANSWER, "Finished.",
                                                 headers=RATE_LIMITED),
                              "409": CONFLICT, **error_refs(400, 401, 404, 413, 422, 429)},
            },
        },
    }


#: Path parameters of the transaction routes.
TRANSACTION_ID = {"name": "transaction_id", "in": "path", "required": True,
                  "description": "A transaction id (txn_…).", "schema": {"type": "string"}}


def add_api(spec: APISpec) -> None:
    """Every API path under every prefix; prefixed operation ids end in ``InOrganization``.

    apispec rewrites what it is given in place, so each path gets copies of the shared pieces.
    """
    security = [{"ApiKey": []}, {"Jwt": []}]
    for prefix in API_PREFIXES:
        for path, operations in copy.deepcopy({**_operations(), **instrument_operations(),
                                               **webhook_operations(),
                                               **tracking_operations(),
                                               **catalog_operations(),
                                               **invoice_operations(),
                                               **coupon_operations(),
                                               **order_operations(),
                                               **order_record_operations()}).items():
            for operation in operations.values():
                operation["security"] = security + (
                    [{"PublishableKey": []}]
                    if operation["operationId"] in PUBLISHABLE_OPERATIONS else [])
                operation["parameters"] = [*operation.get("parameters", []),
                                           "X-Sandbox-Fault"]
                operation["responses"].update(copy.deepcopy(DEFAULT))
                if prefix:
                    operation["operationId"] += "InOrganization"
            parameters = path_parameters_of(prefix + path)
            if "{transaction_id}" in path:
                parameters.append(dict(TRANSACTION_ID))
            spec.path(path=prefix + path, operations=operations, parameters=parameters)
