"""A list's query string (limit, offset, sort, filter, q, fields, expand) as a marshmallow schema.

One marshmallow schema per declared resource (``rebilly_sandbox.resources``) reads the raw
parameters into a ``paging.ListQuery`` the listing service consumes, or refuses them with one 422
naming every bad parameter, so a client fixes them in one go. Each field carries its own bounds, and
``list_query_parameters`` describes those same fields for the OpenAPI document, so the document
cannot drift from what the list enforces.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, pre_load

from ..problems import ValidationFailed
from ..resources import ListedResource
from ..services.filters import MAX_FILTER_CLAUSES, MAX_FILTER_VALUES, FilterRefused, compile_filter
from ..services.paging import ListQuery
from .base import flatten_errors

__all__ = ("load_list_query", "load_expand", "list_query_parameters", "expand_parameter",
           "DEFAULT_LIMIT", "MAX_LIMIT", "MAX_OFFSET", "MAX_SORT_KEYS", "MAX_FILTER_CLAUSES",
           "MAX_FILTER_VALUES", "MAX_Q_LENGTH", "MAX_FIELDS")

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 1000
# The server is one process, so a list request must not be able to cost seconds. Each bound
# caps a factor the scan multiplies by the namespace size; real clients stay far below.
#: Distinct fields a list can be sorted on at once (repeats of a field are dropped first).
MAX_SORT_KEYS = 10
#: Characters of ``q``: it is looked for in several fields of every stored document.
MAX_Q_LENGTH = 255
#: Names in ``fields``.
MAX_FIELDS = 100

_PAGE_BOUND = re.compile(r"[0-9]{1,7}")


class _Parameter(fields.Field):
    """A query parameter read from its raw text; ``openapi`` describes it for the document."""

    def __init__(self, description: str, **kwargs: Any):
        super().__init__(metadata={"description": description}, **kwargs)

    def openapi(self) -> dict[str, Any]:
        """The JSON Schema of the parameter's value, with the limits ``_deserialize`` enforces."""
        return {"type": "string"}


class PageBound(_Parameter):
    """``limit`` or ``offset``: a whole number from 0 to ``maximum``."""

    def __init__(self, description: str, *, maximum: int, default: int):
        super().__init__(description, load_default=default)
        self.maximum = maximum
        self.default = default

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if not _PAGE_BOUND.fullmatch(value.strip()) or int(value) > self.maximum:
            raise ValidationError(f"Must be an integer from 0 to {self.maximum}.")
        return int(value)

    def openapi(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": 0, "maximum": self.maximum,
                "default": self.default}


class SortParameter(_Parameter):
    """``sort=-createdTime,email`` and ``sort=-createdTime&sort=email`` mean the same.

    A field named again is dropped (its first mention already decides every tie it could break),
    so ``sort=id,id,...`` costs one key, not one per repeat.
    """

    def __init__(self, description: str, *, sortable: Mapping[str, str], max_keys: int):
        super().__init__(description, load_default=())
        self.sortable = sortable
        self.max_keys = max_keys

    def _deserialize(self, value: Any, attr: Any, data: Any,
                     **kwargs: Any) -> tuple[tuple[str, bool], ...]:
        keys: dict[str, bool] = {}
        for part in (part.strip() for raw in value for part in raw.split(",")):
            if not part:
                continue
            descending = part.startswith("-")
            # One "+" or "-" at most ("+" arrives as a space when the client did not encode it).
            name = part[1:].strip() if part[0] in "+-" else part
            if name not in self.sortable:
                raise ValidationError(f"Cannot sort on '{name}'; sortable fields: "
                                      f"{', '.join(self.sortable)}.")
            keys.setdefault(name, descending)
        if len(keys) > self.max_keys:
            raise ValidationError(f"Sort on at most {self.max_keys} fields at once.")
        return tuple(keys.items())


class FilterParameter(_Parameter):
    """``filter``, compiled by ``services.filters`` into one predicate per field named."""

    def __init__(self, description: str, *, filterable: Mapping[str, str]):
        super().__init__(description, load_default=())
        self.filterable = filterable

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> tuple:
        try:
            return compile_filter(value, self.filterable)
        except FilterRefused as refused:
            raise ValidationError(str(refused)) from None


class SearchParameter(_Parameter):
    """``q``: a case-insensitive substring; blank means no search."""

    def __init__(self, description: str, *, max_length: int):
        super().__init__(description, load_default=None)
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str | None:
        needle = value.strip().casefold()
        if len(needle) > self.max_length:
            raise ValidationError(f"Must be at most {self.max_length} characters long.")
        return needle or None

    def openapi(self) -> dict[str, Any]:
        return {"type": "string", "maxLength": self.max_length}


class FieldsetParameter(_Parameter):
    """A sparse fieldset. Unknown names are not an error: they are simply absent from the answer."""

    def __init__(self, description: str, *, max_names: int):
        super().__init__(description, load_default=None)
        self.max_names = max_names

    def _deserialize(self, value: Any, attr: Any, data: Any,
                     **kwargs: Any) -> frozenset[str] | None:
        names = {name.strip() for name in value.split(",")} - {""}
        if len(names) > self.max_names:
            raise ValidationError(f"Name at most {self.max_names} fields.")
        return frozenset(names | {"id"}) if names else None


class ExpandParameter(_Parameter):
    """``expand``: the related objects to embed, each one the resource declares."""

    def __init__(self, description: str, *, resource: ListedResource):
        super().__init__(description, load_default=())
        self.resource = resource

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> tuple[str, ...]:
        names = tuple(name.strip() for name in value.split(",") if name.strip())
        unknown = [name for name in names if name not in self.resource.expandable]
        if unknown:
            embeds = ", ".join(self.resource.expandable) or "nothing"
            raise ValidationError(f"Cannot expand {', '.join(unknown)}; "
                                  f"a {self.resource.singular} embeds {embeds}.")
        return names


class ListQuerySchema(Schema):
    """Base of each resource's list schema: reads a query string, builds a ``ListQuery``."""

    resource: ListedResource

    @pre_load
    def _from_query_string(self, args: Any, **kwargs: Any) -> dict[str, Any]:
        """Single values take the first given; repeated ``sort`` or ``filter`` parameters add up,
        as if joined with ``,`` or ``;``."""
        def every(name: str) -> list[str]:
            if hasattr(args, "getlist"):
                return args.getlist(name)
            value = args.get(name)
            return [] if value is None else value if isinstance(value, list) else [value]

        taken = self.resource.parameters  # any other parameter is ignored
        data: dict[str, Any] = {}
        for name in ("limit", "offset", "q", "fields", "expand"):
            values = every(name) if name in taken else []
            if values:
                data[name] = values[0]
        if "sort" in taken and every("sort"):
            data["sort"] = every("sort")
        filters = [value for value in every("filter") if value.strip()] \
            if "filter" in taken else []
        if filters:
            data["filter"] = ";".join(filters)
        return data

    @post_load
    def _to_query(self, data: dict[str, Any], **kwargs: Any) -> ListQuery:
        return ListQuery(resource=self.resource, limit=data["limit"], offset=data["offset"],
                         sort=data["sort"], filters=data["filter"], q=data["q"],
                         fields=data["fields"], expand=data["expand"])


def _expand_field(resource: ListedResource) -> ExpandParameter:
    return ExpandParameter(f"Embed related objects in _embedded: any of "
                           f"{', '.join(resource.expandable)}, comma-separated.",
                           resource=resource)


@functools.cache
def _schema(resource: ListedResource) -> ListQuerySchema:
    """The list schema of one resource, built once from its declaration."""
    declared = {
        "limit": PageBound("Page size.", maximum=MAX_LIMIT, default=DEFAULT_LIMIT),
        "offset": PageBound(f"{resource.plural} to skip.", maximum=MAX_OFFSET, default=0),
        "sort": SortParameter(
            f"Comma-separated fields, '-' for descending, such as {resource.sort_example}; at "
            f"most {MAX_SORT_KEYS} distinct fields (a repeated field is dropped).",
            sortable=resource.sortable, max_keys=MAX_SORT_KEYS),
        "filter": FilterParameter(
            f"field:value clauses joined by ';'; ',' between values, '!' to negate, a..b "
            f"ranges; at most {MAX_FILTER_CLAUSES} clauses and {MAX_FILTER_VALUES} values in "
            f"all.", filterable=resource.filterable),
        "q": SearchParameter(f"Case-insensitive partial match on "
                             f"{resource.searched_description}.", max_length=MAX_Q_LENGTH),
        "fields": FieldsetParameter(
            f"Sparse fieldset: comma-separated top-level members (id is always kept); at most "
            f"{MAX_FIELDS} names.", max_names=MAX_FIELDS),
        "expand": _expand_field(resource),
    }
    name = f"{resource.singular.title().replace('-', '')}ListQuerySchema"
    schema_class = type(name, (ListQuerySchema,), {**declared, "resource": resource})
    return schema_class()


def load_list_query(resource: ListedResource, args: Mapping[str, Any]) -> ListQuery:
    """Read a list's query string (a ``MultiDict`` or a plain mapping) into a ``ListQuery``.

    A bad ``expand`` is reported only when the list parameters themselves are sound, so a 422
    names either the list's problems or the embed's, never both.

    :raises ValidationFailed: naming every bad parameter at once.
    """
    try:
        return _schema(resource).load(args)
    except ValidationError as error:
        messages = dict(error.messages)
        if messages.keys() - {"expand"}:
            messages.pop("expand", None)
        raise ValidationFailed(flatten_errors(messages)) from None


def load_expand(resource: ListedResource, raw: str | None) -> tuple[str, ...]:
    """The names of an ``expand`` query parameter, on routes that answer one document.

    :raises ValidationFailed: on ``expand`` for a name the resource cannot embed.
    """
    if raw is None:
        return ()
    try:
        return _schema(resource).fields["expand"].deserialize(raw)
    except ValidationError as error:
        raise ValidationFailed(flatten_errors({"expand": error.messages})) from None


def list_query_parameters(resource: ListedResource) -> list[dict[str, Any]]:
    """The query parameters the resource's list takes, as OpenAPI parameter objects, from the
    schema's own fields."""
    return [_parameter(name, field) for name, field in _schema(resource).fields.items()
            if name in resource.parameters]


def expand_parameter(resource: ListedResource) -> dict[str, Any]:
    """The ``expand`` query parameter as an OpenAPI parameter object."""
    return _parameter("expand", _schema(resource).fields["expand"])


def _parameter(name: str, field: _Parameter) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": field.metadata["description"],
            "schema": field.openapi()}
