"""Serve the app with gevent's WSGI server: one process, one thread, a greenlet per connection.

Chosen by measurement (README, "Serving"): on two cores it answered the full create faster than
waitress or gunicorn's threaded worker, because no threads fight over the GIL; a delayed or
hanging request costs a sleeping greenlet, not a worker thread, so it never holds up others; and
the handler owns the connection's socket, which the failure injection needs to reset a
connection, close it without an answer or cut a body short.

``rebilly-sandbox serve`` installs gevent's cooperative versions of sockets, locks and sleep
(``monkey.patch_all``) before the app is imported.

Slow clients are bounded: a request's head must arrive within ``head_timeout`` of its first
byte and its body within ``body_timeout`` (however slowly it drips), the server reads the whole
body (at most ``max_body_bytes``) before the app runs, the bodies all connections hold at once
stay within ``max_body_bytes_in_flight``, one address holds at most its share of the
connections, and a full server closes its longest-waiting idle or head-reading connection to
let a new one in (``rebilly_sandbox.connections``).
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import signal
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import gevent
import gevent.socket
from gevent.pool import Pool
from gevent.pywsgi import WSGIHandler, WSGIServer

from .connections import BODY, BUSY, HEAD, IDLE, BodyBudget, ConnectionTable

__all__ = ("Server", "NETWORK_FAULT_KEY")

log = logging.getLogger("sandbox")

#: WSGI environ key where the app asks for a network fault: ``(kind, hang_seconds)``.
NETWORK_FAULT_KEY = "sandbox.network_fault"

#: A chunked body is read, and taken from the budget of bodies in flight, this much at a time.
_CHUNKED_PIECE_BYTES = 64 * 1024
#: Seconds a refused connection reads and drops what its client still sends before closing.
_LINGER_SECONDS = 0.5
#: The most of a refused (413) body read and dropped so its sender sees the answer: 16 MiB and
#: 5 s, whichever comes first; the connection is closed after.
_DRAIN_BYTES = 16 * 1024 * 1024
_DRAIN_SECONDS = 5.0


class _Deadline(TimeoutError):
    """The client took longer than its deadline to send a request's head or body."""


class _ClosedForRoom(ConnectionError):
    """The connection was idle or still sending its head when another needed its slot."""


class _HeadRejected(ValueError):
    """A request head the server refuses, with the problem answer it gets."""

    def __init__(self, status: int, title: str, detail: str):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


class _HeadLines:
    """Passes a request's header lines through, noting whether the head ended with its blank
    line (a client that closes part-way must not have a partial request run)."""

    def __init__(self, stream: Any):
        self._stream = stream
        self.complete = False

    def readline(self, limit: int = -1) -> bytes:
        line = self._stream.readline(limit)
        self.complete = line in (b"\r\n", b"\n")
        return line


class _BufferedBody(io.BytesIO):
    """A request body the server has already read in full: nothing is left to skip."""

    def _discard(self) -> None:
        pass


def _problem_bytes(status: int, title: str, detail: str, instance: str = "",
                   headers: dict[str, str] | None = None) -> bytes:
    """A whole HTTP answer with a problem-JSON body, for errors found before the app runs."""
    body = json.dumps({"type": "about:blank", "title": title, "status": status,
                       "detail": detail, "instance": instance}).encode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    head = (f"HTTP/1.1 {status} {title}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n")
    return head.encode("latin-1") + body


def _linger(sock: Any, seconds: float = _LINGER_SECONDS, max_bytes: int | None = None) -> None:
    """Stop sending, then read and drop what the client still sends, for ``seconds`` and at most
    ``max_bytes``: closing with unread bytes would reset the connection before the client has
    read its answer."""
    stop_at = time.monotonic() + seconds
    sock.shutdown(socket.SHUT_WR)
    dropped = 0
    while (left := stop_at - time.monotonic()) > 0:
        if max_bytes is not None and dropped >= max_bytes:
            return
        sock.settimeout(left)
        piece = sock.recv(65536)
        if not piece:
            return
        dropped += len(piece)


class SandboxHandler(WSGIHandler):
    """gevent's handler, plus: no Nagle delay, deadlines for slow clients, problem answers for
    unusable heads, and network faults on the connection it owns.

    When the app marks a request with ``NETWORK_FAULT_KEY``, its answer is not sent as is:

    - ``reset``: the connection is closed with SO_LINGER 0, so the client gets a TCP RST;
    - ``close``: the connection is closed without a byte of answer;
    - ``truncate``: the status line and headers go out with the full Content-Length, then half
      the body, then the connection closes;
    - ``hang``: nothing is sent for the given seconds, then the connection closes.
    """

    _deadline: gevent.Timeout | None = None
    _state = IDLE
    #: Body bytes of the current request taken from the server's budget.
    _reserved = 0
    #: The current request's body was refused (413) with bytes of it still on the wire.
    _body_left_unread = False

    def handle(self) -> None:
        table: ConnectionTable = self.server.connections
        address = self._client_host
        self._greenlet = gevent.getcurrent()
        table.add(self, address)
        try:
            if table.over_share(address) and not self._make_room(table, address):
                return
            try:
                self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # not a TCP socket
                pass
            # A connection that sends nothing for this long is closed, so idle or stalled
            # clients cannot keep connection slots forever.
            self.socket.settimeout(self.server.idle_timeout)
            super().handle()
        except OSError:  # the client went away while an error answer was being sent
            pass
        finally:
            self._cancel_deadline()
            table.remove(self)

    @property
    def _client_host(self) -> str:
        address = self.client_address
        return str(address[0] if isinstance(address, tuple) else address)

    def _make_room(self, table: ConnectionTable, address: str) -> bool:
        """Close this address's longest-waiting idle connection; refuse this one if all its
        connections are busy."""
        victim = table.pick_to_close(address, spare=self)
        if victim is not None:
            victim.close_for_room()
            return True
        log.warning("refused a connection from %s: it already holds %d connections",
                    address, table.count(address) - 1)
        try:
            self.socket.sendall(_problem_bytes(
                503, "Service Unavailable",
                f"This address already holds {table.per_address} busy connections; retry "
                f"when one has finished."))
            # Read what the client already sent, so closing does not reset the connection
            # before the client has read the answer.
            self.socket.shutdown(socket.SHUT_WR)
            self.socket.settimeout(0.5)
            self.socket.recv(65536)
        except OSError:
            pass
        return False

    def close_for_room(self) -> None:
        """Close this connection soon, if it is still idle or reading its head by then."""
        gevent.get_hub().loop.run_callback(self._close_if_waiting)

    def _close_if_waiting(self) -> None:
        greenlet = getattr(self, "_greenlet", None)
        if self._state in (IDLE, HEAD) and greenlet is not None and not greenlet.dead:
            greenlet.throw(_ClosedForRoom())
        else:
            self.server.connections.keep(self)
            self.server.make_room()

    def _set_state(self, state: str) -> None:
        self._state = state
        self.server.connections.set_state(self, state)
        if state in (IDLE, HEAD):
            self.server.make_room()

    def _start_deadline(self, seconds: float, what: str) -> None:
        self._cancel_deadline()
        self._deadline = gevent.Timeout.start_new(
            seconds, _Deadline(f"The request {what} did not arrive within {seconds:g} seconds."))

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.close()
            self._deadline = None

    def handle_one_request(self):  # type: ignore[no-untyped-def]
        try:
            return super().handle_one_request()
        finally:
            self._cancel_deadline()

    def read_requestline(self) -> str:
        """Wait (up to the idle timeout) for a first byte, then give the head its deadline."""
        self._set_state(IDLE)
        if not self.rfile.peek(1):
            return ""
        self._set_state(HEAD)
        self._start_deadline(self.server.head_timeout, "line and headers")
        return super().read_requestline()

    def MessageClass(self, stream: Any, *args: Any) -> Any:  # noqa: N802 (gevent's name)
        """Parse the header lines; refuse too many or too long ones, and a cut-off head."""
        lines = _HeadLines(stream)
        try:
            headers = super().MessageClass(lines, *args)
        except http.client.HTTPException as exc:  # more than 100 header lines
            raise _HeadRejected(431, "Request Header Fields Too Large",
                                f"The request has too many header lines ({exc}).") from None
        if headers.status:  # gevent's mark for a header line over 64 KiB
            raise _HeadRejected(431, "Request Header Fields Too Large",
                                "A request header line is longer than 64 KiB.")
        if not lines.complete:
            raise _HeadRejected(400, "Bad Request",
                                "The request head ended before its closing blank line.")
        return headers

    def read_request(self, raw_requestline: str) -> bool:
        try:
            parsed = super().read_request(raw_requestline)
        finally:
            self._cancel_deadline()
        lengths = {value.strip() for value in self.headers.get_all("Content-Length") or ()}
        if len(lengths) > 1:
            raise _HeadRejected(400, "Bad Request",
                                "The request has Content-Length headers that disagree.")
        return parsed

    def _handle_client_error(self, ex: Exception):  # type: ignore[no-untyped-def]
        """Answer an unusable request with a problem document and close; log one line."""
        self.close_connection = True
        if isinstance(ex, _ClosedForRoom):
            return None
        if isinstance(ex, _Deadline):
            status, title, detail = 408, "Request Timeout", str(ex)
        elif isinstance(ex, _HeadRejected):
            status, title, detail = ex.status, ex.title, ex.detail
        else:
            status, title, detail = 400, "Bad Request", "The request is not valid HTTP/1.1."
        # Escaped, so that CR/LF sent by the client cannot forge log lines.
        log.info("refused a request from %s: %s %s (%s)", self._client_host, status, title,
                 str(ex)[:200].encode("unicode_escape").decode("ascii"))
        path = getattr(self, "path", "") or ""
        return (str(status), _problem_bytes(status, title, detail, path.split("?")[0][:200]))

    def handle_one_response(self) -> None:
        """Read the body, count requests in flight, and end keep-alive connections once the
        server stops."""
        self.server.in_flight += 1
        try:
            if self._read_body():
                self._set_state(BUSY)
                super().handle_one_response()
                if self._body_left_unread:
                    self._drain_refused_body()
        finally:
            self._release_body()
            self.server.in_flight -= 1
            if self.server.closed:
                self.close_connection = True

    def _read_body(self) -> bool:
        """Read the whole body before the app runs, within ``body_timeout``, at most
        ``max_body_bytes`` and within the budget of bodies in flight; the app then sees it as a
        plain Content-Length body.

        A body over the limit is not read: the app answers 413 from its length, and the
        connection closes. A body the budget has no room for is a 503, answered here. False
        when the answer has already been sent here.
        """
        stream = self.wsgi_input
        chunked = bool(getattr(stream, "chunked_input", False))
        length = self.content_length or 0
        if not chunked and not length:
            return True
        limit = self.server.max_body_bytes
        self._set_state(BODY)
        data: bytes | None = b""
        if chunked or length <= limit:
            data = self._body_or_refusal(stream, chunked, length, limit)
            if data is None:
                return False
        self._body_left_unread = False
        if len(data) > limit or length > limit:
            self.close_connection = True
            self._body_left_unread = True
            self._give_back(self._reserved)  # the app answers 413 without the body
            length, data = max(length, len(data)), b""
        else:
            length = len(data)
        self.environ.pop("HTTP_TRANSFER_ENCODING", None)
        self.environ["CONTENT_LENGTH"] = str(length)
        self.environ["wsgi.input"] = self.wsgi_input = _BufferedBody(data)
        return True

    def _body_or_refusal(self, stream: Any, chunked: bool, length: int,
                         limit: int) -> bytes | None:
        """The body as sent; None once a problem (408, 400 or 503) has been answered instead."""
        try:
            data = self._read_within_budget(stream, chunked, length, limit)
        except _Deadline as exc:
            self._refuse(408, "Request Timeout", str(exc))
            return None
        except (ValueError, OSError):
            self._refuse(400, "Bad Request",
                         "The request body is not valid chunked encoding, or ended early.")
            return None
        if data is None:
            self._refuse_over_budget()
            return None
        if not chunked and len(data) < length:
            self._refuse(400, "Bad Request", "The request body ended before its Content-Length.")
            return None
        return data

    def _read_within_budget(self, stream: Any, chunked: bool, length: int,
                            limit: int) -> bytes | None:
        """The body, read within ``body_timeout``; None when the budget has no room for it.

        A declared length is taken from the budget whole before a byte is read (a buffered
        read of it sets that much memory aside at once); a chunked body as it grows.
        """
        if not chunked and not self._reserve(length):
            return None
        self._start_deadline(self.server.body_timeout, "body")
        try:
            return self._read_chunked(stream, limit) if chunked else stream.read(length)
        finally:
            self._cancel_deadline()

    def _read_chunked(self, stream: Any, limit: int) -> bytes | None:
        """A chunked body, up to ``limit`` + 1 bytes, read a piece at a time, each piece taken
        from the budget before it is read; None when the budget has no room for the next."""
        pieces: list[bytes] = []
        size = 0
        while size <= limit:
            wanted = min(_CHUNKED_PIECE_BYTES, limit + 1 - size)
            if not self._reserve(wanted):
                return None
            piece = stream.read(wanted)
            self._give_back(wanted - len(piece))
            pieces.append(piece)
            size += len(piece)
            if len(piece) < wanted:  # the body ended
                break
        return b"".join(pieces)

    def _drain_refused_body(self) -> None:
        """After a 413, read and drop the rest of the body (at most ``_DRAIN_BYTES``, for at
        most ``_DRAIN_SECONDS``) before closing: a client that sends its whole body before it
        reads (Python's urllib and requests, most SDKs) then sees the 413, not a reset. Beyond
        the bound the connection closes as before."""
        self._body_left_unread = False
        try:
            _linger(self.socket, _DRAIN_SECONDS, _DRAIN_BYTES)
        except OSError:
            pass

    def _reserve(self, size: int) -> bool:
        """Take ``size`` body bytes from the server's budget for this request, if they fit."""
        if not self.server.body_budget.reserve(size):
            return False
        self._reserved += size
        return True

    def _give_back(self, size: int) -> None:
        self.server.body_budget.release(size)
        self._reserved -= size

    def _release_body(self) -> None:
        """Give the request's body bytes back to the budget, and drop what still holds them, so a
        keep-alive connection waiting for its next request holds none."""
        self._give_back(self._reserved)
        self.environ = {}
        self.wsgi_input = None

    def _refuse_over_budget(self) -> None:
        """Answer 503 with Retry-After, the rest of the body unread, and close."""
        self._give_back(self._reserved)
        budget = self.server.body_budget
        log.info("refused a request body from %s: %d of %d body bytes already in flight",
                 self._client_host, budget.held, budget.limit)
        self.close_connection = True
        self.status = "503"
        detail = (f"The request bodies being read fill the budget of {budget.limit} bytes "
                  f"(--max-body-bytes-in-flight); retry in a moment.")
        try:
            self.socket.sendall(_problem_bytes(503, "Service Unavailable", detail,
                                               self.environ["PATH_INFO"], {"Retry-After": "1"}))
            _linger(self.socket)
        except OSError:
            pass

    def _refuse(self, status: int, title: str, detail: str) -> bool:
        self.close_connection = True
        self.status = str(status)
        try:
            self.socket.sendall(_problem_bytes(status, title, detail, self.environ["PATH_INFO"]))
        except OSError:
            pass
        return False

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


class _SandboxWSGIServer(WSGIServer):
    """gevent's WSGI server that, when full, closes an idle or head-reading connection."""

    connections: ConnectionTable
    #: A connection waits to be accepted while the server is full.
    room_wanted = False

    def set_spawn(self, spawn: Any) -> None:
        super().set_spawn(spawn)
        if self.pool is not None:
            self.full = self._full_after_making_room  # type: ignore[method-assign]

    def _full_after_making_room(self) -> bool:
        """Whether no connection can be accepted now; when so, start closing the connection
        idle for longest, so the accept loop resumes once it has gone."""
        if not self.pool.full():
            self.room_wanted = False
            return False
        self.room_wanted = True
        self.make_room()
        return True

    def make_room(self) -> None:
        """While a connection waits to be accepted, close one idle or head-reading connection
        (one at a time); called again whenever a connection becomes idle, since the server can
        be full of connections that have not read anything yet."""
        if self.room_wanted and not self.connections.leaving:
            victim = self.connections.pick_to_close()
            if victim is not None:
                victim.close_for_room()


class Server:
    """A bound, not yet running server: the port is known before ``run`` is called."""

    #: Seconds in-flight requests get to finish after ``stop``; then they are cut off.
    STOP_TIMEOUT = 5.0

    def __init__(self, app: Callable, host: str, port: int, max_connections: int,
                 idle_timeout: float = 75.0, *, head_timeout: float = 10.0,
                 body_timeout: float = 30.0, max_connections_per_address: int | None = None,
                 max_body_bytes: int = 2 * 1024 * 1024,
                 max_body_bytes_in_flight: int = 64 * 1024 * 1024):
        self.app = app
        self.host = host
        self._max_connections = max_connections
        self._idle_timeout = idle_timeout
        self._head_timeout = head_timeout
        self._body_timeout = body_timeout
        self._per_address = max_connections_per_address
        self._max_body_bytes = max_body_bytes
        self._body_budget = BodyBudget(max_body_bytes_in_flight)
        # Bound here, so the port is known (port 0 picks one) and early clients wait in the
        # backlog; the gevent server is made in ``run``, in the thread whose hub serves it.
        self._listener = socket.create_server((host, port), backlog=1024,
                                              family=_address_family(host))
        self.port = self._listener.getsockname()[1]
        self._server: WSGIServer | None = None
        self._running = threading.Event()

    @classmethod
    def from_config(cls, app: Callable, config: dict[str, Any], host: str | None = None,
                    port: int | None = None) -> Server:
        """A server with the connection limits of ``config`` (``rebilly_sandbox.config``)."""
        return cls(app, config["host"] if host is None else host,
                   config["port"] if port is None else port, config["max_connections"],
                   config["idle_timeout"], head_timeout=config["head_timeout"],
                   body_timeout=config["body_timeout"],
                   max_connections_per_address=config["max_connections_per_address"],
                   max_body_bytes=config["max_body_bytes"],
                   max_body_bytes_in_flight=config["max_body_bytes_in_flight"])

    @property
    def body_bytes_in_flight(self) -> int:
        """Request-body bytes the server holds now: bodies being read or waiting for their
        answer."""
        return self._body_budget.held

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def run(self) -> None:
        """Serve until ``stop`` (which lets in-flight requests finish)."""
        listener = gevent.socket.socket(fileno=self._listener.detach())  # on this thread's hub
        self._server = _SandboxWSGIServer(listener, _fair(self.app),
                                          spawn=Pool(self._max_connections),
                                          handler_class=SandboxHandler, log=None,
                                          error_log=logging.getLogger("sandbox.server"))
        self._server.connections = ConnectionTable(self._max_connections, self._per_address)
        self._server.idle_timeout = self._idle_timeout
        self._server.head_timeout = self._head_timeout
        self._server.body_timeout = self._body_timeout
        self._server.max_body_bytes = self._max_body_bytes
        self._server.body_budget = self._body_budget
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
