"""What a namespace's webhook deliveries may hold: a byte budget for their bodies, and the
finished deliveries kept.

Deliveries are written on the request path, in the transaction of the change that caused them,
and a slow receiver may keep them pending as long as it likes; so what one namespace holds is
bounded where deliveries are written, not only where an attempt ends. ``Room`` counts the bodies
a namespace's deliveries hold, forgets finished deliveries oldest first to make room for a new
one (and to keep at most ``MAX_FINISHED``), and writes a delivery that still does not fit as
``failed`` at once, without a body, naming the setting. Pending deliveries are never forgotten.

Counting reads every delivery of the namespace (about 0.5 ms for the 3,000 one may keep by
default), so a write remembers an upper bound of what the bodies take (``_Tallies``) and the next
one starts from it, counting again only when a body might not fit.
"""

from __future__ import annotations

import logging
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..store import Store, Transaction

if TYPE_CHECKING:
    from .context import Context, Outbox

__all__ = ("DELIVERIES", "MAX_FINISHED", "DEFAULT_MAX_STORED_BYTES", "Room", "text_bytes",
           "sizes_of", "refuse", "forget_finished")

#: Deliveries waiting for (or done by) the delivery worker, one per (event, webhook).
DELIVERIES = "webhook-deliveries"
#: Finished deliveries kept per namespace (for resend), the oldest forgotten first.
MAX_FINISHED = 2000
#: The byte budget of a namespace's delivery bodies when no setting gives one (the default of
#: ``--webhook-max-stored-bytes``).
DEFAULT_MAX_STORED_BYTES = 32 * 1024 * 1024
SETTING = "--webhook-max-stored-bytes"
#: Namespaces whose count each store remembers, the least recently written forgotten first.
TALLIES_KEPT = 4096

log = logging.getLogger("sandbox")


def text_bytes(text: str) -> int:
    """The bytes a text may take, counted without encoding it again (it is counted on every
    write): one a character when it is ASCII, as JSON payloads are, else four, the most a
    character takes."""
    return len(text) if text.isascii() else 4 * len(text)


def sizes_of(texts: list[str]) -> list[int]:
    """``text_bytes`` of each text, in C loops: their lengths when all are ASCII, as JSON bodies
    nearly always are."""
    if all(map(str.isascii, texts)):
        return list(map(len, texts))
    return list(map(text_bytes, texts))


def refuse(delivery: dict[str, Any], reason: str) -> None:
    """Make ``delivery`` failed at once, never sent: its body is dropped, since nothing will
    ever send it, and ``failureReason`` says why."""
    delivery.update(state="failed", failureReason=reason, body="")


def forget_finished(tx: Transaction, namespace: str) -> None:
    """Keep at most ``MAX_FINISHED`` finished deliveries in a namespace, oldest going first."""
    if tx.count(namespace, DELIVERIES) > MAX_FINISHED:
        Room(tx, namespace).keep_finished()


class _Tallies:
    """An upper bound of the body bytes each namespace's deliveries hold, as the last write
    left them, with the id of the delivery that write inserted last.

    Trusted only while that delivery is still the namespace's last: only ``Room`` inserts
    deliveries, each insert changes the last id, and a rolled-back write, a reset or a restored
    snapshot leaves a last id the tally never saw (a snapshot holding the same last delivery was
    saved after that write, with no body added since). Everything else only shrinks what a
    namespace holds (deletes; a body is never made longer once written, a refused one is
    dropped), so the bound holds, and it is counted again once it says a body might not fit.
    """

    def __init__(self) -> None:
        self._kept: OrderedDict[str, tuple[str | None, int]] = OrderedDict()

    def recall(self, tx: Transaction, namespace: str) -> int | None:
        kept = self._kept.get(namespace)
        if kept is None or kept[0] != _last_id(tx, namespace):
            return None
        return kept[1]

    def remember(self, tx: Transaction, namespace: str, stored: int) -> None:
        self._kept[namespace] = (_last_id(tx, namespace), stored)
        self._kept.move_to_end(namespace)
        if len(self._kept) > TALLIES_KEPT:
            self._kept.popitem(last=False)


#: Each store's tallies, read and written with the store held; gone with the store.
_TALLIES: weakref.WeakKeyDictionary[Store, _Tallies] = weakref.WeakKeyDictionary()


def _last_id(tx: Transaction, namespace: str) -> str | None:
    """The id of the namespace's newest delivery."""
    view = tx.view(namespace, DELIVERIES)
    return next(reversed(view))["id"] if view else None


class Room:
    """The room left for bodies in a namespace's byte budget, for the writes of one transaction.

    Finished deliveries are forgotten, oldest first, only when a body needs their room, or when
    a refusal leaves more than ``MAX_FINISHED`` (finishing an attempt keeps that count too).
    ``stored`` is an upper bound until the deliveries are counted; ``pending`` and ``finished``
    are known once they are.
    """

    def __init__(self, tx: Transaction, namespace: str,
                 budget: int = DEFAULT_MAX_STORED_BYTES, outbox: Outbox | None = None,
                 tallies: _Tallies | None = None):
        self._tx = tx
        self._namespace = namespace
        self._outbox = outbox
        self._tallies = tallies
        self.budget = budget
        self.stored = tallies.recall(tx, namespace) if tallies else None
        self.pending: int | None = None
        self.finished = 0
        self._refused = False

    @classmethod
    def of(cls, tx: Transaction, ctx: Context) -> Room:
        """The room of the context's namespace, with its budget, outbox and its store's
        tallies."""
        tallies = _TALLIES.get(ctx.store)
        if tallies is None:
            tallies = _TALLIES[ctx.store] = _Tallies()
        return cls(tx, ctx.namespace, ctx.max_stored_bytes, ctx.outbox, tallies)

    def write(self, delivery: dict[str, Any], body: Callable[[int], str | None]) -> None:
        """Insert ``delivery`` pending with the body ``body(room)`` makes and tell the outbox, or
        insert it failed without a body when that does not fit.

        ``body`` gets the room left and may give None when its body would need more (rendering
        stops there); it is not called when pending bodies already fill the budget.
        """
        text = self._make(body)
        if text is not None and self._take(text_bytes(text)):
            delivery["body"] = text
            self._tx.insert(self._namespace, DELIVERIES, delivery)
            self._tell(delivery, text_bytes(text))
            return
        self._count()
        refuse(delivery, self._reason(text))
        self._tx.insert(self._namespace, DELIVERIES, delivery)
        self._refused = True
        self.finished += 1
        log.warning("webhook delivery %s refused: its body does not fit the %d bytes this "
                    "namespace's deliveries may hold (%s)", delivery["id"], self.budget, SETTING)

    def settle(self) -> None:
        """After the writes: keep ``MAX_FINISHED`` if one was refused, and remember the count."""
        if self._refused:
            self.keep_finished()
        if self._tallies is not None and self.stored is not None:
            self._tallies.remember(self._tx, self._namespace, self.stored)

    def keep_finished(self) -> None:
        """Forget the oldest finished deliveries beyond ``MAX_FINISHED``."""
        self._count()
        if self.finished > MAX_FINISHED:
            self._forget(size=0, count=self.finished - MAX_FINISHED)

    def _make(self, body: Callable[[int], str | None]) -> str | None:
        """The body, made with the room the bound leaves, or with the room counted when that
        was not enough; None when it does not fit."""
        if self.stored is None or self.stored >= self.budget:
            self._count()
        counted = self.pending is not None
        room = self.budget - (self.pending if counted else self.stored)
        text = body(room) if room > 0 else None
        if text is None and not counted:
            self._count()
            if self.budget - self.pending > room:
                text = body(self.budget - self.pending)
        return text

    def _take(self, size: int) -> bool:
        """Make room for a pending body of ``size`` bytes; False when even forgetting every
        finished delivery would not."""
        if self.stored is None or self.stored + size > self.budget:
            self._count()
            if self.pending + size > self.budget:
                return False
            if self.stored + size > self.budget:
                self._forget(size=self.stored + size - self.budget, count=0)
        self.stored += size
        if self.pending is not None:
            self.pending += size
        return True

    def _tell(self, delivery: dict[str, Any], size: int) -> None:
        """Hand a pending delivery to the outbox, which may fail it at once (beyond
        ``--webhook-max-pending``), dropping its body: a refusal like any other."""
        if self._outbox is None:
            return
        self._outbox(self._namespace, delivery["id"], delivery["dueTime"])
        stored = self._tx.read(self._namespace, DELIVERIES, delivery["id"])
        if stored is not None and stored["state"] != "pending":
            self._refused = True
            self.stored -= size
            if self.pending is not None:
                self.pending -= size
                self.finished += 1

    def _count(self) -> None:
        """Read every delivery of the namespace, once: exact bytes, pending bytes, finished."""
        if self.pending is not None:
            return
        self.stored = self.pending = self.finished = 0
        for delivery in self._tx.view(self._namespace, DELIVERIES):
            size = text_bytes(delivery["body"])
            self.stored += size
            if delivery["state"] == "pending":
                self.pending += size
            else:
                self.finished += 1

    def _forget(self, size: int, count: int) -> None:
        """Delete the oldest finished deliveries until ``size`` bytes and ``count`` deliveries
        are gone (or none is left)."""
        gone: list[str] = []
        freed = 0
        for delivery in self._tx.view(self._namespace, DELIVERIES):
            if freed >= size and len(gone) >= count:
                break
            if delivery["state"] != "pending":
                gone.append(delivery["id"])
                freed += text_bytes(delivery["body"])
        for delivery_id in gone:
            self._tx.delete(self._namespace, DELIVERIES, delivery_id)
        self.stored -= freed
        self.finished -= len(gone)

    def _reason(self, body: str | None) -> str:
        needed = "more" if body is None else f"{text_bytes(body)}"
        return (f"the deliveries waiting in this namespace already hold {self.pending} of the "
                f"{self.budget} bytes of bodies its deliveries may hold, and this one needs "
                f"{needed} than the rest ({SETTING})")
