"""Websites: create, replace by id, read, list, and delete while nothing refers to one.

Pure Python: no Flask, no marshmallow. A customer or transaction naming a website id that was
never created is accepted (the sandbox's choice, see docs/differences.md), so deleting a website
asks those tables, and the invoices, whether any still names it.
"""

from __future__ import annotations

from typing import Any

from ..problems import Conflict
from .context import Context
from .documents import check_id, read, remove, write
from .listing import Page, list_documents
from .paging import ListQuery
from .tables import CUSTOMERS, INVOICES, TRANSACTIONS, WEBSITES

__all__ = ("WEBSITE_WRITABLE", "create_website", "upsert_website", "get_website",
           "list_websites", "delete_website")

#: The writable members a stored website keeps, each with its value when a body leaves it out.
WEBSITE_WRITABLE: dict[str, Any] = {"name": None, "url": None, "servicePhone": None,
                                    "serviceEmail": None, "customFields": {}, "settings": None,
                                    "logoId": None}


def _owned(ctx: Context) -> dict[str, Any]:
    return {"logoUrl": None, "organizationId": ctx.organization_id}


def create_website(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Store a website under a generated ``web_`` id; return it as stored."""
    with ctx.store.transaction() as tx:
        return write(tx, ctx, WEBSITES, ctx.ids.new("web"), data, WEBSITE_WRITABLE,
                     _owned(ctx))[0]


def upsert_website(ctx: Context, website_id: str, data: dict[str, Any]) -> tuple[dict, bool]:
    """Create the website with this id, or replace its writable members; (website, created).

    :raises ValidationFailed: for a malformed id.
    """
    check_id(website_id)
    with ctx.store.transaction() as tx:
        return write(tx, ctx, WEBSITES, website_id, data, WEBSITE_WRITABLE, _owned(ctx))


def get_website(ctx: Context, website_id: str) -> dict[str, Any]:
    """:raises NotFound: when the namespace has no such website."""
    with ctx.store.transaction() as tx:
        return read(tx, ctx, WEBSITES, website_id, "website")


def list_websites(ctx: Context, query: ListQuery) -> Page:
    return list_documents(ctx.store, ctx.namespace, query)


def delete_website(ctx: Context, website_id: str) -> None:
    """:raises NotFound: when there is no such website.
    :raises Conflict: while a customer, a transaction or an invoice names it.
    """
    with ctx.store.transaction() as tx:
        for table, singular in ((CUSTOMERS, "customer"), (TRANSACTIONS, "transaction"),
                                (INVOICES, "invoice")):
            user = next((document["id"] for document in tx.view(ctx.namespace, table)
                         if document.get("websiteId") == website_id), None)
            if user is not None and tx.exists(ctx.namespace, WEBSITES, website_id):
                raise Conflict(f"Website {website_id} cannot be deleted while {singular} "
                               f"{user} refers to it.")
        remove(tx, ctx, WEBSITES, website_id, "website")


