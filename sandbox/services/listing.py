"""Lists of any declared resource: one page, its total, and what is shown beside each document.

Pure Python: no Flask, no marshmallow. The query arrives compiled (``schemas.list_query`` builds
a ``paging.ListQuery``); this module reads the namespace under the store lock, copies out only the
page, and reads in the same transaction what the presenter shows with each document, so a
customer's lead source and embeds belong to the same moment as the page itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, TypeVar

from ..store import Store, Transaction, copy_document
from .customers import LEAD_SOURCES, embedded
from .paging import ListQuery, select_fields, select_page

__all__ = ("Page", "CustomerRelations", "list_documents", "list_customers", "ListQuery",
           "select_fields")

Related = TypeVar("Related")
#: What to read beside one listed document: (transaction, namespace, document, expand) -> data.
ReadRelated = Callable[[Transaction, str, dict[str, Any], tuple[str, ...]], Related]


@dataclass(frozen=True)
class Page(Generic[Related]):
    """A page of copies, how many documents matched in all, and per document what is shown
    beside it (empty when the resource reads nothing beside its documents)."""

    documents: list[dict[str, Any]]
    total: int
    related: list[Related]


@dataclass(frozen=True)
class CustomerRelations:
    """What a customer's answer shows beyond the stored customer."""

    has_lead_source: bool
    embedded: dict[str, Any] | None  # None unless ``expand`` asked for something


def list_documents(store: Store, namespace: str, query: ListQuery,
                   read_related: ReadRelated | None = None) -> Page:
    """The page of ``query.resource`` that ``query`` asks for, in one store transaction.

    The lock covers only the scan, the copy of the page and ``read_related`` for its documents.
    """
    with store.transaction() as tx:
        chosen, total = select_page(tx.view(namespace, query.resource.table), query)
        documents = [copy_document(document) for document in chosen]
        related = ([read_related(tx, namespace, document, query.expand) for document in documents]
                   if read_related is not None else [])
    return Page(documents, total, related)


def list_customers(store: Store, namespace: str, query: ListQuery) -> Page[CustomerRelations]:
    """A page of a namespace's customers, each with its lead-source flag and asked-for embeds."""
    return list_documents(store, namespace, query, _customer_relations)


def _customer_relations(tx: Transaction, namespace: str, customer: dict[str, Any],
                        expand: tuple[str, ...]) -> CustomerRelations:
    return CustomerRelations(
        has_lead_source=tx.exists(namespace, LEAD_SOURCES, customer["id"]),
        embedded=embedded(tx, namespace, customer, expand) if expand else None)
