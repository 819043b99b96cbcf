"""Tags on customers: only customer-type tags, one tag per case-insensitive name per namespace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..store import Transaction

if TYPE_CHECKING:
    from .customers import Context

__all__ = ("TAGS", "resolve")

TAGS = "tags"


def resolve(tx: Transaction, ctx: "Context", requested: list[dict[str, Any]],
            now: str) -> list[dict[str, Any]]:
    """Return the tags to put on a customer, creating the ones the namespace lacks.

    The schema has already refused tags of any type but ``customer``.
    """
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for tag in requested:
        key = tag["name"].casefold()
        if key in seen:
            continue
        seen.add(key)
        existing = tx.find(ctx.namespace, TAGS, lambda doc, key=key: doc["name"].casefold() == key)
        if existing:
            result.append(existing[0])
            continue
        created = {"id": ctx.ids.new("tag"), "name": tag["name"], "type": "customer",
                   "createdTime": now, "updatedTime": now}
        tx.insert(ctx.namespace, TAGS, created)
        result.append(created)
    return result
