"""Request bodies in flight share one budget (``max_body_bytes_in_flight``): a body that does not
fit is a 503 problem with Retry-After, answered before any of it is read, while requests without
a body go on; the budget comes back whatever ended a body (read, refused, cut off, timed out, or
an exception in the app), so after many of those a full-size body is accepted again."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from conftest import API_KEY, LiveSandbox

from rebilly_sandbox import create_app
from rebilly_sandbox.config import ConfigError, load_config
from rebilly_sandbox.serving import Server

pytestmark = pytest.mark.served

KIB = 1024
MAX_BODY = 512 * KIB
BUDGET = 1024 * KIB
HOLDER = 400 * KIB  # two fit in the budget, a third does not
HEADERS = {"REB-APIKEY": API_KEY}


@pytest.fixture
def sandbox(tmp_path) -> Iterator[LiveSandbox]:
    served = LiveSandbox(str(tmp_path / "db.json"), "--max-body-bytes", str(MAX_BODY),
                         "--max-body-bytes-in-flight", str(BUDGET), "--body-timeout", "1",
                         "--rate-limit", "0").start()
    yield served
    assert "Traceback" not in served.stop()


def _head(length: int | None, *, expect: bool = False) -> bytes:
    """A create's head: Content-Length ``length``, or chunked when ``None``."""
    framing = ("Transfer-Encoding: chunked" if length is None
               else f"Content-Length: {length}")
    return (f"POST /customers HTTP/1.1\r\nHost: x\r\nREB-APIKEY: {API_KEY}\r\n{framing}\r\n"
            + ("Expect: 100-continue\r\n" if expect else "") + "\r\n").encode()


def _hold(port: int, length: int) -> socket.socket:
    """A connection whose body the server has started to read (its 100 Continue came back),
    sending 1 KiB of it and then nothing."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=3)
    sock.sendall(_head(length, expect=True))
    answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 100 "), answer[:300]
    sock.sendall(b" " * KIB)
    return sock


def _answer(sock: socket.socket, seconds: float = 3) -> bytes:
    """Everything the server sends until it closes, or what came within ``seconds``."""
    sock.settimeout(seconds)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except OSError:
        pass
    return data


def _refusal(answer: bytes) -> dict:
    """The problem of a 503 answer with Retry-After."""
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 "), answer[:300] or "no answer"
    assert b"\r\nretry-after: 1" in head.lower()
    assert b"\r\ncontent-type: application/json" in head.lower()
    return json.loads(body)


def _refused(port: int, head: bytes, body: bytes = b"") -> tuple[dict, float]:
    """Send a head and the start of its body; the 503's problem and how long it took."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(head + body)
        answer = _answer(sock)
    return _refusal(answer), time.monotonic() - started


def _full_size_create(url: str, email: str) -> requests.Response:
    """A create whose body is exactly ``MAX_BODY`` bytes (padded with JSON whitespace), retried
    for a moment while bodies the client has let go of are still being released."""
    body = json.dumps({"email": email}).encode().ljust(MAX_BODY)
    deadline = time.monotonic() + 3
    while True:
        response = requests.post(url + "/customers", data=body, timeout=5,
                                 headers={**HEADERS, "Content-Type": "application/json"})
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        time.sleep(0.05)


def _close(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        sock.close()


def test_a_body_beyond_the_budget_is_refused_at_once_while_bodiless_requests_go_on(sandbox):
    holders = [_hold(sandbox.port, HOLDER) for _ in range(2)]
    try:
        problem, seconds = _refused(sandbox.port, _head(HOLDER), b" " * KIB)

        assert seconds < 1.5
        assert problem["status"] == 503 and problem["title"] == "Service Unavailable"
        assert "max-body-bytes-in-flight" in problem["detail"]
        assert problem["instance"] == "/customers"
        assert requests.get(sandbox.url + "/customers", headers=HEADERS,
                            timeout=5).status_code == 200
        small = sandbox.post("/customers", {"email": "small@x.io"})
        assert small.status_code == 201, small.text
    finally:
        _close(holders)

    created = _full_size_create(sandbox.url, "full@x.io")
    assert created.status_code == 201, created.text


def test_a_chunked_body_is_refused_when_it_grows_beyond_the_budget(sandbox):
    holders = [_hold(sandbox.port, HOLDER) for _ in range(2)]
    try:
        chunk = b" " * (300 * KIB)
        problem, seconds = _refused(sandbox.port, _head(None), b"%x\r\n%s\r\n" % (len(chunk),
                                                                                  chunk))

        assert seconds < 1.5 and problem["status"] == 503
        body = json.dumps({"email": "chunked@x.io"}).encode()
        small = requests.post(sandbox.url + "/customers", timeout=5, headers=HEADERS,
                              data=iter([body]))  # an iterator is sent chunked
        assert small.status_code == 201, small.text
    finally:
        _close(holders)


def _abandoned(port: int, head: bytes, body: bytes) -> None:
    """A connection that sends a head and part of its body, then goes away."""
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(head + body)


def _timed_out(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(_head(100 * KIB) + b" " * KIB)
        return _answer(sock)


def _hold_retrying(port: int, length: int) -> socket.socket:
    """``_hold``, retried for a moment while closed connections' bodies are being released."""
    deadline = time.monotonic() + 3
    while True:
        try:
            return _hold(port, length)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_refused_abandoned_and_timed_out_bodies_give_the_whole_budget_back(sandbox):
    holders = [_hold(sandbox.port, HOLDER) for _ in range(2)]
    try:
        for _ in range(20):
            assert _refused(sandbox.port, _head(HOLDER), b" " * KIB)[0]["status"] == 503
        for _ in range(10):
            _abandoned(sandbox.port, _head(100 * KIB), b" " * KIB)
            _abandoned(sandbox.port, _head(None), b"%x\r\n%s" % (100 * KIB, b" " * KIB))
    finally:
        _close(holders)
    assert b" 408 " in _timed_out(sandbox.port).split(b"\r\n")[0]
    too_large = sandbox.post("/customers", data=b" " * (MAX_BODY + 1))
    assert too_large.status_code == 413

    # Two bodies of the largest size fill the budget exactly: nothing of it is still taken.
    full = [_hold_retrying(sandbox.port, MAX_BODY) for _ in range(2)]
    _close(full)
    created = _full_size_create(sandbox.url, "again@x.io")
    assert created.status_code == 201, created.text


# -- in process: what the server counts --------------------------------------------------------


@pytest.fixture
def serve_in_thread() -> Iterator[Callable[..., Server]]:
    stops: list[Callable[[], None]] = []

    def serve(app: Callable) -> Server:
        server = Server(app, "127.0.0.1", 0, 50, max_body_bytes=MAX_BODY,
                        max_body_bytes_in_flight=BUDGET)
        stops.append(server.start_in_thread())
        return server

    yield serve
    for stop in stops:
        stop()


def _settles_at_zero(server: Server) -> bool:
    deadline = time.monotonic() + 3
    while server.body_bytes_in_flight and time.monotonic() < deadline:
        time.sleep(0.02)
    return server.body_bytes_in_flight == 0


def test_a_read_body_is_counted_until_its_answer_is_sent(serve_in_thread):
    seen: list[int] = []
    release = threading.Event()

    def app(environ, start_response):
        body = environ["wsgi.input"].read()
        seen.append(server.body_bytes_in_flight)
        release.wait(3)
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    server = serve_in_thread(app)
    reply: list[requests.Response] = []
    sender = threading.Thread(target=lambda: reply.append(
        requests.post(server.url, data=b"x" * 1000, timeout=5)))
    sender.start()
    try:
        deadline = time.monotonic() + 3
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
        assert seen == [1000]
    finally:
        release.set()
        sender.join(5)
    assert reply[0].content == b"x" * 1000
    assert _settles_at_zero(server)


def test_an_exception_in_the_app_gives_the_body_back(serve_in_thread):
    def app(environ, start_response):
        environ["wsgi.input"].read()
        raise RuntimeError("the app failed")

    server = serve_in_thread(app)
    for _ in range(5):
        assert requests.post(server.url, data=b"x" * MAX_BODY, timeout=5).status_code == 500
    assert _settles_at_zero(server)


def test_the_flask_app_served_leaves_nothing_counted(serve_in_thread):
    server = serve_in_thread(create_app({"db": "memory", "rate_limit": 0}))
    body = json.dumps({"email": "a@x.io"}).encode()
    for data in (body, iter([body]), b"{", b" " * (MAX_BODY + 1)):
        requests.post(server.url + "/customers", data=data, headers=HEADERS, timeout=5)
    assert _settles_at_zero(server)


# -- the setting -------------------------------------------------------------------------------


def test_the_budget_may_not_be_smaller_than_the_largest_body():
    with pytest.raises(ConfigError, match="max_body_bytes_in_flight"):
        load_config({"max_body_bytes": 2048, "max_body_bytes_in_flight": 2047}, environ={})
    assert load_config({"max_body_bytes": 2048, "max_body_bytes_in_flight": 2048},
                       environ={})["max_body_bytes_in_flight"] == 2048


def test_the_default_budget_holds_32_bodies_of_the_default_largest_size():
    config = load_config(environ={})
    assert config["max_body_bytes_in_flight"] == 32 * config["max_body_bytes"]
