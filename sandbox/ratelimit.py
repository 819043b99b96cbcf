"""Rebilly's sandbox rate limit: so many non-GET requests per window, counted per namespace."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

from .errors import TooManyRequests

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

    def __init__(self, limit: int, window_seconds: int, now: Callable[[str], float]):
        self.limit = limit
        self.window = window_seconds
        self._now = now
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, namespace: str) -> Allowance | None:
        """Count one request; return its allowance.

        :raises TooManyRequests: with ``X-RateLimit-Retry-After`` once the window is used up.
        """
        if self.limit <= 0:
            return None
        now = self._now(namespace)
        with self._lock:
            started, used = self._windows.get(namespace, (now, 0))
            if now - started >= self.window:
                started, used = now, 0
            if used >= self.limit:
                retry_after = int(started + self.window) + 1
                raise TooManyRequests(
                    f"A request cannot be executed because more than {self.limit} requests were "
                    f"sent within {self.window} seconds.",
                    headers={"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": "0",
                             "X-RateLimit-Retry-After": str(retry_after)})
            self._windows[namespace] = (started, used + 1)
        return Allowance(self.limit, self.limit - used - 1)

    def reset(self, namespace: str | None = None) -> None:
        with self._lock:
            if namespace is None:
                self._windows.clear()
            else:
                self._windows.pop(namespace, None)
