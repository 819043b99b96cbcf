"""Hostile receivers for the outbound tests: raw TCP servers on 127.0.0.1 that answer as badly
as a test tells them to (drip, endless bodies, cut heads), each connection in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

Handler = Callable[["HostileReceiver", socket.socket, bytes], None]

#: No hostile connection is served longer than this, whatever its handler does.
MAX_SECONDS = 15.0


class HostileReceiver:
    """Accepts connections and hands each (with the request head read) to ``handler``."""

    def __init__(self, handler: Handler):
        self.handler = handler
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.heads: list[bytes] = []
        self.sent_bytes = 0
        self.cut_after: list[float] = []  # seconds until the client closed on us, per connection
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            head = b""
            try:
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    head += chunk
            except OSError:
                return
            self.heads.append(head)
            started = time.monotonic()
            try:
                self.handler(self, conn, head)
            except OSError:
                self.cut_after.append(time.monotonic() - started)

    def cuts(self, count: int = 1, wait: float = 5.0) -> list[float]:
        """``cut_after`` once it holds ``count`` entries or ``wait`` seconds have passed: the
        handler learns the client has gone only at its next write, after the client returned."""
        deadline = time.monotonic() + wait
        while len(self.cut_after) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.cut_after)

    def write(self, conn: socket.socket, data: bytes) -> None:
        """Send ``data``, counting it; raises OSError once the client has gone."""
        conn.sendall(data)
        self.sent_bytes += len(data)

    def __enter__(self) -> HostileReceiver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(5)


def drip(text: bytes, every: float) -> Handler:
    """A handler sending ``text`` one byte every ``every`` seconds."""
    def handle(receiver: HostileReceiver, conn: socket.socket, head: bytes) -> None:
        deadline = time.monotonic() + MAX_SECONDS
        for index in range(len(text)):
            if time.monotonic() > deadline:
                return
            receiver.write(conn, text[index:index + 1])
            time.sleep(every)
    return handle


def endless(head: bytes, first_only: bool = False) -> Handler:
    """A handler sending ``head`` and then body bytes without end (for ``MAX_SECONDS``); with
    ``first_only``, only on the first connection, the next ones answered 200 at once."""
    def handle(receiver: HostileReceiver, conn: socket.socket, request: bytes) -> None:
        if first_only and len(receiver.heads) > 1:
            receiver.write(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            return
        receiver.write(conn, head)
        deadline = time.monotonic() + MAX_SECONDS
        block = b"x" * 65536
        while time.monotonic() < deadline:
            receiver.write(conn, block)
    return handle


def answer(raw: bytes) -> Handler:
    """A handler sending ``raw`` and closing."""
    def handle(receiver: HostileReceiver, conn: socket.socket, request: bytes) -> None:
        receiver.write(conn, raw)
    return handle
