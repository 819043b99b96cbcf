"""Products: create, replace by id, read, list, and delete while no plan refers to one.

Pure Python: no Flask, no marshmallow. Prices live on plans, never on products.
"""

from __future__ import annotations

from typing import Any

from ..problems import Conflict
from .context import Context
from .documents import check_id, read, remove, write
from .listing import Page, list_documents
from .paging import ListQuery
from .tables import PLANS, PRODUCTS

__all__ = ("PRODUCT_WRITABLE", "create_product", "upsert_product", "get_product",
           "list_products", "delete_product")

#: The writable members a stored product keeps, each with its value when a body leaves it out.
PRODUCT_WRITABLE: dict[str, Any] = {
    "name": None, "unitLabel": "unit", "description": None, "requiresShipping": False,
    "options": [], "taxCategoryId": None, "accountingCode": None, "recognition": None,
    "customFields": {},
}


def create_product(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Store a product under a generated ``prod_`` id; return it as stored."""
    with ctx.store.transaction() as tx:
        return write(tx, ctx, PRODUCTS, ctx.ids.new("prod"), data, PRODUCT_WRITABLE)[0]


def upsert_product(ctx: Context, product_id: str, data: dict[str, Any]) -> tuple[dict, bool]:
    """Create the product with this id, or replace its writable members; (product, created).

    :raises ValidationFailed: for a malformed id.
    """
    check_id(product_id)
    with ctx.store.transaction() as tx:
        return write(tx, ctx, PRODUCTS, product_id, data, PRODUCT_WRITABLE)


def get_product(ctx: Context, product_id: str) -> dict[str, Any]:
    """:raises NotFound: when the namespace has no such product."""
    with ctx.store.transaction() as tx:
        return read(tx, ctx, PRODUCTS, product_id, "product")


def list_products(ctx: Context, query: ListQuery) -> Page:
    return list_documents(ctx.store, ctx.namespace, query)


def delete_product(ctx: Context, product_id: str) -> None:
    """:raises NotFound: when there is no such product.
    :raises Conflict: while a plan refers to it.
    """
    with ctx.store.transaction() as tx:
        plan = next((plan["id"] for plan in tx.view(ctx.namespace, PLANS)
                     if plan.get("productId") == product_id), None)
        if plan is not None:
            raise Conflict(f"Product {product_id} cannot be deleted while plan {plan} "
                           "refers to it.")
        remove(tx, ctx, PRODUCTS, product_id, "product")
