"""The admin part of the OpenAPI document: one operation per row of the admin route table."""

from __future__ import annotations

from typing import Any

from apispec import APISpec

from ..admin.routes import ADMIN_ROUTES, AdminRoute, Answer
from .components import JSON, NAMESPACE, OPTIONAL_NAMESPACE, error_refs, path_parameters_of

__all__ = ("add_admin",)

SECURITY = ({"AdminToken": []}, {})
NAMESPACE_PARAMETERS = {"required": NAMESPACE, "optional": OPTIONAL_NAMESPACE}


def _answer(answer: Answer) -> dict[str, Any]:
    if answer.schema is None:
        return {"description": answer.description}
    schema = {"type": "array", "items": answer.schema} if answer.many else answer.schema
    return {"description": answer.description,
            "content": {answer.media_type: {"schema": schema}}}


def _query_parameter(query: Any) -> dict[str, Any]:
    """A schema class stands for all its fields; anything else is one parameter object."""
    return {"in": "query", "schema": query} if isinstance(query, type) else dict(query)


def _operation(route: AdminRoute) -> dict[str, Any]:
    """Built anew on each call, because apispec rewrites what it is given in place."""
    namespace = NAMESPACE_PARAMETERS.get(route.namespace)  # type: ignore[arg-type]
    operation: dict[str, Any] = {
        "operationId": route.operation_id, "tags": [route.tag], "summary": route.summary,
        "parameters": [*([namespace] if namespace else []),
                       *map(_query_parameter, route.query)],
        "responses": {**{str(status): _answer(answer)
                         for status, answer in route.answers.items()},
                      **error_refs(*route.errors, 401)},
    }
    if route.body is not None:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": route.body}}}
    operation["security"] = list(SECURITY)
    return operation


def add_admin(spec: APISpec) -> None:
    """The table's paths in the order they first appear, each with all of its methods."""
    paths: dict[str, dict[str, Any]] = {}
    for route in ADMIN_ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations, parameters=path_parameters_of(path))
