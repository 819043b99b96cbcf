"""Choosing a list's page: the compiled query and the filter-sort-slice that applies it.

A namespace may hold a hundred thousand documents, so a page is chosen without copying them: the
stored documents are scanned once, in place, and only the chosen ones are handed back, still
uncopied, for the caller to copy while it holds the store lock. A query with no filter, no ``q``
and no sort does not even scan: it slices the page straight out. Pure Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from ..resources import ListedResource
from .filters import Predicate, all_of, search_predicate
from .values import reader

__all__ = ("ListQuery", "select_page", "select_fields")


@dataclass(frozen=True)
class ListQuery:
    """A parsed list request for one resource. ``fields`` is ``None`` when every field is wanted."""

    resource: ListedResource
    limit: int
    offset: int = 0
    sort: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    filters: tuple[Predicate, ...] = ()
    q: str | None = None  # casefolded
    fields: frozenset[str] | None = None
    expand: tuple[str, ...] = ()

    @property
    def scans(self) -> bool:
        """Whether the page depends on the documents' contents, not just their positions."""
        return bool(self.sort or self.filters or self.q)

    def predicate(self) -> Predicate | None:
        """Every filter clause and ``q`` as one callable; None when nothing is filtered out."""
        checks = list(self.filters)
        if self.q is not None:
            checks.append(search_predicate(self.resource.searched, self.q))
        return all_of(checks)


def select_page(documents: Sequence[dict[str, Any]],
                query: ListQuery) -> tuple[list[dict[str, Any]], int]:
    """The documents of the page ``query`` asks for (not copies) and how many matched in all.

    ``documents`` are in insertion order. Without a filter, ``q`` or sort the page is sliced out
    directly, so its cost does not grow with the namespace; otherwise they are scanned once. With
    no sort the order stays insertion order, oldest first: the Rebilly reference states no
    default order, and clients that care (like its own samples) send ``sort=-createdTime``.
    """
    end = query.offset + query.limit
    if not query.scans:
        return list(islice(documents, query.offset, end)), len(documents)
    accept = query.predicate()
    matches = list(documents if accept is None else filter(accept, documents))
    kinds = query.resource.sortable
    if len(query.sort) == 1:
        name, descending = query.sort[0]
        matches = _sort(matches, name, kinds[name], descending)
    elif query.sort:
        matches = _sort_by_ranks(matches, [(name, kinds[name], descending)
                                           for name, descending in query.sort])
    return list(islice(matches, query.offset, end)), len(matches)


def select_fields(body: dict[str, Any], fields: frozenset[str] | None) -> dict[str, Any]:
    """Keep only the requested top-level members (``id`` always); all when none are named."""
    if fields is None:
        return body
    return {key: value for key, value in body.items() if key in fields}


def _sort(documents: list[dict[str, Any]], name: str, kind: str,
          descending: bool) -> list[dict[str, Any]]:
    """A stable sort on one field; missing values go first ascending (last descending).

    Each value is read once, and the missing ones are set aside rather than wrapped in a tuple
    key, which halves the cost of sorting a large namespace.
    """
    keys = list(map(reader(name, kind), documents))
    missing = [document for document, key in zip(documents, keys, strict=True) if key is None]
    if missing:
        documents = [document for document, key in zip(documents, keys, strict=True)
                     if key is not None]
        keys = [key for key in keys if key is not None]
    order = sorted(range(len(keys)), key=keys.__getitem__, reverse=descending)
    ordered = [documents[index] for index in order]
    return ordered + missing if descending else missing + ordered


def _ranks(documents: list[dict[str, Any]], name: str, kind: str, descending: bool) -> list[int]:
    """Each document's place in one field's order, as an int that sorts ascending.

    Missing values go first ascending (last descending), as with ``_sort``. Only the distinct
    values are sorted, so turning a field into ranks costs one read per document.
    """
    values = list(map(reader(name, kind), documents))
    distinct = sorted({value for value in values if value is not None})
    place = {value: index for index, value in enumerate(distinct)}
    if descending:
        return [1 if value is None else -place[value] for value in values]
    return [-1 if value is None else place[value] for value in values]


def _sort_by_ranks(documents: list[dict[str, Any]],
                   keys: list[tuple[str, str, bool]]) -> list[dict[str, Any]]:
    """One stable sort on every key at once; full ties keep insertion order.

    Each key becomes a column of int ranks (descending ones negated), so mixed directions need
    no per-key pass over the whole list and no comparison wrappers.
    """
    columns = [_ranks(documents, name, kind, descending) for name, kind, descending in keys]
    order = sorted(range(len(documents)), key=list(zip(*columns, strict=True)).__getitem__)
    return [documents[index] for index in order]
