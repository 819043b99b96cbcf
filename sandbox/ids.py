"""Resource ids (prefix + ULID) and the clock, both injectable so runs can be repeated.

With a seed, ids come from a seeded random source and a counter-based timestamp, so the same
sequence of creates yields the same ids on every run; without one they are ordinary ULIDs.
"""

from __future__ import annotations

import hashlib
import random
import threading
from datetime import datetime, timedelta, timezone

from ulid import ULID

__all__ = ("IdGenerator", "Clock", "format_time", "derived_id")

#: Timestamp part of seeded ids: this instant plus one millisecond per id issued.
SEEDED_EPOCH_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z


class IdGenerator:
    """Makes ``<prefix>_<ULID>`` ids; repeatable when given a seed."""

    def __init__(self, seed: int | None = None):
        self._lock = threading.Lock()
        self._random = random.Random(seed) if seed is not None else None
        self._counter = 0

    def new(self, prefix: str) -> str:
        return f"{prefix}_{self._ulid()}"

    def _ulid(self) -> ULID:
        if self._random is None:
            return ULID()
        with self._lock:
            self._counter += 1
            timestamp = SEEDED_EPOCH_MS + self._counter
            randomness = self._random.getrandbits(80)
        return ULID.from_bytes(timestamp.to_bytes(6, "big") + randomness.to_bytes(10, "big"))


class Clock:
    """The sandbox's notion of now: real time, optionally frozen or shifted.

    Everything time-based (timestamps, token expiry, rate windows) reads this one clock, so a
    test can move time instead of sleeping.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._frozen: datetime | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        frozen = self._frozen
        if frozen is not None:
            return frozen
        return datetime.now(timezone.utc) + self._offset

    def copy(self) -> Clock:
        """A clock that stands where this one stands and then moves on its own."""
        twin = Clock()
        with self._lock:
            twin._frozen, twin._offset = self._frozen, self._offset
        return twin

    def describe(self) -> dict[str, object]:
        with self._lock:
            frozen, offset = self._frozen, self._offset
        now = frozen or datetime.now(timezone.utc) + offset
        return {"now": now.isoformat(), "frozen": frozen is not None,
                "offsetSeconds": round(offset.total_seconds(), 6) if frozen is None else None}

    def freeze(self, at: datetime | None = None) -> None:
        """Stop time at ``at`` (default: now) until ``resume`` or ``reset``."""
        with self._lock:
            self._frozen = (at or self.now()).astimezone(timezone.utc)

    def set(self, at: datetime) -> None:
        """Jump to ``at``; time keeps running from there unless frozen."""
        with self._lock:
            if self._frozen is not None:
                self._frozen = at.astimezone(timezone.utc)
            else:
                self._offset = at - datetime.now(timezone.utc)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += delta
            else:
                self._offset += delta

    def resume(self) -> None:
        """Let time run again from where it stands."""
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - datetime.now(timezone.utc)
                self._frozen = None

    def reset(self) -> None:
        """Back to real time."""
        with self._lock:
            self._frozen = None
            self._offset = timedelta(0)


def format_time(moment: datetime) -> str:
    """Rebilly's timestamp form: ISO 8601 in UTC to the second, ``2024-04-15T12:00:00+00:00``."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def derived_id(prefix: str, source: str) -> str:
    """A stable id in the ULID alphabet derived from ``source`` (same input, same id)."""
    return f"{prefix}_{ULID.from_bytes(hashlib.sha256(source.encode()).digest()[:16])}"
