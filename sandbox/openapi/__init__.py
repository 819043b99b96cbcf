"""The sandbox's own OpenAPI 3.1 document, built with apispec from its marshmallow schemas.

Request bodies and query strings are described by the very schemas that validate them, and
answers by the documentation-only schemas of ``schemas.responses`` and ``schemas.admin_responses``,
so the document says what the code does. The API part comes from ``openapi.api``, the approval
page from ``openapi.approval``, the FramePay stand-in from ``openapi.framepay``, the admin part
from the admin route table (``admin.routes``), and what they share from ``openapi.components``.
``tests/test_openapi.py`` checks that every route of the app is in it and that real answers
match it. Served at ``GET /__admin/openapi.json``.
"""

from __future__ import annotations

import functools
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from ..version import __version__
from .admin import add_admin
from .api import API_PREFIXES, add_api
from .approval import add_approval
from .components import add_components, custom_fields, schema_name
from .framepay import add_framepay

__all__ = ("build_spec", "OPENAPI_VERSION", "API_PREFIXES")

OPENAPI_VERSION = "3.1.0"

DESCRIPTION = """\
A local fake of Rebilly's customers API for tests and CI, and the admin API that controls it.

Every API path also answers with a trailing slash and under `/organizations/{organization_id}`.
Each credential (secret key or JWT) has its own namespace of data. Every error is a problem
body (`Problem`); an unknown path is a 404 and a known path with another method a 405 with
`Allow`. A route Rebilly has that the sandbox does not simulate (and so is not described here)
is a 501 naming it, once the credential is accepted. Any API request can be made to fail on
purpose (`X-Sandbox-Fault`, fault rules), with the status and body the fault names, which the
`default` answers stand for.
"""


@functools.lru_cache(maxsize=1)
def build_spec() -> dict[str, Any]:
    """The whole document as a dict ready for JSON; built once per process, so never change it."""
    plugin = MarshmallowPlugin(schema_name_resolver=schema_name)
    spec = APISpec("rebilly-sandbox", __version__, OPENAPI_VERSION, plugins=[plugin],
                   info={"description": DESCRIPTION, "license": {"name": "MIT",
                                                                  "identifier": "MIT"}},
                   tags=[{"name": "Customers"}, {"name": "Tokens"}, {"name": "Websites"},
                         {"name": "Products"}, {"name": "Plans"}, {"name": "Invoices"},
                         {"name": "Admin", "description": "State, clock, faults and journal."},
                         {"name": "Dashboard"}, {"name": "Approval page"},
                         {"name": "FramePay stand-in"}])
    plugin.converter.add_attribute_function(custom_fields)
    add_components(spec)
    add_api(spec)
    add_approval(spec)
    add_framepay(spec)
    add_admin(spec)
    return spec.to_dict()
