"""Slow and stalled clients against the served sandbox: a connection that stops after its request
line or drips bytes forever cannot keep a legitimate request out, and a head or body has a
deadline for the whole of it, however slowly it arrives."""

from __future__ import annotations

import json
import socket
import time

import pytest
import requests
from conftest import API_KEY, LiveSandbox

pytestmark = pytest.mark.served

HEADERS = {"REB-APIKEY": API_KEY}


@pytest.fixture
def serve(tmp_path):
    started: list[LiveSandbox] = []

    def start(*flags: str) -> LiveSandbox:
        sandbox = LiveSandbox(str(tmp_path / f"db{len(started)}.json"), *flags).start()
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


def _stalled(port: int, count: int) -> list[socket.socket]:
    """Connections that send a request line and then nothing."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"POST /customers HTTP/1.1\r\n")
        sockets.append(sock)
    return sockets


def _drip_until_answered(sock: socket.socket, chunk: bytes, seconds: float) -> bytes:
    """Send ``chunk`` a byte at a time, every 50 ms, until the server answers or closes (its
    answer is returned) or ``seconds`` pass (``b""`` returned while the connection stays open)."""
    sock.settimeout(0.05)
    stop_at = time.monotonic() + seconds
    position = 0
    while time.monotonic() < stop_at:
        try:
            sock.send(chunk[position % len(chunk):][:1])
            position += 1
        except OSError:  # closed by the server
            break
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return b"<closed>"
        return _read_rest(sock, data) if data else b"<closed>"
    return b""


def _read_rest(sock: socket.socket, data: bytes) -> bytes:
    sock.settimeout(5)
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except OSError:
        pass
    return data


def _problem(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    assert b"content-type: application/json" in head.lower()
    return status, json.loads(body)


def test_connections_that_stop_after_the_request_line_do_not_keep_a_request_out(serve):
    sandbox = serve("--max-connections", "20", "--idle-timeout", "60")
    stalled = _stalled(sandbox.port, 30)
    try:
        response = requests.get(sandbox.url + "/customers", headers=HEADERS, timeout=10)

        assert response.status_code == 200
        stalled[0].settimeout(5)
        assert stalled[0].recv(1) == b"", "the longest-stalled connection made room"
    finally:
        for sock in stalled:
            sock.close()


def test_one_address_over_its_share_gives_up_its_longest_stalled_connection(serve):
    sandbox = serve("--max-connections", "500", "--max-connections-per-address", "5",
                    "--idle-timeout", "60")
    stalled = _stalled(sandbox.port, 5)
    try:
        answers = [requests.get(sandbox.url + "/customers", headers=HEADERS, timeout=10)
                   for _ in range(3)]

        assert [answer.status_code for answer in answers] == [200] * 3
        stalled[0].settimeout(5)
        assert stalled[0].recv(1) == b""
    finally:
        for sock in stalled:
            sock.close()


def test_one_address_whose_connections_are_all_busy_gets_a_503_problem(serve):
    sandbox = serve("--max-connections", "500", "--max-connections-per-address", "2")
    busy = []
    for _ in range(2):
        sock = socket.create_connection(("127.0.0.1", sandbox.port))
        sock.sendall(f"GET /customers HTTP/1.1\r\nHost: x\r\nREB-APIKEY: {API_KEY}\r\n"
                     f"X-Sandbox-Fault: delay=8000\r\n\r\n".encode())
        busy.append(sock)
    try:
        time.sleep(1)  # both requests are running their injected delay
        with socket.create_connection(("127.0.0.1", sandbox.port)) as extra:
            extra.sendall(b"GET /customers HTTP/1.1\r\nHost: x\r\n\r\n")
            status, problem = _problem(_read_rest(extra, b""))

        assert status == 503
        assert problem["status"] == 503 and "busy connections" in problem["detail"]
    finally:
        for sock in busy:
            sock.close()


def test_a_head_dripped_a_byte_at_a_time_gets_a_408_at_its_deadline(serve):
    sandbox = serve("--head-timeout", "1", "--idle-timeout", "60")
    sock = socket.create_connection(("127.0.0.1", sandbox.port))
    try:
        sock.sendall(b"GET /customers HTTP/1.1\r\n")
        answer = _drip_until_answered(sock, b"X-Slow: abcdefghij\r\n", seconds=20)

        assert answer, "the dripping connection was still open after 20 s"
        status, problem = _problem(answer)
        assert status == 408 and problem["status"] == 408
        assert requests.get(sandbox.url + "/customers", headers=HEADERS,
                            timeout=10).status_code == 200
    finally:
        sock.close()


def test_a_body_dripped_a_byte_at_a_time_gets_a_408_at_its_deadline(serve):
    sandbox = serve("--body-timeout", "1", "--idle-timeout", "60")
    sock = socket.create_connection(("127.0.0.1", sandbox.port))
    try:
        sock.sendall(f"POST /customers HTTP/1.1\r\nHost: x\r\nREB-APIKEY: {API_KEY}\r\n"
                     f"Content-Length: 100000\r\n\r\n".encode())
        answer = _drip_until_answered(sock, b" ", seconds=20)

        assert answer, "the dripping connection was still open after 20 s"
        status, problem = _problem(answer)
        assert status == 408 and problem["detail"]
        assert requests.get(sandbox.url + "/customers", headers=HEADERS,
                            timeout=10).json() == []
    finally:
        sock.close()


def test_a_chunked_body_dripped_a_byte_at_a_time_gets_a_408_at_its_deadline(serve):
    sandbox = serve("--body-timeout", "1", "--idle-timeout", "60")
    sock = socket.create_connection(("127.0.0.1", sandbox.port))
    try:
        sock.sendall(f"POST /customers HTTP/1.1\r\nHost: x\r\nREB-APIKEY: {API_KEY}\r\n"
                     f"Transfer-Encoding: chunked\r\n\r\nfffff\r\n".encode())
        answer = _drip_until_answered(sock, b" ", seconds=20)

        assert answer, "the dripping connection was still open after 20 s"
        assert _problem(answer)[0] == 408
    finally:
        sock.close()
