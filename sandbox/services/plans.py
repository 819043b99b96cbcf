"""Plans: create, replace by id, read, list, delete; a plan's product must exist.

Pure Python: no Flask, no marshmallow. The body arrives validated, its kind decided by what it
holds (``schemas.plan``); this module adds what only the store knows (the product) and the
members the server owns: ``isTrialOnly``, ``currencySign`` and a ``revision`` each replacement
bumps. What a plan charges is ``services.pricing``'s.
"""

from __future__ import annotations

from typing import Any

from ..problems import Conflict, ValidationFailed
from ..store import Transaction
from .context import Context
from .documents import check_id, read, remove, write
from .listing import Page, list_documents
from .paging import ListQuery
from .tables import ORDERS, PLANS, PRODUCTS

__all__ = ("PLAN_WRITABLE", "create_plan", "upsert_plan", "get_plan", "list_plans",
           "delete_plan", "currency_sign")

#: The writable members a stored plan keeps, each with its value when a body leaves it out.
PLAN_WRITABLE: dict[str, Any] = {
    "name": None, "description": None, "richDescription": None, "productId": None,
    "productOptions": None, "currency": None, "setup": None, "isActive": True,
    "customFields": {}, "pricing": None, "recurringInterval": None, "trial": None,
}
#: Signs of common currencies; any other currency shows its code.
_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "$", "AUD": "$", "CHF": "CHF",
          "INR": "₹", "BRL": "R$", "MXN": "$", "CNY": "¥", "KRW": "₩", "RUB": "₽"}


def currency_sign(currency: str) -> str:
    return _SIGNS.get(currency, currency)


def create_plan(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Store a plan under a generated ``plan_`` id; return it as stored.

    :raises ValidationFailed: on ``productId`` when the namespace has no such product.
    """
    with ctx.store.transaction() as tx:
        return _write(tx, ctx, ctx.ids.new("plan"), data)[0]


def upsert_plan(ctx: Context, plan_id: str, data: dict[str, Any]) -> tuple[dict, bool]:
    """Create the plan with this id, or replace its writable members; (plan, created).

    :raises ValidationFailed: for a malformed id or an unknown ``productId``.
    """
    check_id(plan_id)
    with ctx.store.transaction() as tx:
        return _write(tx, ctx, plan_id, data)


def _write(tx: Transaction, ctx: Context, plan_id: str, data: dict[str, Any]) -> tuple[dict, bool]:
    if not tx.exists(ctx.namespace, PRODUCTS, data["productId"]):
        raise ValidationFailed([{"field": "productId",
                                 "message": f"No product {data['productId']} exists."}])
    existing = tx.read(ctx.namespace, PLANS, plan_id)
    owned = {"currencySign": currency_sign(data["currency"]),
             "isTrialOnly": data.get("recurringInterval") is None
             and data.get("trial") is not None,
             "revision": existing["revision"] + 1 if existing else 1}
    return write(tx, ctx, PLANS, plan_id, data, PLAN_WRITABLE, owned)


def get_plan(ctx: Context, plan_id: str) -> dict[str, Any]:
    """:raises NotFound: when the namespace has no such plan."""
    with ctx.store.transaction() as tx:
        return read(tx, ctx, PLANS, plan_id, "plan")


def list_plans(ctx: Context, query: ListQuery) -> Page:
    return list_documents(ctx.store, ctx.namespace, query)


def delete_plan(ctx: Context, plan_id: str) -> None:
    """Delete a plan no order bills (each order keeps its own copy of its plans, but Rebilly
    keeps a plan in use from going).

    :raises NotFound: when there is no such plan.
    :raises Conflict: while an order has an item on it.
    """
    with ctx.store.transaction() as tx:
        user = next((order["id"] for order in tx.view(ctx.namespace, ORDERS)
                     if plan_id in order.get("planId", ())), None)
        if user is not None and tx.exists(ctx.namespace, PLANS, plan_id):
            raise Conflict(f"Plan {plan_id} cannot be deleted while order {user} bills it.")
        remove(tx, ctx, PLANS, plan_id, "plan")
