"""The server-to-server POST to a transaction's ``notificationUrl`` once its offsite step ends.

Rebilly repeats this notification until the merchant answers 2xx and documents no schedule; the
sandbox's own schedule is bounded: an attempt at once, then one after each of ``RETRY_DELAYS``
(1, 4 and 16 seconds of the namespace's sandbox clock, like webhook retries, so a test moves the
clock instead of waiting: four attempts in all; a retry still waiting after ``MAX_WAIT_SECONDS``
of real time, its clock frozen, is given up), each ended at its deadline of ``ATTEMPT_TIMEOUT``
seconds for the whole of it, redirects never followed (a 3xx is not an acknowledgement), no proxy,
at most ``RESPONSE_CAP`` bytes of an answer read, and the same target policy as webhooks
(``--webhook-allow``; ``outbound.TargetPolicy``). Delivery runs beside the request that finished
the step, so the shopper's browser never waits for it: a greenlet in the served sandbox (whose
threads gevent patches), a daemon thread in a process gevent has not patched. At most
``MAX_PENDING`` deliveries run at once, and at most ``MAX_PER_NAMESPACE`` of one namespace, so no
tenant can take every slot; one beyond either bound is dropped and logged.

Each attempt is recorded in the namespace's request journal as an outbound entry: method ``POST``,
``path`` the absolute URL it went to, the status the merchant answered (``None`` when it could
not be reached or did not answer in time), and the body and headers sent.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from .. import outbound
from ..ids import Clock
from ..requestjournal import RequestJournal

__all__ = ("Notifier", "RETRY_DELAYS", "ATTEMPT_TIMEOUT", "MAX_PENDING", "MAX_PER_NAMESPACE",
           "notification_body")

RETRY_DELAYS = (1.0, 4.0, 16.0)
ATTEMPT_TIMEOUT = 5.0
MAX_PENDING = 64
#: Deliveries one namespace may have running at once: its share of ``MAX_PENDING``.
MAX_PER_NAMESPACE = 8
#: The most of a merchant's answer read (its status is all that counts).
RESPONSE_CAP = 16 * 1024
#: Real seconds a retry waits for its namespace's clock to reach it before it is given up.
MAX_WAIT_SECONDS = 600.0
#: Longest real sleep between two looks at a waiting retry's clock (a clock moved through the
#: admin API wakes the retries at once).
POLL_SECONDS = 0.25
USER_AGENT = "rebilly-sandbox-notification"
#: Sandbox-only header: which attempt this is, counting from 1.
ATTEMPT_HEADER = "X-Sandbox-Notification-Attempt"

log = logging.getLogger("sandbox")


def notification_body(transaction: dict[str, Any]) -> bytes:
    """What the POST carries: a hint only (Rebilly's body is not documented; a merchant confirms
    with ``GET /transactions/{id}``)."""
    return json.dumps({"transactionId": transaction["id"], "status": transaction["status"],
                       "result": transaction["result"]}, separators=(",", ":")).encode()


class Notifier:
    """Delivers notifications off the request path and journals every attempt."""

    def __init__(self, journal: RequestJournal, clock_for: Callable[[str], Clock], *,
                 retry_delays: Sequence[float] = RETRY_DELAYS,
                 timeout: float = ATTEMPT_TIMEOUT, max_pending: int = MAX_PENDING,
                 max_per_namespace: int = MAX_PER_NAMESPACE,
                 policy: outbound.TargetPolicy | None = None):
        self.journal = journal
        self.clock_for = clock_for
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.max_pending = max_pending
        self.max_per_namespace = max_per_namespace
        self.policy = policy or outbound.TargetPolicy()
        self.max_wait = MAX_WAIT_SECONDS
        self._pending = 0
        self._by_namespace: dict[str, int] = {}
        self._lock = threading.Lock()
        self._clock_moved = threading.Condition()
        self._closed = False

    @property
    def pending(self) -> int:
        """Deliveries still running (attempting or waiting to retry)."""
        return self._pending

    def notify(self, namespace: str, url: str, body: bytes) -> bool:
        """Start delivering ``body`` to ``url`` for ``namespace``; False when too many run, in
        all or in the namespace."""
        with self._lock:
            mine = self._by_namespace.get(namespace, 0)
            if self._pending >= self.max_pending or mine >= self.max_per_namespace:
                log.warning("notification to %s dropped: %d deliveries already running (%d of "
                            "this namespace)", _shown(url), self._pending, mine)
                return False
            self._pending += 1
            self._by_namespace[namespace] = mine + 1
        threading.Thread(target=self._deliver, args=(namespace, url, body),
                         name="sandbox-notification", daemon=True).start()
        return True

    def wake(self) -> None:
        """A clock was moved: waiting retries look at it again."""
        with self._clock_moved:
            self._clock_moved.notify_all()

    def close(self) -> None:
        """The sandbox stops: retries still waiting for their clock are given up."""
        with self._clock_moved:
            self._closed = True
            self._clock_moved.notify_all()

    def _deliver(self, namespace: str, url: str, body: bytes) -> None:
        try:
            for attempt, delay in enumerate((0.0, *self.retry_delays), start=1):
                if delay and not self._wait(namespace, delay):
                    log.info("notification to %s given up: its namespace's clock did not reach "
                             "attempt %d", _shown(url), attempt)
                    return
                if self._attempt(namespace, url, body, attempt):
                    return
        finally:
            with self._lock:
                self._pending -= 1
                left = self._by_namespace.pop(namespace) - 1
                if left:
                    self._by_namespace[namespace] = left

    def _wait(self, namespace: str, seconds: float) -> bool:
        """Wait until the namespace's clock is ``seconds`` on from now; False when it was not
        within ``max_wait`` real seconds."""
        due = self.clock_for(namespace).now() + timedelta(seconds=seconds)
        give_up = time.monotonic() + self.max_wait
        with self._clock_moved:
            while self.clock_for(namespace).now() < due:
                left = give_up - time.monotonic()
                if left <= 0 or self._closed:
                    return False
                self._clock_moved.wait(min(POLL_SECONDS, left))
        return True

    def _attempt(self, namespace: str, url: str, body: bytes, attempt: int) -> bool:
        """One POST; True when it needs no retry: the merchant acknowledged it with a 2xx, or the
        target policy refused the URL (every retry would be refused too)."""
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   ATTEMPT_HEADER: str(attempt)}
        started = time.perf_counter()
        status: int | None = None
        refused = False
        try:
            status = outbound.send("POST", url, list(headers.items()), body, policy=self.policy,
                                   timeout=self.timeout, cap=RESPONSE_CAP).status
        except outbound.Refused as refusal:
            log.warning("notification to %s not sent: %s", _shown(url), refusal)
            refused = True
        except outbound.NotAnswered as error:
            log.info("notification attempt %d to %s failed: %s", attempt, _shown(url), error)
        parts = urlsplit(url)
        self.journal.record(
            namespace, time=self.clock_for(namespace).now().isoformat(timespec="milliseconds"),
            method="POST", path=f"{parts.scheme}://{parts.netloc}{parts.path}",
            query=parts.query, headers=headers.items(), body=body, status=status,
            duration_ms=(time.perf_counter() - started) * 1000)
        return refused or (status is not None and 200 <= status < 300)


def _shown(url: str) -> str:
    """A URL for the log: scheme, host and path, never its query (it may carry anything)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{parts.path}"
