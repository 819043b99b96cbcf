"""The state machine of a transaction, written down once as data.

A transaction is born in one of ``INITIAL`` statuses (what the gateway decided) and only ever
moves along ``TRANSITIONS``; every route that changes a status goes through ``move``, so no code
path can invent a move the table does not allow. ``result`` is set at birth and changes only
when an offsite step finishes (``unknown`` -> the step's result).
"""

from __future__ import annotations

from typing import Any

from ..problems import Conflict

__all__ = ("INITIAL", "TRANSITIONS", "FINAL", "move", "can_move")

#: Statuses a new transaction may start in.
INITIAL = frozenset({"completed", "waiting-approval"})

#: status -> {event: next status}. Events: ``finish`` (an offsite step ends), ``refund-part`` and
#: ``refund-all`` (a refund leaves money on the transaction, or none), ``void`` (an uncaptured
#: authorization is released), ``capture`` (a sale captures an authorization; it stays completed).
TRANSITIONS: dict[str, dict[str, str]] = {
    "waiting-approval": {"finish": "completed"},
    "completed": {"refund-part": "partially-refunded", "refund-all": "refunded",
                  "void": "voided", "capture": "completed"},
    "partially-refunded": {"refund-part": "partially-refunded", "refund-all": "refunded"},
    "refunded": {},
    "voided": {},
}

#: Statuses nothing moves out of.
FINAL = frozenset(status for status, events in TRANSITIONS.items() if not events)


def can_move(transaction: dict[str, Any], event: str) -> bool:
    """Whether the table lets ``event`` happen to the transaction in its current status."""
    return event in TRANSITIONS.get(transaction["status"], {})


def move(transaction: dict[str, Any], event: str) -> None:
    """Apply ``event`` to the transaction's status, in place.

    :raises Conflict: when the table has no such move from the current status.
    """
    if not can_move(transaction, event):
        raise Conflict(f"Transaction {transaction['id']} is {transaction['status']}; it cannot "
                       f"{event.replace('-', ' ')}.", transactionId=transaction["id"])
    transaction["status"] = TRANSITIONS[transaction["status"]][event]
