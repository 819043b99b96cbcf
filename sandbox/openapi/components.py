"""What the API and admin parts of the OpenAPI document share: reusable components and helpers.

Schemas are converted by apispec's marshmallow plugin, with the limits that the sandbox's own
field classes keep outside marshmallow's validators; headers, error answers and parameters are
components that operations name by string, which apispec turns into references.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow.common import resolve_schema_cls
from marshmallow import Schema, fields

from ..schemas.base import BMP_TEXT, Text
from ..schemas.bounded import BoundedList
from ..schemas.fault import DelayField, DelayRangeSchema
from ..schemas.responses import ProblemSchema
from .customer_list import CUSTOMER_EXPAND_PARAMETER, CUSTOMER_LIST_PARAMETERS

__all__ = ("JSON", "NAMESPACE", "OPTIONAL_NAMESPACE", "schema_name", "custom_fields",
           "json_answer", "request_body", "header_refs", "error_refs", "RATE_LIMITED",
           "CREATED_HEADERS", "PAGING_HEADERS", "list_operation", "path_parameters_of",
           "add_components")

JSON = "application/json"
#: The header parameters naming the namespace an admin call acts on.
NAMESPACE = "Namespace"
OPTIONAL_NAMESPACE = "OptionalNamespace"


# -- schema conversion ------------------------------------------------------------------------

def schema_name(schema: type[Schema] | Schema) -> str:
    """Class name without ``Schema``; a partial instance (sparse fieldsets) gets ``Sparse``."""
    name = resolve_schema_cls(schema).__name__.removesuffix("Schema")
    return f"Sparse{name}" if getattr(schema, "partial", False) else name


def custom_fields(self, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """Limits that the sandbox's own field classes keep outside marshmallow's validators."""
    if isinstance(field, Text):
        limits: dict[str, Any] = {"maxLength": field.max_length}
        if field.pattern is BMP_TEXT:
            limits["minLength"] = 1
        elif field.pattern is not None:
            limits["pattern"] = field.pattern.pattern
        return limits
    if isinstance(field, BoundedList):
        return {"maxItems": field.max_items}
    if isinstance(field, DelayField):
        return {"description": "Milliseconds, or a range drawn from the rule's seed.",
                "oneOf": [{"type": "integer", "minimum": 0, "maximum": 3_600_000},
                          self.resolve_nested_schema(DelayRangeSchema)]}
    return {}


# -- shared pieces ----------------------------------------------------------------------------

def json_answer(schema: Any, description: str, **extra: Any) -> dict[str, Any]:
    """An answer with a JSON body described by ``schema`` (a schema class or JSON Schema)."""
    return {"description": description, "content": {JSON: {"schema": schema}}, **extra}


def header_refs(*names: str) -> dict[str, str]:
    return {name: name for name in names}


def error_refs(*statuses: int) -> dict[str, str]:
    """The shared problem answers of these statuses, by component name."""
    return {str(status): ERRORS[status][0] for status in statuses}


def request_body(schema: Any) -> dict[str, Any]:
    """A required JSON request body described by ``schema``."""
    return {"required": True, "content": {JSON: {"schema": schema}}}


#: The headers of a write Rebilly rate-limits, of a 201 (or 303) that names what it made, and of
#: a list page.
RATE_LIMITED = header_refs("X-RateLimit-Limit", "X-RateLimit-Remaining")
CREATED_HEADERS = {**header_refs("Location"), **RATE_LIMITED}
PAGING_HEADERS = header_refs("Pagination-Total", "Pagination-Limit", "Pagination-Offset")

#: How most list pages are described.
FIELDS_PAGE = "The page, as a bare array; with fields, only the members named."


def list_operation(operation_id: str, tags: list[str], summary: str, parameters: list[Any],
                   item: Any, description: str = FIELDS_PAGE) -> dict[str, Any]:
    """A list's GET: a bare array of ``item`` with the Pagination-* headers, or a 401 or 422."""
    return {"operationId": operation_id, "tags": tags, "summary": summary,
            "parameters": parameters,
            "responses": {"200": json_answer({"type": "array", "items": item}, description,
                                             headers=PAGING_HEADERS),
                          **error_refs(401, 422)}}


ERRORS = {
    400: ("BadRequest", "The body is not a JSON object, or a header cannot be read.", ()),
    401: ("Unauthorized", "Missing credentials, or credentials that cannot work here.", ()),
    404: ("NotFound", "No such route, or nothing with this id in the namespace.", ()),
    405: ("MethodNotAllowed", "The path exists but not with this method.", ("Allow",)),
    413: ("PayloadTooLarge", "The body is larger than --max-body-bytes.", ()),
    422: ("ValidationError", "Validation failed: every failing field is in invalidFields.", ()),
    429: ("TooManyRequests", "More than --rate-limit non-GET requests in the window.",
          ("X-RateLimit-Retry-After", "Retry-After")),
}

HEADERS = {
    "Location": ("The new resource's URL.", "string"),
    "X-RateLimit-Limit": ("Non-GET requests allowed in the window.", "integer"),
    "X-RateLimit-Remaining": ("Non-GET requests left in the window.", "integer"),
    "X-RateLimit-Retry-After": ("When the window resets (Unix time).", "integer"),
    "Retry-After": ("Seconds until the window resets.", "integer"),
    "Pagination-Total": ("Documents matching the query, in all pages.", "integer"),
    "Pagination-Limit": ("The limit applied.", "integer"),
    "Pagination-Offset": ("The offset applied.", "integer"),
    "Allow": ("The methods this path accepts.", "string"),
}

QUERY = {
    "expand": CUSTOMER_EXPAND_PARAMETER,
    **CUSTOMER_LIST_PARAMETERS,
    "targetCustomerId": ("The customer that receives the merged one's instruments and tags.",
                         {"type": "string"}),
}

PATH_PARAMETERS = {
    "organization_id": "Recorded on customers created through it; does not select data.",
    "customer_id": "A customer id (cus_… or one chosen with PUT).",
    "token_id": "A payment token id (tok_…).",
    "website_id": "A website id (web_… or one chosen with PUT).",
    "product_id": "A product id (prod_… or one chosen with PUT).",
    "plan_id": "A plan id (plan_… or one chosen with PUT).",
    "invoice_id": "An invoice id (in_… or one chosen with PUT).",
    "order_id": "An order id (sub_… or ots_…, or one chosen with PUT).",
    "cancellation_id": "A subscription cancellation id (sub_cnl_… or one chosen with PUT).",
    "pause_id": "A subscription pause id (sub_pau_… or one chosen with PUT).",
    "coupon_id": "A coupon id: the code a customer types (cpn_… or one chosen with PUT).",
    "redemption_id": "A coupon redemption id (cpn_rdm_…).",
    "name": "A fixture set or snapshot name.",
    "rule_id": "A fault rule id (flt_…).",
}


def path_parameters_of(path: str) -> list[dict[str, Any]]:
    """The path parameters that an OpenAPI path template such as ``/faults/{rule_id}`` names."""
    return [{"name": name, "in": "path", "required": True, "description": description,
             "schema": {"type": "string"}}
            for name, description in PATH_PARAMETERS.items() if "{" + name + "}" in path]


def add_components(spec: APISpec) -> None:
    spec.components.security_scheme("ApiKey", {
        "type": "apiKey", "in": "header", "name": "REB-APIKEY",
        "description": "A secret key (sk_sandbox_… or sk_test_…); it selects the namespace."})
    spec.components.security_scheme("Jwt", {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "Any well-formed JWT; the token itself selects the namespace."})
    spec.components.security_scheme("PublishableKey", {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": "pk_sandbox_… as the whole header value, on token routes only; shares "
                       "the namespace of the matching sk_sandbox_… key."})
    spec.components.security_scheme("AdminToken", {
        "type": "http", "scheme": "bearer",
        "description": "Needed on admin routes only when the sandbox runs with --admin-token."})
    spec.components.schema("Problem", schema=ProblemSchema)
    for name, (description, kind) in HEADERS.items():
        spec.components.header(name, {"description": description, "schema": {"type": kind}})
    for name, description, headers in ERRORS.values():
        spec.components.response(name, json_answer(
            ProblemSchema, description, **({"headers": header_refs(*headers)} if headers else {})))
    for name, (description, schema) in QUERY.items():
        spec.components.parameter(name, "query", {"description": description, "schema": schema})
    spec.components.parameter("X-Sandbox-Fault", "header", {
        "description": "Make this one request fail: status=NNN, delay=MS, "
                       "network=reset|close|truncate|hang, afterCommit=true, joined by ';'.",
        "schema": {"type": "string"}})
    for required in (True, False):
        spec.components.parameter(NAMESPACE if required else OPTIONAL_NAMESPACE, "header", {
            "name": "REB-APIKEY", "required": required, "schema": {"type": "string"},
            "description": "The API key whose namespace the call acts on" +
                           ("." if required else "; without it, every namespace (or the "
                                                 "global clock or rules).")})
