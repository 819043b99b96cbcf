"""The server-to-server POST to a transaction's ``notificationUrl`` once its offsite step ends.

Rebilly repeats this notification until the merchant answers 2xx and documents no schedule; the
sandbox's own schedule is bounded: an attempt at once, then one after each of ``RETRY_DELAYS``
(1, 4 and 16 seconds: four attempts in all), each given ``ATTEMPT_TIMEOUT`` seconds, redirects
never followed (a 3xx is not an acknowledgement), no proxy. Delivery runs beside the request that
finished the step, so the shopper's browser never waits for it: a greenlet in the served sandbox
(whose threads gevent patches), a daemon thread in a process gevent has not patched. At most
``MAX_PENDING`` deliveries run at once; one beyond that is dropped and logged.

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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..ids import Clock
from ..requestjournal import RequestJournal

if TYPE_CHECKING:
    import requests

__all__ = ("Notifier", "RETRY_DELAYS", "ATTEMPT_TIMEOUT", "MAX_PENDING", "notification_body")

RETRY_DELAYS = (1.0, 4.0, 16.0)
ATTEMPT_TIMEOUT = 5.0
MAX_PENDING = 64
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
                 timeout: float = ATTEMPT_TIMEOUT, max_pending: int = MAX_PENDING):
        self.journal = journal
        self.clock_for = clock_for
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.max_pending = max_pending
        self._pending = 0
        self._lock = threading.Lock()

    @property
    def pending(self) -> int:
        """Deliveries still running (attempting or waiting to retry)."""
        return self._pending

    def notify(self, namespace: str, url: str, body: bytes) -> bool:
        """Start delivering ``body`` to ``url`` for ``namespace``; False when too many run."""
        with self._lock:
            if self._pending >= self.max_pending:
                log.warning("notification to %s dropped: %d deliveries already running",
                            url, self._pending)
                return False
            self._pending += 1
        threading.Thread(target=self._deliver, args=(namespace, url, body),
                         name="sandbox-notification", daemon=True).start()
        return True

    def _deliver(self, namespace: str, url: str, body: bytes) -> None:
        import requests  # on the first notification: at start-up it would cost a tenth of a second

        try:
            with requests.Session() as session:
                session.trust_env = False
                for attempt, delay in enumerate((0.0, *self.retry_delays), start=1):
                    if delay:
                        time.sleep(delay)
                    if self._attempt(session, namespace, url, body, attempt):
                        return
        finally:
            with self._lock:
                self._pending -= 1

    def _attempt(self, session: requests.Session, namespace: str, url: str, body: bytes,
                 attempt: int) -> bool:
        """One POST; True when the merchant acknowledged it with a 2xx."""
        import requests

        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   ATTEMPT_HEADER: str(attempt)}
        started = time.perf_counter()
        status: int | None = None
        try:
            with session.post(url, data=body, headers=headers, timeout=self.timeout,
                              allow_redirects=False, stream=True) as answer:
                status = answer.status_code
        except (requests.RequestException, ValueError) as error:
            log.info("notification attempt %d to %s failed: %s", attempt, url, error)
        parts = urlsplit(url)
        self.journal.record(
            namespace, time=self.clock_for(namespace).now().isoformat(timespec="milliseconds"),
            method="POST", path=f"{parts.scheme}://{parts.netloc}{parts.path}",
            query=parts.query, headers=headers.items(), body=body, status=status,
            duration_ms=(time.perf_counter() - started) * 1000)
        return status is not None and 200 <= status < 300
