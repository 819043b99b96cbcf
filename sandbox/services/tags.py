"""Tags on customers: only customer-type tags, one tag per case-insensitive name per namespace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ValidationFailed
from ..store import Transaction

if TYPE_CHECKING:
    from .customers import Context

__all__ = ("TAGS", "resolve")

TAGS = "tags"


def resolve(tx: Transaction, ctx: "Context", requested: list[dict[str, Any]],
            now: str) -> list[dict[str, Any]]:
    """Return the tags to put on a customer, creating the ones the namespace lacks.

    :raises ValidationFailed: for a tag whose type is not ``customer``.
    """
    wrong = [{"field": f"tags.{index}.type",
              "message": "Only tags of type customer can be assigned to a customer."}
             for index, tag in enumerate(requested) if tag["type"] != "customer"]
    if wrong:
        raise ValidationFailed(wrong)
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
