"""A local HTTP server that takes webhook deliveries, for test suites.

It listens on 127.0.0.1 on a free port from a thread, answers 200 unless told otherwise
(``respond_with``), and keeps every request it got. ``register`` creates a webhook credential and
a webhook pointing at it through the sandbox's API; ``wait_for`` asks the sandbox to deliver what
is due first (``POST /__admin/webhooks/deliver``), so a test needs no sleep.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from .testing import SandboxNamespace

__all__ = ("WebhookReceiver", "ReceivedRequest")


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _take(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        receiver = self.server.receiver
        status, hang, challenge = receiver._answer()
        if hang:
            time.sleep(hang)
        with receiver._lock:
            receiver._requests.append(ReceivedRequest(self.command, self.path,
                                                      dict(self.headers.items()), body))
            receiver._lock.notify_all()
        self.send_response(status)
        if challenge:
            self.send_header("WWW-Authenticate", challenge)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _take

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: WebhookReceiver


class WebhookReceiver:
    """A receiver on ``url``; ``requests`` is everything it got, oldest first."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._requests: list[ReceivedRequest] = []
        #: (status, hang seconds, WWW-Authenticate), used before the default
        self._answers: list[tuple[int, float, str | None]] = []
        self._default: tuple[int, float, str | None] = (200, 0.0, None)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        #: The namespace last registered with, which ``wait_for`` asks to deliver.
        self.sandbox: SandboxNamespace | None = None
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="webhook-receiver")
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhooks"

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)

    def respond_with(self, status: int, times: int | None = None, *,
                     hang_seconds: float = 0.0, challenge: str | None = None) -> None:
        """Answer ``status`` to the next ``times`` deliveries (None: from now on), after
        ``hang_seconds``, with ``challenge`` as ``WWW-Authenticate`` (for Digest)."""
        answer = (status, hang_seconds, challenge)
        with self._lock:
            if times is None:
                self._answers.clear()
                self._default = answer
            else:
                self._answers.extend([answer] * times)

    def _answer(self) -> tuple[int, float, str | None]:
        with self._lock:
            return self._answers.pop(0) if self._answers else self._default

    def register(self, sandbox: SandboxNamespace, events: Sequence[str] = (),
                 auth: dict[str, Any] | None = None, **webhook: Any) -> dict[str, Any]:
        """Create a webhook credential (``auth``: none by default) and a webhook to this
        receiver for ``events`` (empty: every event type); returns the webhook."""
        headers = {**sandbox.headers, "Content-Type": "application/json"}
        credential = requests.post(
            f"{sandbox.url}/service-credentials/webhook", headers=headers, timeout=10,
            json={"type": "webhook", "host": "127.0.0.1", "auth": auth or {"type": "none"}})
        credential.raise_for_status()
        created = requests.post(
            f"{sandbox.url}/webhooks", headers=headers, timeout=10,
            json={"method": "POST", "url": self.url, "credentialHash": credential.json()["id"],
                  "eventsFilter": list(events), **webhook})
        created.raise_for_status()
        self.sandbox = sandbox
        return created.json()

    def wait_for(self, event_type: str, count: int = 1, timeout: float = 10.0,
                 sandbox: SandboxNamespace | None = None) -> list[Any]:
        """The payloads of the first ``count`` deliveries of ``event_type`` received, after
        asking ``sandbox`` (by default the one registered with) to deliver what is due.

        :raises TimeoutError: when fewer arrived within ``timeout`` seconds.
        """
        sandbox = sandbox or self.sandbox
        if sandbox is not None:
            sandbox.client.deliver_webhooks()
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [payload for payload in map(_payload, self._requests)
                         if isinstance(payload, dict) and payload.get("eventType") == event_type]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(found)} of {count} {event_type} deliveries "
                                       f"arrived within {timeout}s")
                self._lock.wait(left)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _payload(received: ReceivedRequest) -> Any:
    try:
        return received.json()
    except ValueError:
        return None
