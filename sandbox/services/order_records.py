"""An order's records (its cancellations and pauses), found through an index on their
``subscriptionId`` rather than by scanning every record of the namespace.

Pure Python: no Flask, no marshmallow.
"""

from __future__ import annotations

from typing import Any

from ..store import IndexSpec, Transaction

__all__ = ("records_of",)

_BY_ORDER = IndexSpec("subscriptionId", lambda document: document.get("subscriptionId"))


def records_of(tx: Transaction, namespace: str, table: str,
               order_id: str) -> list[dict[str, Any]]:
    """The order's documents in ``table``, oldest first (the stored documents: read only)."""
    indexed = tx.indexed(namespace, table, {"subscriptionId": _BY_ORDER}, {})
    if indexed is None:
        return []
    numbers = indexed.equality("subscriptionId").lookup([order_id])
    return [indexed.document(number) for number in sorted(numbers)]
