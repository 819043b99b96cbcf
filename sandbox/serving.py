"""Serve the app with gevent's WSGI server: one process, one thread, a greenlet per connection.

Chosen by measurement (README, "Serving"): on two cores it answered the full create faster than
waitress or gunicorn's threaded worker, because no threads fight over the GIL; a delayed or
hanging request costs a sleeping greenlet, not a worker thread, so it never holds up others; and
the handler owns the connection's socket, which the failure injection needs to reset a
connection, close it without an answer or cut a body short.

``rebilly-sandbox serve`` installs gevent's cooperative versions of sockets, locks and sleep
(``monkey.patch_all``) before the app is imported.
"""

from __future__ import annotations

import logging
import signal
import socket
import struct
import threading
import time
from typing import Any, Callable, Iterable

import gevent
import gevent.socket
from gevent.pool import Pool
from gevent.pywsgi import WSGIHandler, WSGIServer

__all__ = ("Server", "NETWORK_FAULT_KEY")

log = logging.getLogger("sandbox")

#: WSGI environ key where the app asks for a network fault: ``(kind, hang_seconds)``.
NETWORK_FAULT_KEY = "sandbox.network_fault"


class SandboxHandler(WSGIHandler):
    """gevent's handler, plus: no Nagle delay, and network faults on the connection it owns.

    When the app marks a request with ``NETWORK_FAULT_KEY``, its answer is not sent as is:

    - ``reset``: the connection is closed with SO_LINGER 0, so the client gets a TCP RST;
    - ``close``: the connection is closed without a byte of answer;
    - ``truncate``: the status line and headers go out with the full Content-Length, then half
      the body, then the connection closes;
    - ``hang``: nothing is sent for the given seconds, then the connection closes.
    """

    def handle(self) -> None:
        try:
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # not a TCP socket
            pass
        # A connection that sends nothing for this long is closed, so idle or stalled clients
        # cannot keep connection slots forever.
        self.socket.settimeout(self.server.idle_timeout)
        super().handle()

    def handle_one_response(self) -> None:
        """Count requests in flight, and end keep-alive connections once the server stops."""
        self.server.in_flight += 1
        try:
            super().handle_one_response()
        finally:
            self.server.in_flight -= 1
            if self.server.closed:
                self.close_connection = True

    def run_application(self) -> None:
        fault = None
        try:
            self.result = self.application(self.environ, self.start_response)
            fault = self.environ.get(NETWORK_FAULT_KEY)
            if fault is None:
                self.process_result()
            else:
                self._network_fault(*fault, body=b"".join(self.result))
        finally:
            close = getattr(self.result, "close", None)
            self.result = None
            if close is not None:
                close()

    def _network_fault(self, kind: str, hang_seconds: float, body: bytes) -> None:
        self.close_connection = True
        if kind == "reset":
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif kind == "truncate":
            self.write(body[: len(body) // 2])
        elif kind == "hang":
            gevent.sleep(hang_seconds)


def _address_family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _fair(app: Callable) -> Callable:
    """Yield to other connections after each answer.

    A keep-alive client whose next request is already buffered would otherwise be served again
    and again before any other connection gets a turn.
    """

    def application(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        try:
            return app(environ, start_response)
        finally:
            gevent.sleep(0)

    return application


class Server:
    """A bound, not yet running server: the port is known before ``run`` is called."""

    #: Seconds in-flight requests get to finish after ``stop``; then they are cut off.
    STOP_TIMEOUT = 5.0

    def __init__(self, app: Callable, host: str, port: int, max_connections: int,
                 idle_timeout: float = 75.0):
        self.app = app
        self.host = host
        self._max_connections = max_connections
        self._idle_timeout = idle_timeout
        # Bound here, so the port is known (port 0 picks one) and early clients wait in the
        # backlog; the gevent server is made in ``run``, in the thread whose hub serves it.
        self._listener = socket.create_server((host, port), backlog=1024,
                                              family=_address_family(host))
        self.port = self._listener.getsockname()[1]
        self._server: WSGIServer | None = None
        self._running = threading.Event()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def run(self) -> None:
        """Serve until ``stop`` (which lets in-flight requests finish)."""
        listener = gevent.socket.socket(fileno=self._listener.detach())  # on this thread's hub
        self._server = WSGIServer(listener, _fair(self.app),
                                  spawn=Pool(self._max_connections),
                                  handler_class=SandboxHandler, log=None,
                                  error_log=logging.getLogger("sandbox.server"))
        self._server.idle_timeout = self._idle_timeout
        self._server.in_flight = 0
        # serve_forever stops the server itself once stopped, with this grace period.
        self._server.stop_timeout = self.STOP_TIMEOUT
        self._server.start()
        self._running.set()
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop accepting; ``run`` returns once in-flight requests have finished (at most
        ``STOP_TIMEOUT`` seconds), dropping idle keep-alive connections."""
        if self._server is not None:
            self._server.close()
            gevent.spawn(self._drain, self._server)

    def _drain(self, server: WSGIServer) -> None:
        deadline = time.monotonic() + self.STOP_TIMEOUT
        while server.in_flight and time.monotonic() < deadline:
            gevent.sleep(0.01)
        server.pool.kill(block=False)  # what is left waits for a next request that won't come

    def start_in_thread(self) -> Callable[[], None]:
        """Serve from a daemon thread with a hub of its own; return a function that stops it.

        For test processes, which cannot be monkey-patched: requests still run as greenlets of
        that one thread, so injected delays and hangs (``gevent.sleep``) hold nothing up.
        """
        hubs: list[Any] = []

        def serve() -> None:
            hubs.append(gevent.get_hub())
            self.run()

        thread = threading.Thread(target=serve, name="sandbox-server", daemon=True)
        thread.start()
        self._running.wait(10)

        def stop() -> None:
            hubs[0].loop.run_callback_threadsafe(self.stop)
            thread.join(timeout=10)

        return stop

    def stop_on_signals(self) -> None:
        """SIGTERM and SIGINT stop the server gracefully (the main thread must be serving)."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            gevent.signal_handler(signum, self._stop_for_signal, signum)

    def _stop_for_signal(self, signum: int) -> None:
        log.info("received %s, finishing in-flight requests", signal.Signals(signum).name)
        self.stop()
