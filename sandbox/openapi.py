"""The sandbox's own OpenAPI 3.1 document, built with apispec from its marshmallow schemas.

Request bodies and query strings are described by the very schemas that validate them, and
answers by the documentation-only schemas of ``schemas.responses`` and ``schemas.admin_responses``,
so the document says what the code does. ``tests/test_openapi.py`` checks that every route of the
app is in it and that real answers match it. Served at ``GET /__admin/openapi.json``.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from marshmallow import Schema, fields

from .schemas import CustomerSchema, TokenSchema
from .schemas.base import BMP_TEXT, Text
from .schemas.bounded import BoundedList
from .schemas.fault import DelayField, DelayRangeSchema
from .schemas.responses import (CustomerResponseSchema, LeadSourceResponseSchema, ProblemSchema,
                                TokenResponseSchema)
from .version import __version__

__all__ = ("build_spec", "OPENAPI_VERSION", "API_PREFIXES")

OPENAPI_VERSION = "3.1.0"
#: Every API path is served under each of these (``sandbox.api.routing.PREFIXES``).
API_PREFIXES = ("", "/organizations/{organization_id}")
JSON = "application/json"

DESCRIPTION = """\
A local fake of Rebilly's customers API for tests and CI, and the admin API that controls it.

Every API path also answers with a trailing slash and under `/organizations/{organization_id}`.
Each credential (secret key or JWT) has its own namespace of data. Every error is a problem
body (`Problem`); an unknown path is a 404 and a known path with another method a 405 with
`Allow`. Any API request can be made to fail on purpose (`X-Sandbox-Fault`, fault rules), with
the status and body the fault names, which the `default` answers stand for.
"""


# -- schema conversion ------------------------------------------------------------------------

def _schema_name(schema: type[Schema] | Schema) -> str:
    """Class name without ``Schema``; a partial instance (sparse fieldsets) gets ``Sparse``."""
    name = resolve_schema_cls(schema).__name__.removesuffix("Schema")
    return f"Sparse{name}" if getattr(schema, "partial", False) else name


def _custom_fields(self, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
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

def _json(schema: Any, description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}, **extra}


# Components are named by string; apispec turns the names into references.

def _headers(*names: str) -> dict[str, str]:
    return {name: name for name in names}


def _errors(*statuses: int) -> dict[str, str]:
    return {str(status): ERRORS[status][0] for status in statuses}


ERRORS = {
    400: ("BadRequest", "The body is not a JSON object, or a header cannot be read.", ()),
    401: ("Unauthorized", "Missing credentials, or credentials that cannot work here.", ()),
    404: ("NotFound", "No such route, or nothing with this id in the namespace.", ()),
    405: ("MethodNotAllowed", "The path exists but not with this method.", ("Allow",)),
    413: ("PayloadTooLarge", "The body is larger than --max-body-bytes.", ()),
    422: ("ValidationError", "Validation failed: every failing field is in invalidFields.", ()),
    429: ("TooManyRequests", "More than --rate-limit non-GET requests in the window.",
          ("X-RateLimit-Retry-After",)),
}

HEADERS = {
    "Location": ("The new resource's URL.", "string"),
    "X-RateLimit-Limit": ("Non-GET requests allowed in the window.", "integer"),
    "X-RateLimit-Remaining": ("Non-GET requests left in the window.", "integer"),
    "X-RateLimit-Retry-After": ("When the window resets (Unix time).", "integer"),
    "Pagination-Total": ("Customers matching the query.", "integer"),
    "Pagination-Limit": ("The limit applied.", "integer"),
    "Pagination-Offset": ("The offset applied.", "integer"),
    "Allow": ("The methods this path accepts.", "string"),
}

QUERY = {
    "expand": ("Embed related objects in _embedded: any of defaultPaymentInstrument, website, "
               "leadSource, comma-separated.", {"type": "string"}),
    "limit": ("Page size.", {"type": "integer", "minimum": 0, "maximum": 1000, "default": 100}),
    "offset": ("Customers to skip.", {"type": "integer", "minimum": 0, "maximum": 1000,
                                      "default": 0}),
    "sort": ("Comma-separated fields, '-' for descending, such as -createdTime,email; at most "
             "10 distinct fields (a repeated field is dropped).", {"type": "string"}),
    "filter": ("field:value clauses joined by ';'; ',' between values, '!' to negate, a..b "
               "ranges; at most 20 clauses and 100 values in all.", {"type": "string"}),
    "q": ("Case-insensitive partial match on names, email and organization.",
          {"type": "string", "maxLength": 255}),
    "fields": ("Sparse fieldset: comma-separated top-level members (id is always kept); at "
               "most 100 names.", {"type": "string"}),
    "targetCustomerId": ("The customer that receives the merged one's instruments and tags.",
                         {"type": "string"}),
}


def _query(*names: str) -> list[str]:
    return list(names)


def _path_parameter(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string"}}


PATH_PARAMETERS = {
    "organization_id": "Recorded on customers created through it; does not select data.",
    "customer_id": "A customer id (cus_… or one chosen with PUT).",
    "token_id": "A payment token id (tok_…).",
    "name": "A fixture set or snapshot name.",
    "rule_id": "A fault rule id (flt_…).",
}


def _components(spec: APISpec) -> None:
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
    for status, (name, description, headers) in ERRORS.items():
        spec.components.response(name, _json(ProblemSchema, description,
                                             **({"headers": _headers(*headers)} if headers
                                                else {})))
    for name, (description, schema) in QUERY.items():
        spec.components.parameter(name, "query", {"description": description, "schema": schema})
    spec.components.parameter("X-Sandbox-Fault", "header", {
        "description": "Make this one request fail: status=NNN, delay=MS, "
                       "network=reset|close|truncate|hang, afterCommit=true, joined by ';'.",
        "schema": {"type": "string"}})
    for required in (True, False):
        spec.components.parameter("Namespace" if required else "OptionalNamespace", "header", {
            "name": "REB-APIKEY", "required": required, "schema": {"type": "string"},
            "description": "The API key whose namespace the call acts on" +
                           ("." if required else "; without it, every namespace (or the "
                                                 "global clock or rules).")})


# -- the API ----------------------------------------------------------------------------------

RATE_LIMITED = _headers("X-RateLimit-Limit", "X-RateLimit-Remaining")
CUSTOMER_BODY = {"required": True, "content": {JSON: {"schema": CustomerSchema}}}
DEFAULT = {"default": _json(ProblemSchema, "An injected fault's answer, or an unexpected "
                                           "error.")}


def _api_operations() -> dict[str, dict[str, dict[str, Any]]]:
    customer = CustomerResponseSchema
    return {
        "/customers": {
            "post": {
                "operationId": "createCustomer", "tags": ["Customers"],
                "summary": "Create a customer with a generated id.",
                "parameters": _query("expand"), "requestBody": CUSTOMER_BODY,
                "responses": {"201": _json(customer, "Created.",
                                           headers={**_headers("Location"), **RATE_LIMITED}),
                              **_errors(400, 401, 413, 422, 429)},
            },
            "get": {
                "operationId": "listCustomers", "tags": ["Customers"],
                "summary": "A page of the namespace's customers.",
                "parameters": _query("limit", "offset", "sort", "filter", "q", "fields",
                                     "expand"),
                "responses": {"200": _json(
                    {"type": "array", "items": CustomerResponseSchema(partial=True)},
                    "The page, as a bare array; with fields, only the members named.",
                    headers=_headers("Pagination-Total", "Pagination-Limit",
                                     "Pagination-Offset")),
                    **_errors(401, 422)},
            },
        },
        "/customers/{customer_id}": {
            "get": {
                "operationId": "getCustomer", "tags": ["Customers"],
                "summary": "One customer.", "parameters": _query("expand"),
                "responses": {"200": _json(customer, "The customer."), **_errors(401, 404)},
            },
            "put": {
                "operationId": "upsertCustomer", "tags": ["Customers"],
                "summary": "Create the customer with this id, or replace its writable fields.",
                "parameters": _query("expand"), "requestBody": CUSTOMER_BODY,
                "responses": {"200": _json(customer, "Replaced.", headers=RATE_LIMITED),
                              "201": _json(customer, "Created.",
                                           headers={**_headers("Location"), **RATE_LIMITED}),
                              **_errors(400, 401, 413, 422, 429)},
            },
            "delete": {
                "operationId": "mergeCustomer", "tags": ["Customers"],
                "summary": "Merge the customer into targetCustomerId, then delete it.",
                "parameters": _query("targetCustomerId"),
                "responses": {"204": {"description": "Merged and deleted.",
                                      "headers": RATE_LIMITED},
                              **_errors(401, 404, 422, 429)},
            },
        },
        "/customers/{customer_id}/lead-source": {
            "get": {
                "operationId": "getCustomerLeadSource", "tags": ["Customers"],
                "summary": "The lead source the customer was created with.",
                "responses": {"200": _json(LeadSourceResponseSchema, "The lead source."),
                              **_errors(401, 404)},
            },
        },
        "/tokens": {
            "post": {
                "operationId": "createToken", "tags": ["Tokens"],
                "summary": "Make a single-use payment-card token (30 minutes).",
                "requestBody": {"required": True, "content": {JSON: {"schema": TokenSchema}}},
                "responses": {"201": _json(TokenResponseSchema, "Created.",
                                           headers={**_headers("Location"), **RATE_LIMITED}),
                              **_errors(400, 401, 413, 422, 429)},
            },
        },
        "/tokens/{token_id}": {
            "get": {
                "operationId": "getToken", "tags": ["Tokens"], "summary": "One payment token.",
                "responses": {"200": _json(TokenResponseSchema, "The token."),
                              **_errors(401, 404)},
            },
        },
    }


def _add_api(spec: APISpec) -> None:
    security = [{"ApiKey": []}, {"Jwt": []}]
    for prefix in API_PREFIXES:
        for path, operations in copy.deepcopy(_api_operations()).items():
            for method, operation in operations.items():
                operation["security"] = security + (
                    [{"PublishableKey": []}] if path.startswith("/tokens") else [])
                operation["parameters"] = [*operation.get("parameters", []),
                                           "X-Sandbox-Fault"]
                operation["responses"].update(DEFAULT)
                if prefix:
                    operation["operationId"] += "InOrganization"
            spec.path(path=prefix + path, operations=operations,
                      parameters=_parameters_of(prefix + path))


def _parameters_of(path: str) -> list[dict[str, Any]]:
    return [_path_parameter(name, description) for name, description in PATH_PARAMETERS.items()
            if "{" + name + "}" in path]


@functools.lru_cache(maxsize=1)
def build_spec() -> dict[str, Any]:
    """The whole document as a dict ready for JSON; built once per process, so never change it."""
    from .openapi_admin import add_admin  # imported here: it builds on this module's helpers

    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec("rebilly-sandbox", __version__, OPENAPI_VERSION, plugins=[plugin],
                   info={"description": DESCRIPTION, "license": {"name": "MIT",
                                                                  "identifier": "MIT"}},
                   tags=[{"name": "Customers"}, {"name": "Tokens"},
                         {"name": "Admin", "description": "State, clock, faults and journal."},
                         {"name": "Dashboard"}])
    plugin.converter.add_attribute_function(_custom_fields)
    _components(spec)
    _add_api(spec)
    add_admin(spec)
    return spec.to_dict()
