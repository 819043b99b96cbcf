"""The billing schedule: when each order, invoice or pause next has something to do on the
clock, kept as one small document per thing and read through an ordered index.

Pure Python: no Flask, no marshmallow. A change that gives a thing a next due time writes its
entry in the same store transaction (``plan``), so a crash keeps both or neither. What is due is
found by walking the index on ``dueTime`` from its start, never by scanning orders: the cost of
finding the next step does not grow with what is stored. Entries are hints: the step that takes
one reads the thing again and does only what its state still calls for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..ids import format_time
from ..store import IndexSpec, Transaction

__all__ = ("SCHEDULE", "ORDER", "INVOICE", "PAUSE", "plan", "next_due", "entry_id")

#: The store table of schedule entries (one namespace's own, like every table).
SCHEDULE = "billing-schedule"
#: The kinds of thing that have steps on the clock.
ORDER, INVOICE, PAUSE = "order", "invoice", "pause"
_BY_DUE_TIME = IndexSpec("dueTime", lambda document: document.get("dueTime"), ordered=True)


def entry_id(kind: str, thing_id: str) -> str:
    return f"{kind}:{thing_id}"


def plan(tx: Transaction, namespace: str, kind: str, thing_id: str,
         due: datetime | str | None) -> None:
    """Make ``due`` the next time the thing has a step (None: it has none)."""
    key = entry_id(kind, thing_id)
    if due is None:
        tx.delete(namespace, SCHEDULE, key)
        return
    due_time = due if isinstance(due, str) else format_time(due)
    existing = tx.get(namespace, SCHEDULE, key)
    if existing is not None and existing.get("dueTime") == due_time:
        return
    tx.put(namespace, SCHEDULE, {"id": key, "kind": kind, "thingId": thing_id,
                                 "dueTime": due_time})


def next_due(tx: Transaction, namespace: str, until: datetime) -> dict[str, Any] | None:
    """The entry due first, if it is due at or before ``until``; else None."""
    table = tx.indexed(namespace, SCHEDULE, {}, {"dueTime": _BY_DUE_TIME})
    if table is None:
        return None
    order = table.order("dueTime")
    for number in order.ids(False):
        entry = table.document(number)
        due = entry.get("dueTime")
        if due is None:
            continue
        return dict(entry) if datetime.fromisoformat(due) <= until else None
    return None
