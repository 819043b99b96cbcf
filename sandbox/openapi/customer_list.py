"""The query parameters of ``GET /customers`` and ``expand``, as OpenAPI parameter components.

They are read from the customers' list query schema (``schemas.list_query``), field by field, so
the bounds the document states are the ones the list enforces; each entry is
``name: (description, JSON Schema)``.
"""

from __future__ import annotations

from typing import Any

from ..resources import CUSTOMERS
from ..schemas.list_query import expand_parameter, list_query_parameters

__all__ = ("CUSTOMER_LIST_PARAMETERS", "CUSTOMER_EXPAND_PARAMETER")


def _entry(parameter: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return parameter["description"], parameter["schema"]


#: The list's own parameters; ``expand`` is shared with the single-customer routes.
CUSTOMER_LIST_PARAMETERS: dict[str, tuple[str, dict[str, Any]]] = {
    parameter["name"]: _entry(parameter) for parameter in list_query_parameters(CUSTOMERS)
    if parameter["name"] != "expand"}
CUSTOMER_EXPAND_PARAMETER: tuple[str, dict[str, Any]] = _entry(expand_parameter(CUSTOMERS))
