"""Tags on customers: only customer-type tags, one tag per case-insensitive name per namespace."""

from __future__ import annotations

from typing import Any

from ..store import Transaction, copy_document
from .context import Context

__all__ = ("TAGS", "resolve")

TAGS = "tags"


def resolve(tx: Transaction, ctx: Context, requested: list[dict[str, Any]],
            now: str) -> list[dict[str, Any]]:
    """Return the tags to put on a customer, creating the ones the namespace lacks.

    The namespace's tags are indexed by name once per call, so a request costs one pass over
    them plus one lookup per requested tag, however many it names. The schema has already
    refused tags of any type but ``customer`` and bounded how many one request may name.
    """
    if not requested:
        return []
    known = _by_name(tx, ctx.namespace)
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for tag in requested:
        key = tag["name"].casefold()
        if key in seen:
            continue
        seen.add(key)
        existing = known.get(key)
        if existing is not None:
            result.append(copy_document(existing))
            continue
        created = {"id": ctx.ids.new("tag"), "name": tag["name"], "type": "customer",
                   "createdTime": now, "updatedTime": now}
        tx.insert(ctx.namespace, TAGS, created)
        result.append(created)
    return result


def _by_name(tx: Transaction, namespace: str) -> dict[str, dict[str, Any]]:
    """The namespace's stored tags by case-folded name (the first one, should two share it)."""
    index: dict[str, dict[str, Any]] = {}
    for tag in tx.view(namespace, TAGS):
        index.setdefault(tag["name"].casefold(), tag)
    return index
