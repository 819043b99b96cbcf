"""Which connections the server holds, what each is doing, and which one to give up first.

A connection is *idle* (waiting for a request's first byte), reading a request's *head* or
*body*, or *busy* (the app runs or the answer is being sent). Idle and head-reading connections
have cost the server nothing yet, so when the server is full, or one address holds its whole
share, the one waiting longest in those states is closed to make room: a few clients that
connect and stop (or drip a byte at a time) cannot keep a legitimate request out.

The request bodies being read share one budget of bytes (``BodyBudget``), so many connections
each sending a large body slowly cannot grow the process past it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Hashable

__all__ = ("BodyBudget", "ConnectionTable", "IDLE", "HEAD", "BODY", "BUSY")

IDLE, HEAD, BODY, BUSY = "idle", "head", "body", "busy"
_EVICTABLE = (IDLE, HEAD)


def default_share(max_connections: int) -> int:
    """Connections one address may hold when no share is set: half the server, at least 64.

    A CI runner's parallel workers all connect from one address, so the share must leave room
    for a normal suite; it only has to stop one address from taking every slot.
    """
    return max(64, max_connections // 2)


class ConnectionTable:
    """The server's open connections, in the order they arrived, and their states."""

    def __init__(self, max_connections: int, per_address: int | None = None):
        self.max_connections = max_connections
        self.per_address = per_address or default_share(max_connections)
        self._states: dict[Hashable, tuple[str, float, str]] = {}  # key -> (state, since, address)
        self._by_address: Counter[str] = Counter()
        self._leaving: set[Hashable] = set()

    def __len__(self) -> int:
        return len(self._states)

    def add(self, key: Hashable, address: str) -> None:
        self._states[key] = (IDLE, time.monotonic(), address)
        self._by_address[address] += 1

    def remove(self, key: Hashable) -> None:
        entry = self._states.pop(key, None)
        self._leaving.discard(key)
        if entry is not None:
            address = entry[2]
            self._by_address[address] -= 1
            if self._by_address[address] <= 0:
                del self._by_address[address]

    def set_state(self, key: Hashable, state: str) -> None:
        entry = self._states.get(key)
        if entry is not None and entry[0] != state:
            self._states[key] = (state, time.monotonic(), entry[2])

    def over_share(self, address: str) -> bool:
        return self._by_address[address] > self.per_address

    def count(self, address: str) -> int:
        return self._by_address[address]

    def pick_to_close(self, address: str | None = None, *, spare: Hashable = None) -> Hashable:
        """The connection idle or reading its head for longest (of ``address`` if given), marked
        as leaving so it is not picked twice; ``None`` when every connection is busy."""
        candidates = [
            (since, key) for key, (state, since, owner) in self._states.items()
            if state in _EVICTABLE and key is not spare and key not in self._leaving
            and (address is None or owner == address)
        ]
        if not candidates:
            return None
        _, key = min(candidates, key=lambda candidate: candidate[0])
        self._leaving.add(key)
        return key

    def keep(self, key: Hashable) -> None:
        """A connection picked to close got busy first: it stays, and may be picked again."""
        self._leaving.discard(key)

    @property
    def leaving(self) -> int:
        """Connections picked to close that have not closed yet."""
        return len(self._leaving)


class BodyBudget:
    """The request-body bytes all connections hold at once, never more than ``limit``.

    Only the server's one thread reserves and releases (greenlets switch only while waiting),
    so no lock is needed.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.held = 0

    def reserve(self, size: int) -> bool:
        """Take ``size`` bytes; False, taking nothing, when they do not fit beside the others."""
        if size > self.limit - self.held:
            return False
        self.held += size
        return True

    def release(self, size: int) -> None:
        self.held -= size
