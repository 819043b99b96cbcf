"""The API part of the OpenAPI document: customers and tokens, under each route prefix."""

from __future__ import annotations

import copy
from typing import Any

from apispec import APISpec

from ..schemas import CustomerSchema, TokenSchema
from ..schemas.responses import (
    CustomerResponseSchema,
    LeadSourceResponseSchema,
    ProblemSchema,
    TokenResponseSchema,
)
from .components import JSON, error_refs, header_refs, json_answer, path_parameters_of
from .customer_list import CUSTOMER_LIST_PARAMETERS

__all__ = ("add_api", "API_PREFIXES")

#: Every API path is served under each of these (``sandbox.api.routing.PREFIXES``).
API_PREFIXES = ("", "/organizations/{organization_id}")

RATE_LIMITED = header_refs("X-RateLimit-Limit", "X-RateLimit-Remaining")
CREATED_HEADERS = {**header_refs("Location"), **RATE_LIMITED}
DEFAULT = {"default": json_answer(ProblemSchema, "An injected fault's answer, or an unexpected "
                                                 "error.")}
CUSTOMER_BODY = {"required": True, "content": {JSON: {"schema": CustomerSchema}}}


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
            "get": {
                "operationId": "listCustomers", "tags": ["Customers"],
                "summary": "A page of the namespace's customers.",
                "parameters": [*CUSTOMER_LIST_PARAMETERS, "expand"],
                "responses": {"200": json_answer(
                    {"type": "array", "items": CustomerResponseSchema(partial=True)},
                    "The page, as a bare array; with fields, only the members named.",
                    headers=header_refs("Pagination-Total", "Pagination-Limit",
                                        "Pagination-Offset")),
                    **error_refs(401, 422)},
            },
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
        },
        "/tokens/{token_id}": {
            "get": {
                "operationId": "getToken", "tags": ["Tokens"], "summary": "One payment token.",
                "responses": {"200": json_answer(TokenResponseSchema, "The token."),
                              **error_refs(401, 404)},
            },
        },
    }


def add_api(spec: APISpec) -> None:
    """Every API path under every prefix; prefixed operation ids end in ``InOrganization``.

    apispec rewrites what it is given in place, so each path gets copies of the shared pieces.
    """
    security = [{"ApiKey": []}, {"Jwt": []}]
    for prefix in API_PREFIXES:
        for path, operations in copy.deepcopy(_operations()).items():
            for operation in operations.values():
                operation["security"] = security + (
                    [{"PublishableKey": []}] if path.startswith("/tokens") else [])
                operation["parameters"] = [*operation.get("parameters", []),
                                           "X-Sandbox-Fault"]
                operation["responses"].update(copy.deepcopy(DEFAULT))
                if prefix:
                    operation["operationId"] += "InOrganization"
            spec.path(path=prefix + path, operations=operations,
                      parameters=path_parameters_of(prefix + path))
