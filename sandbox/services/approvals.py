"""The unguessable token behind a waiting transaction's ``approvalUrl``.

A shopper's browser carries no API key, so the approval page cannot learn the namespace from a
credential: the URL itself must name the transaction, and must do so in a way no other tenant
can guess. Each waiting transaction gets a random token, kept on the transaction and in one small
table of the database's reserved namespace that maps it back to the namespace and transaction.
Reading a token is one lookup, whatever the namespace holds.

Pure Python: no Flask, no marshmallow.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from ..namespacesalt import SALT_NAMESPACE
from ..problems import NotFound
from ..store import Store, Transaction
from .context import Context

__all__ = ("APPROVALS", "APPROVAL_CHOICES", "TOKEN_MEMBER", "issue_token", "locate",
           "is_token_of")

#: Reserved namespace (no credential's namespace can be it) and kind of the token table.
APPROVALS_NAMESPACE = SALT_NAMESPACE
APPROVALS = "approval-tokens"
#: The stored transaction's member holding its token; never part of an API answer.
TOKEN_MEMBER = "approvalToken"
#: What a shopper may choose on the page, in the order its buttons show.
APPROVAL_CHOICES = ("approved", "declined", "abandoned")
#: Random bytes per token: 192 bits, beyond any guessing.
TOKEN_BYTES = 24


def issue_token(tx: Transaction, ctx: Context, transaction: dict[str, Any]) -> str:
    """Give a transaction that waits for its offsite step the token its approval URL carries."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    transaction[TOKEN_MEMBER] = token
    tx.insert(APPROVALS_NAMESPACE, APPROVALS, {"id": token, "namespace": ctx.namespace,
                                               "transactionId": transaction["id"]})
    return token


def locate(store: Store, token: str) -> tuple[str, str]:
    """The namespace and transaction id a token was issued for.

    :raises NotFound: for a token the sandbox never issued (or one a full reset removed).
    """
    row = store.get(APPROVALS_NAMESPACE, APPROVALS, token) if _well_formed(token) else None
    if row is None:
        raise NotFound("No transaction waits for approval at this address.")
    return row["namespace"], row["transactionId"]


def is_token_of(transaction: dict[str, Any], token: str) -> bool:
    """Whether ``token`` is the one ``transaction`` holds (compared in constant time)."""
    held = transaction.get(TOKEN_MEMBER)
    return isinstance(held, str) and hmac.compare_digest(held.encode(), token.encode())


def _well_formed(token: str) -> bool:
    return 0 < len(token) <= 64 and token.isascii() and all(
        char.isalnum() or char in "-_" for char in token)
