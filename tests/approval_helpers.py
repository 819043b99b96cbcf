"""What the approval page tests share: a waiting transaction, its approval URL, and a merchant's
site, a real local HTTP server in a thread.

The merchant's site records every request it receives, answers each POST with the next status
the test queued (200 once the queue is empty), may hold a POST until the test lets it go, and
answers every GET with a small "back at the shop" page, where a shopper is redirected to.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from helpers import TRIGGER, WEBSITE, card, new_customer  # noqa: F401  (shared with the page tests)


def approval_url(transaction: dict[str, Any]) -> str:
    [href] = [link["href"] for link in transaction["_links"] if link["rel"] == "approvalUrl"]
    return href


def wait_idle(notifier: Any, timeout: float = 60) -> None:
    """Until no notification delivery runs; generous deadline, no timing asserted."""
    deadline = time.monotonic() + timeout
    while notifier.pending and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not notifier.pending, "notification deliveries still running"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Merchant:
    """What the server received, and what it answers next."""

    received: list[Received] = field(default_factory=list)
    statuses: queue.Queue = field(default_factory=queue.Queue)
    #: When set by the test, a POST is held until ``release`` is set (at most 30 seconds).
    hold: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    def posts(self) -> list[Received]:
        return [request for request in self.received if request.method == "POST"]

    def wait_for_posts(self, count: int, timeout: float = 60) -> list[Received]:
        """The first ``count`` POSTs; generous deadline, no timing asserted."""
        deadline = time.monotonic() + timeout
        while len(self.posts()) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        posts = self.posts()
        assert len(posts) >= count, f"expected {count} POSTs, got {posts}"
        return posts[:count]

    def start(self) -> Merchant:
        merchant = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                merchant.received.append(Received(self.command, self.path, dict(self.headers),
                                                  self.rfile.read(length)))

            def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
                self._record()
                if merchant.hold:
                    merchant.release.wait(30)
                status = merchant.statuses.get_nowait() if not merchant.statuses.empty() else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/redirected-elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:  # noqa: N802
                self._record()
                body = b"<!doctype html><title>Back at the shop</title><p id=shop>Thanks</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
