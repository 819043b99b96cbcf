"""HTTP edge cases at the wire and settings that cannot work: each is a clear problem answer or a
clear start-up message, never a silently wrong result or a traceback."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys

import pytest
from conftest import API_KEY, LiveSandbox

from rebilly_sandbox.config import ConfigError, load_config

pytestmark = pytest.mark.served


@pytest.fixture
def sandbox(tmp_path):
    served = LiveSandbox(str(tmp_path / "db.json"), "--max-body-bytes", "1000").start()
    yield served
    served.stop()


def _exchange(port: int, request: bytes) -> tuple[int, dict]:
    """Send a raw request on a new connection; return the status and the JSON body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer or not _complete(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower(), head
    return int(head.split()[1]), json.loads(body)


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def _post(headers: bytes, body: bytes = b"") -> bytes:
    return (b"POST /customers HTTP/1.1\r\nHost: x\r\nREB-APIKEY: " + API_KEY.encode() +
            b"\r\nConnection: close\r\n" + headers + b"\r\n" + body)


def test_a_chunked_body_over_the_limit_is_a_413_problem(sandbox):
    body = json.dumps({"email": "a" * 3000}).encode()
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)

    status, problem = _exchange(sandbox.port, _post(b"Transfer-Encoding: chunked\r\n", chunked))

    assert status == 413 and problem["status"] == 413 and problem["detail"]
    assert sandbox.get("/customers").json() == []


def test_a_chunked_body_within_the_limit_is_read_whole(sandbox):
    body = b'{"email": "chunks@example.com"}'
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:7], body[7:]))

    status, customer = _exchange(sandbox.port, _post(b"Transfer-Encoding: chunked\r\n",
                                                     chunked + b"0\r\n\r\n"))

    assert status == 201 and customer["email"] == "chunks@example.com"


def test_a_content_length_over_the_limit_is_a_413_problem(sandbox):
    status, problem = _exchange(sandbox.port, _post(b"Content-Length: 5000\r\n", b"{}"))

    assert status == 413 and problem["status"] == 413


def test_two_different_content_lengths_are_a_400_problem(sandbox):
    status, problem = _exchange(
        sandbox.port, _post(b"Content-Length: 2\r\nContent-Length: 30\r\n",
                            b'{}{"email": "smuggled@x.com"}'))

    assert status == 400 and "Content-Length" in problem["detail"]
    assert sandbox.get("/customers").json() == []


def test_more_than_100_headers_is_a_431_problem_without_a_traceback(sandbox):
    headers = b"".join(b"X-Many-%d: y\r\n" % number for number in range(150))

    status, problem = _exchange(sandbox.port, _post(headers, b"{}"))

    assert status == 431 and problem["status"] == 431
    assert sandbox.get("/customers").status_code == 200
    assert "Traceback" not in sandbox.output()


def test_a_malformed_request_line_is_a_400_problem(sandbox):
    status, problem = _exchange(sandbox.port, b"POST /customers HTTP/7.5\r\n\r\n")

    assert status == 400 and problem["status"] == 400
    assert "Traceback" not in sandbox.output()


@pytest.mark.parametrize("flag, value, message", [
    ("--admin-token", " ", "blank admin token"),
    ("--admin-token", "", "blank admin token"),
    ("--idle-timeout", "nan", "idle_timeout must be a finite number"),
    ("--idle-timeout", "inf", "idle_timeout must be a finite number"),
    ("--idle-timeout", "-5", "idle_timeout must be a finite number"),
    ("--max-fault-seconds", "nan", "max_fault_seconds must be a finite number"),
    ("--max-fault-seconds", "-1", "max_fault_seconds must be a finite number"),
    ("--head-timeout", "0", "head_timeout must be a finite number"),
    ("--body-timeout", "inf", "body_timeout must be a finite number"),
    ("--max-connections-per-address", "0", "max_connections_per_address must be at least 1"),
])
def test_unusable_settings_stop_the_start_with_a_clear_message(flag, value, message):
    result = subprocess.run([sys.executable, "-m", "rebilly_sandbox", "serve", "--port", "0",
                             "--db", "memory", flag, value],
                            capture_output=True, text=True, timeout=30)

    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("overrides", [
    {"idle_timeout": float("nan")}, {"max_fault_seconds": float("inf")},
    {"head_timeout": -1.0}, {"admin_token": "   "},
])
def test_unusable_overrides_are_refused(overrides):
    with pytest.raises(ConfigError):
        load_config(overrides, environ={})


def test_zero_max_fault_seconds_is_allowed():
    assert load_config({"max_fault_seconds": 0}, environ={})["max_fault_seconds"] == 0


def test_a_header_line_over_64_kib_is_a_431_problem(sandbox):
    status, problem = _exchange(sandbox.port, _post(b"X-Long: " + b"y" * 70_000 + b"\r\n"))

    assert status == 431 and problem["status"] == 431


def test_a_head_cut_off_by_the_client_is_not_run(sandbox):
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=10) as sock:
        sock.sendall(b"GET /customers HTTP/1.1\r\nHost: x\r\nREB-APIKEY: " + API_KEY.encode()
                     + b"\r\n")
        sock.shutdown(socket.SHUT_WR)
        answer = sock.recv(65536)

    assert answer.startswith(b"HTTP/1.1 400")
    assert b"closing blank line" in answer


def test_chunked_requests_on_one_keep_alive_connection_are_all_answered(sandbox):
    """The server reads chunked bodies itself: what follows each one is read as the next request."""
    body = b'{"email": "kept@example.com"}'
    request = (b"POST /customers HTTP/1.1\r\nHost: x\r\nREB-APIKEY: " + API_KEY.encode() +
               b"\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\nX-Trailer: 1\r\n\r\n"
               % (len(body), body))
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=10) as sock:
        sock.sendall(request + request + b"GET /customers HTTP/1.1\r\nHost: x\r\nREB-APIKEY: " +
                     API_KEY.encode() + b"\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk

    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", answer) == [b"201", b"201", b"200"]
