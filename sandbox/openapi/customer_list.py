"""The query parameters of ``GET /customers``, as OpenAPI parameter components.

The one place the document describes the list's paging, sorting, filtering, search and sparse
fieldsets, with the bounds the list enforces; each entry is ``name: (description, JSON Schema)``.
"""

from __future__ import annotations

from typing import Any

__all__ = ("CUSTOMER_LIST_PARAMETERS",)

CUSTOMER_LIST_PARAMETERS: dict[str, tuple[str, dict[str, Any]]] = {
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
}
