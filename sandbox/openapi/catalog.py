"""The catalog's routes in the OpenAPI document: websites, products and plans, each with its
list parameters read from the list query schema and its bodies from the validating schemas."""

from __future__ import annotations

from typing import Any

from ..resources import PLANS, PRODUCTS, WEBSITES, ListedResource
from ..schemas.catalog_responses import PlanResponseSchema, ProductResponseSchema
from ..schemas.list_query import list_query_parameters
from ..schemas.plan import PlanSchema
from ..schemas.product import ProductSchema
from ..schemas.responses import ProblemSchema, WebsiteResponseSchema
from ..schemas.website import WebsiteSchema
from .components import (
    CREATED_HEADERS,
    RATE_LIMITED,
    error_refs,
    json_answer,
    list_operation,
    request_body,
)

__all__ = ("catalog_operations",)

#: Each resource: path, path parameter, operation name, list, body, answer, what blocks a delete.
_CATALOG = (
    ("websites", "website_id", "Website", WEBSITES, WebsiteSchema, WebsiteResponseSchema,
     "A customer, a transaction or an invoice still names it."),
    ("products", "product_id", "Product", PRODUCTS, ProductSchema, ProductResponseSchema,
     "A plan still refers to it."),
    ("plans", "plan_id", "Plan", PLANS, PlanSchema, PlanResponseSchema, None),
)


def catalog_operations() -> dict[str, dict[str, dict[str, Any]]]:
    """``/websites``, ``/products``, ``/plans`` and their members, as apispec path operations."""
    operations: dict[str, dict[str, dict[str, Any]]] = {}
    for path, id_name, name, resource, body, answer, conflict in _CATALOG:
        operations.update(_resource(path, id_name, name, resource, body, answer, conflict))
    return operations


def _resource(path: str, id_name: str, name: str, resource: ListedResource, body: Any,
              answer: Any, conflict: str | None) -> dict[str, dict[str, dict[str, Any]]]:
    tags = [resource.plural]
    singular = resource.singular
    created = json_answer(answer, "Created.", headers=CREATED_HEADERS)
    refused = {"409": json_answer(ProblemSchema, conflict)} if conflict else {}
    return {
        f"/{path}": {
            "post": {
                "operationId": f"create{name}", "tags": tags,
                "summary": f"Create a {singular} with a generated id.",
                "requestBody": request_body(body),
                "responses": {"201": created, **error_refs(400, 401, 413, 422, 429)},
            },
            "get": list_operation(f"list{resource.plural}", tags,
                                  f"A page of the namespace's {path}.",
                                  list_query_parameters(resource), answer(partial=True),
                                  description="The page, as a bare array."),
        },
        f"/{path}/{{{id_name}}}": {
            "get": {
                "operationId": f"get{name}", "tags": tags, "summary": f"One {singular}.",
                "responses": {"200": json_answer(answer, f"The {singular}."),
                              **error_refs(401, 404)},
            },
            "put": {
                "operationId": f"upsert{name}", "tags": tags,
                "summary": f"Create the {singular} with this id, or replace its writable "
                           "members.",
                "requestBody": request_body(body),
                "responses": {"200": json_answer(answer, "Replaced.", headers=RATE_LIMITED),
                              "201": created, **error_refs(400, 401, 413, 422, 429)},
            },
            "delete": {
                "operationId": f"delete{name}", "tags": tags,
                "summary": f"Delete the {singular}.",
                "responses": {"204": {"description": "Deleted.", "headers": RATE_LIMITED},
                              **refused, **error_refs(401, 404, 429)},
            },
        },
    }
