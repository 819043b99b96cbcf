"""Lists of any declared resource: one page, its total, and what is shown beside each document.

Pure Python: no Flask, no marshmallow. The query arrives compiled (``schemas.list_query`` builds
a ``paging.ListQuery``); this module reads the namespace under the store lock, copies out only the
page, and reads in the same transaction what the presenter shows with each document, so a
customer's lead source and embeds belong to the same moment as the page itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..resources import IDS, TAGS, TEXT, ListedResource
from ..store import IndexSpec, Store, Transaction
from .context import Context
from .customer_reads import CustomerRelations, customer_relations
from .paging import ListQuery, select_page
from .values import reader

__all__ = ("Page", "list_documents", "list_customers", "index_specs")

Related = TypeVar("Related")
#: What to read beside one listed document: (transaction, namespace, document, expand) -> data.
ReadRelated = Callable[[Transaction, str, dict[str, Any], tuple[str, ...]], Related]


@dataclass(frozen=True)
class Page(Generic[Related]):
    """A page of stored documents, how many documents matched in all, and per document what is
    shown beside it (empty when the resource reads nothing beside its documents).

    The documents are the stored ones, not copies (copying a page of 100 customers cost more than
    anything else in a list): the store replaces a document on every write and never changes one
    in place, so they stay as they were read. Never change one; presenters build new bodies.
    """

    documents: list[dict[str, Any]]
    total: int
    related: list[Related]


def list_documents(store: Store, namespace: str, query: ListQuery,
                   read_related: ReadRelated | None = None) -> Page:
    """The page of ``query.resource`` that ``query`` asks for, in one store transaction.

    The lock covers only the scan (or the index lookups) and ``read_related`` for the page.
    """
    resource = query.resource
    with store.transaction() as tx:
        table = (tx.indexed(namespace, resource.table, *index_specs(resource))
                 if resource.indexed and query.scans else None)
        chosen, total = select_page(tx.view(namespace, resource.table), query, table)
        documents = list(chosen)
        related = ([read_related(tx, namespace, document, query.expand) for document in documents]
                   if read_related is not None else [])
    return Page(documents, total, related)


@functools.cache
def index_specs(resource: ListedResource) -> tuple[dict[str, IndexSpec], dict[str, IndexSpec]]:
    """The equality and sort indexes of a resource's declared ``indexed`` fields, built once
    (the store keeps one index per spec object), reading values as filters and sorts do."""
    equality = {name: IndexSpec(name, reader(name, resource.filterable[name]),
                                many=resource.filterable[name] in (TAGS, IDS))
                for name in resource.indexed
                if resource.filterable.get(name) in (TEXT, TAGS, IDS)}
    ordered = {name: IndexSpec(name, reader(name, resource.sortable[name]), ordered=True)
               for name in resource.indexed if name in resource.sortable}
    return equality, ordered


def list_customers(ctx: Context, query: ListQuery) -> Page[CustomerRelations]:
    """A page of a namespace's customers, each with its lead-source flag and asked-for embeds."""
    return list_documents(ctx.store, ctx.namespace, query, customer_relations)
