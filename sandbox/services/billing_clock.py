"""Billing on the clock: every step of a namespace's orders, invoices and pauses that is due by
a moment, run in time order.

Pure Python: no Flask, no marshmallow. ``catch_up`` takes the schedule's earliest entry, runs
its step in one store transaction at the entry's own time (``services.billing_steps``), and
goes on until nothing is due by ``until``: a year's jump renews a monthly order twelve times,
each renewal stamped with its own date, and every order of the namespace steps in time order.
Between steps it lets other requests in (``pause``), so a long catch-up holds no one up, and
as each step is its own transaction a crash keeps every finished step and repeats none: the
next catch-up goes on from the first step not yet taken.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..store import Store, Transaction
from .billing_steps import COUNTED, run_step
from .context import Context
from .schedule import SCHEDULE, next_due

__all__ = ("catch_up", "namespaces_with_steps", "MAX_STEPS")

#: Steps one catch-up runs at most (a guard, far above a year of a thousand monthly orders).
MAX_STEPS = 1_000_000

log = logging.getLogger("sandbox")


def _no_pause() -> None:
    return None


def catch_up(ctx: Context, until: datetime,
             pause: Callable[[], None] = _no_pause) -> dict[str, int]:
    """Run every step of ``ctx``'s namespace due at or before ``until``; what they made."""
    counts = dict.fromkeys((*COUNTED, "events", "steps"), 0)
    for _ in range(MAX_STEPS):
        before = dict(counts)
        try:
            with ctx.store.transaction() as tx:
                entry = next_due(tx, ctx.namespace, until)
                if entry is None:
                    break
                step = ctx.at(datetime.fromisoformat(entry["dueTime"]))
                run_step(tx, step, entry, counts)
                _drop_if_unmoved(tx, ctx.namespace, entry)
        except Exception:  # noqa: BLE001  (a broken step must not stop the clock)
            log.exception("billing step %s at %s failed; it is dropped",
                          entry["id"], entry["dueTime"])
            counts = before
            with ctx.store.transaction() as tx:
                _drop_if_unmoved(tx, ctx.namespace, entry)
            continue
        counts["events"] += step.events_fired
        counts["steps"] += 1
        pause()
    return counts


def _drop_if_unmoved(tx: Transaction, namespace: str, entry: dict[str, Any]) -> None:
    """A step that left its entry as it found it has nothing more to do then: drop it, so
    the same step never runs twice."""
    after = tx.get(namespace, SCHEDULE, entry["id"])
    if after is not None and after.get("dueTime") == entry["dueTime"]:
        tx.delete(namespace, SCHEDULE, entry["id"])


def namespaces_with_steps(store: Store) -> list[str]:
    """The namespaces whose billing schedule holds anything."""
    return [namespace for namespace, kinds in store.namespaces().items()
            if kinds.get(SCHEDULE)]
