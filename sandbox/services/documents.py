"""What the catalog's resources (websites, products, plans) share: ids a caller may choose,
create or replace by id, read one, delete one, all inside the caller's store transaction.

Pure Python: no Flask, no marshmallow. Each resource's own module adds its rules (what refers
to it, what it refers to) around these steps.
"""

from __future__ import annotations

from typing import Any

from ..ids import format_time
from ..problems import NotFound, ValidationFailed
from ..store import Transaction, copy_document
from .context import Context
from .customers import CLIENT_ID

__all__ = ("check_id", "write", "read", "remove")


def check_id(document_id: str) -> None:
    """:raises ValidationFailed: on ``id`` unless it is 1-50 letters, digits and @ ~ - . _"""
    if not CLIENT_ID.fullmatch(document_id):
        raise ValidationFailed([{"field": "id", "message": "Must be 1-50 characters: letters, "
                                 "digits and @ ~ - . _"}])


def write(tx: Transaction, ctx: Context, table: str, document_id: str, data: dict[str, Any],
          writable: dict[str, Any], owned: dict[str, Any] | None = None) -> tuple[dict, bool]:
    """Store ``data``'s writable members (replace semantics: a member left out takes its
    default) under ``document_id``, with the server-owned members ``owned``; a replaced
    document keeps its ``createdTime``. Return (document, created)."""
    now = format_time(ctx.clock.now())
    existing = tx.read(ctx.namespace, table, document_id)
    document = {"id": document_id}
    for name, default in writable.items():
        value = data.get(name)
        document[name] = copy_document(default) if value is None else value
    document.update(owned or {})
    document["createdTime"] = existing["createdTime"] if existing else now
    document["updatedTime"] = now
    tx.put(ctx.namespace, table, document)
    return document, existing is None


def read(tx: Transaction, ctx: Context, table: str, document_id: str,
         singular: str) -> dict[str, Any]:
    """:raises NotFound: when the namespace has no such document."""
    document = tx.read(ctx.namespace, table, document_id)
    if document is None:
        raise NotFound(f"{singular.capitalize()} {document_id} was not found.")
    return document


def remove(tx: Transaction, ctx: Context, table: str, document_id: str, singular: str) -> None:
    """:raises NotFound: when the namespace has no such document."""
    if not tx.exists(ctx.namespace, table, document_id):
        raise NotFound(f"{singular.capitalize()} {document_id} was not found.")
    tx.delete(ctx.namespace, table, document_id)
