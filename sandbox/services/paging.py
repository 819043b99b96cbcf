"""Choosing a list's page: the compiled query and the filter-sort-slice that applies it.

A namespace may hold a hundred thousand documents, so a page is chosen without copying them: the
stored documents are scanned once, in place, and only the chosen ones are handed back, still
uncopied, for the caller to copy while it holds the store lock. A query with no filter, no ``q``
and no sort does not even scan: it slices the page straight out. When the resource declares
indexes (``ListedResource.indexed``), an equality filter on an indexed field reads only the
documents holding its values, and a sort on an indexed field walks the field's order only as far
as the page; the answer is the one the scan gives, which a property test checks. Pure Python.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

from ..resources import ListedResource
from .filters import Predicate, all_of, search_predicate
from .values import reader

if TYPE_CHECKING:
    from ..store import IndexedTable

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


#: What filters and sorts see of a stored document (by default, the document itself).
Seen = Callable[[dict[str, Any]], dict[str, Any]]


def select_page(documents: Sequence[dict[str, Any]], query: ListQuery,
                table: IndexedTable | None = None,
                seen: Seen | None = None) -> tuple[list[dict[str, Any]], int]:
    """The documents of the page ``query`` asks for (not copies) and how many matched in all.

    ``documents`` are in insertion order. Without a filter, ``q`` or sort the page is sliced out
    directly, so its cost does not grow with the namespace; with ``table`` (the same documents
    with their indexes) indexes answer what they can; otherwise they are scanned once. With
    no sort the order stays insertion order, oldest first: the Rebilly reference states no
    default order, and clients that care (like its own samples) send ``sort=-createdTime``.
    A resource declared ``newest_first`` (a log) is listed in reverse insertion order instead.
    ``seen`` gives what filters and sorts see of each document (such as a status that depends
    on the clock); an indexed field must read the same either way.
    """
    end = query.offset + query.limit
    if not query.scans:
        ordered = reversed(documents) if query.resource.newest_first else documents
        return list(islice(ordered, query.offset, end)), len(documents)
    see = seen or _itself
    if table is not None:
        found = _from_indexes(table, query, see)
        if found is not None:
            return found
    if seen is not None:
        documents = list(map(seen, documents))
    accept = query.predicate()
    matches = list(documents if accept is None else filter(accept, documents))
    return _sorted_page(matches, query), len(matches)


def _sorted_page(matches: list[dict[str, Any]], query: ListQuery) -> list[dict[str, Any]]:
    """The page out of ``matches`` (in insertion order), sorted as ``query`` asks."""
    kinds = query.resource.sortable
    if not query.sort and query.resource.newest_first:
        matches = matches[::-1]
    elif len(query.sort) == 1:
        name, descending = query.sort[0]
        matches = _sort(matches, name, kinds[name], descending)
    elif query.sort:
        matches = _sort_by_ranks(matches, [(name, kinds[name], descending)
                                           for name, descending in query.sort])
    return list(islice(matches, query.offset, query.offset + query.limit))


# -- answering from indexes ---------------------------------------------------------------------


def _itself(document: dict[str, Any]) -> dict[str, Any]:
    return document


def _from_indexes(table: IndexedTable, query: ListQuery,
                  see: Seen) -> tuple[list[dict[str, Any]], int] | None:
    """The page and total from the table's indexes, or None when they cannot help.

    Matches are narrowed to the documents an indexed equality filter names (the smallest such
    set), then every filter and ``q`` still check them, unless that one filter says it all. The
    page is then taken in order: few matches are simply sorted; many are met while walking
    insertion order or the sort field's index, which stops once the page is full.
    """
    matches = _narrowed(table, query, see)
    if matches is None and query.predicate() is not None:
        if not query.sort or table.order(query.sort[0][0]) is None:
            return None  # nothing indexed narrows or orders it: the plain scan is as good
        accept = query.predicate()
        matches = {number for number, document in table.numbered() if accept(see(document))}
    if matches is None and not query.sort:
        return None
    end = query.offset + query.limit
    total = len(table) if matches is None else len(matches)
    # Walking costs about end * len(table) / total steps; sorting the matches about total.
    walk = matches is None or total * total > end * len(table)
    if not query.sort:
        if query.resource.newest_first:
            numbers = heapq.nlargest(end, matches)
        elif walk:
            numbers = [number for number, _ in islice(
                ((number, document) for number, document in table.numbered()
                 if number in matches), end)]
        else:
            numbers = heapq.nsmallest(end, matches)
        return [see(table.document(number)) for number in numbers[query.offset:]], total
    first, descending = query.sort[0]
    order = table.order(first)
    if order is None or not walk:
        if matches is None:
            return None
        documents = [see(table.document(number)) for number in sorted(matches)]
        return _sorted_page(documents, query), total
    if len(query.sort) == 1:
        ordered = order.ids(descending)
        chosen = list(islice(ordered if matches is None else
                             (number for number in ordered if number in matches), end))
        return [see(table.document(number)) for number in chosen[query.offset:]], total
    chosen: list[int] = []
    for group in order.groups(descending):
        chosen += group if matches is None else [number for number in group if number in matches]
        if len(chosen) >= end:
            break
    # Later keys only break ties within the first key's groups, all of which are here.
    return _sorted_page([see(table.document(number)) for number in chosen], query), total


def _narrowed(table: IndexedTable, query: ListQuery, see: Seen) -> set[int] | None:
    """The ids of every matching document when an indexed equality filter narrows them; None
    when no filter is indexed."""
    narrowest: set[int] | None = None
    exact = False
    for check in query.filters:
        equals = getattr(check, "equals", None)
        index = table.equality(check.field) if equals is not None else None
        if index is None:
            continue
        found = index.lookup(equals)
        if narrowest is None or len(found) < len(narrowest):
            narrowest, exact = found, check.exact
    if narrowest is None:
        return None
    if exact and len(query.filters) == 1 and query.q is None:
        return narrowest
    accept = query.predicate()
    return {number for number in narrowest if accept(see(table.document(number)))}


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
