"""Rebilly's sandbox rate limit: so many non-GET requests per window, counted per namespace."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

from .problems import TooManyRequests

__all__ = ("RateLimiter", "Allowance")


@dataclass(frozen=True)
class Allowance:
    """What the ``X-RateLimit-*`` headers of one counted request report."""

    limit: int
    remaining: int

    def headers(self) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining)}


class RateLimiter:
    """Fixed windows per namespace, on the namespace's clock; ``limit`` 0 refuses nothing."""

    #: Past this many namespaces (and then each time their number doubles), ended windows are
    #: forgotten, so memory is bounded by the namespaces active within one window.
    SWEEP_ABOVE = 10_000

    def __init__(self, limit: int, window_seconds: int, now: Callable[[str], float]):
        self.limit = limit
        self.window = window_seconds
        self._now = now
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}
        self._sweep_at = self.SWEEP_ABOVE

    def hit(self, namespace: str) -> Allowance | None:
        """Count one request; return its allowance.

        :raises TooManyRequests: with ``X-RateLimit-Retry-After`` (Unix time) and ``Retry-After``
            (seconds) once the window is used up.
        """
        if self.limit <= 0:
            return None
        now = self._now(namespace)
        with self._lock:
            started, used = self._windows.get(namespace, (now, 0))
            if now - started >= self.window:
                started, used = now, 0
            if used >= self.limit:
                raise self._refusal(started + self.window, now)
            self._windows[namespace] = (started, used + 1)
            if len(self._windows) > self._sweep_at:
                self._sweep(now)
        return Allowance(self.limit, self.limit - used - 1)

    def _refusal(self, window_end: float, now: float) -> TooManyRequests:
        """The 429 of a used-up window that ends at ``window_end``, when the oldest counted
        request leaves it and the count starts afresh.

        ``Retry-After`` (RFC 9110's seconds, which clients' retry helpers read) is the time left
        rounded up, so a retry after it is taken: 1 to the window's length, never more.
        ``X-RateLimit-Retry-After`` (Rebilly's, Unix time) is the same moment.
        """
        wait = min(self.window, max(1, math.ceil(window_end - now)))
        return TooManyRequests(
            f"A request cannot be executed because more than {self.limit} requests were "
            f"sent within {self.window} seconds.",
            headers={"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": "0",
                     "X-RateLimit-Retry-After": str(math.ceil(window_end)),
                     "Retry-After": str(wait)})

    def _sweep(self, now: float) -> None:
        """Forget namespaces whose window has ended: they would start afresh anyway."""
        self._windows = {namespace: window for namespace, window in self._windows.items()
                         if now - window[0] < self.window}
        self._sweep_at = max(self.SWEEP_ABOVE, 2 * len(self._windows))

    def reset(self, namespace: str | None = None) -> None:
        with self._lock:
            if namespace is None:
                self._windows.clear()
            else:
                self._windows.pop(namespace, None)
