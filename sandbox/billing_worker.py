"""The billing clock's runner: catches each namespace's orders, invoices and pauses up with its
clock, when a test moves the clock and while time passes.

A clock move (``POST /__admin/clock``) catches its namespace (``run``), or every namespace that
follows the global clock (``run_all``), up before it answers.
Time passing on a running clock is caught up by one background thread, once a second, which
starts with the first write to the API (an app that only reads runs none) or at start-up when a
schedule is waiting, so an advance cut short by a crash goes on after the restart. One
namespace is caught up by one runner at a time: the background thread passes over a namespace a
clock move holds, so the move's answer counts every step it caused.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack

import gevent

from .ids import Clock
from .services.billing_clock import catch_up, namespaces_with_steps
from .services.context import Context
from .store import Store

__all__ = ("BillingClock", "TICK_SECONDS")

#: How often the background thread looks for steps that real time made due.
TICK_SECONDS = 1.0
#: How long a catch-up runs before it lets other requests in, and for how long it then waits:
#: a wait on a timer (not ``sleep(0)``, which resumes before any socket is looked at) lets the
#: loop poll its sockets and run every request that is ready.
_SLICE_SECONDS = 0.005
_YIELD_SECONDS = 0.0005

log = logging.getLogger("sandbox")


class BillingClock:
    """Runs ``services.billing_clock.catch_up`` for namespaces, one runner per namespace."""

    def __init__(self, store: Store, context_for: Callable[[str], Context],
                 clock_for: Callable[[str], Clock]):
        self.store = store
        self.context_for = context_for
        self.clock_for = clock_for
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _lock(self, namespace: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(namespace, threading.Lock())

    def run(self, namespace: str, first: Callable[[], None] | None = None) -> dict[str, int]:
        """Catch ``namespace`` up with its clock now, waiting for any runner before; what the
        steps made. ``first`` (a clock move) runs before, under the same lock, so no other
        runner takes the steps it makes due."""
        with self._lock(namespace):
            if first is not None:
                first()
            return catch_up(self.context_for(namespace), self.clock_for(namespace).now(),
                            _pause_now_and_then())

    def run_all(self, namespaces: list[str], first: Callable[[], None]) -> dict[str, int]:
        """``first`` (a move of the clock ``namespaces`` follow), then catch each of them up;
        the steps' sums. Every one of them is held from before the move, so no other runner
        takes a step the move made due."""
        locks = [self._lock(namespace) for namespace in sorted(set(namespaces))]
        with ExitStack() as held:
            for lock in locks:
                held.enter_context(lock)
            first()
            total: dict[str, int] = {}
            for namespace in sorted(set(namespaces)):
                made = catch_up(self.context_for(namespace), self.clock_for(namespace).now(),
                                _pause_now_and_then())
                for name, count in made.items():
                    total[name] = total.get(name, 0) + count
            return total

    def ensure_started(self) -> None:
        """Start the background thread unless it runs (or the runner is closed)."""
        if self._thread is not None or self._stop.is_set():
            return
        with self._guard:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, daemon=True,
                                                name="sandbox-billing-clock")
                self._thread.start()

    def close(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                for namespace in namespaces_with_steps(self.store):
                    lock = self._lock(namespace)
                    if not lock.acquire(blocking=False):
                        continue  # a clock move is catching it up
                    try:
                        catch_up(self.context_for(namespace),
                                 self.clock_for(namespace).now(), _pause_now_and_then())
                    finally:
                        lock.release()
                    if self._stop.is_set():
                        return
            except Exception:  # noqa: BLE001  (the thread must outlive one bad pass)
                log.exception("the billing clock's pass failed; it goes on at the next")


def _pause_now_and_then() -> Callable[[], None]:
    """A pause that lets other requests in once every ``_SLICE_SECONDS`` of work."""
    last = [time.monotonic()]

    def pause() -> None:
        now = time.monotonic()
        if now - last[0] >= _SLICE_SECONDS:
            gevent.sleep(_YIELD_SECONDS)  # a timer, so the loop polls its sockets first
            last[0] = time.monotonic()
    return pause


