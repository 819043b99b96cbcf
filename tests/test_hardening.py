"""Hostile input on every write route, slow and idle clients, bounded memory, the sandbox's own
faults (disk full, SIGTERM mid-request), isolation between keys and secrets kept out of sight."""

from __future__ import annotations

import io
import json
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from helpers import API_KEY, OTHER_KEY, LiveSandbox
from tinydb import TinyDB

#: Bodies no write route may accept, each with the status family it must get.
HOSTILE_BODIES = [
    b"{", b'{"a": ', b"[]", b'"text"', b"42", b"null", b"true", b"\xff\xfe{}",
    b'{"a": "\\ud800"}', b'{"a": "\\u0000"}', b'{"a": 1, "a": 2}', b'{"a": NaN}',
    b'{"a": Infinity}', b'{"a": 1e999}', b"[" * 100_000 + b"]" * 100_000,
    b'{"a": ' + b"[" * 200 + b"]" * 200 + b"}", b"", b"   ",
]

WRITE_ROUTES = [
    ("POST", "/tokens"), ("PUT", "/customers/hostile-1"), ("POST", "/customers"),
    ("POST", "/__admin/fixtures"), ("POST", "/__admin/faults"), ("POST", "/__admin/clock"),
]


@pytest.mark.parametrize("method, path", WRITE_ROUTES)
@pytest.mark.parametrize("body", HOSTILE_BODIES, ids=lambda body: repr(body[:16]))
def test_hostile_bodies_get_a_4xx_problem_and_change_nothing(app, method, path, body):
    client = app.test_client()
    store = app.extensions["sandbox"].store

    response = client.open(path, method=method, data=body, headers={"REB-APIKEY": API_KEY})

    assert 400 <= response.status_code < 500
    assert response.headers["Content-Type"] == "application/json"
    problem = response.get_json()
    assert problem["status"] == response.status_code and problem["detail"]
    assert [ns for ns in store.namespaces() if ns.startswith("ns_")] == []
    state = app.extensions["sandbox"]
    assert state.faults.rules(state.namespace_for(API_KEY).id) == []


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/tokens", {"method": "payment-card", "paymentInstrument": {
        "pan": "4" * 1_048_576, "expMonth": 1, "expYear": 2030}}),
    ("PUT", "/customers/big", {"primaryAddress": {"firstName": "x" * 1_048_576}}),
    ("POST", "/__admin/faults", {"match": {"path": "/" + "x" * 1_048_576}, "status": 503}),
])
def test_a_megabyte_string_is_a_422(app, method, path, body):
    response = app.test_client().open(path, method=method, json=body,
                                      headers={"REB-APIKEY": API_KEY})

    assert response.status_code == 422
    assert [ns for ns in app.extensions["sandbox"].store.namespaces() if ns.startswith("ns_")] == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/xml",
                                          "application/json; charset=latin-1"])
def test_odd_content_types_are_read_as_json(client, content_type):
    response = client.post("/customers", data=b'{"email": "ct@example.com"}',
                           headers={"Content-Type": content_type})

    assert response.status_code == 201


def test_gzip_content_encoding_is_a_clear_error_not_a_crash(client):
    response = client.post("/customers", data=b"\x1f\x8b\x08\x00garbage",
                           headers={"Content-Encoding": "gzip"})

    assert response.status_code == 400


@pytest.mark.served
@pytest.mark.slow
def test_idle_and_slow_clients_do_not_stop_others(tmp_path):
    sandbox = LiveSandbox(str(tmp_path / "db.json"), "--idle-timeout", "6").start()
    idle = [socket.create_connection(("127.0.0.1", sandbox.port)) for _ in range(200)]
    slow = socket.create_connection(("127.0.0.1", sandbox.port))
    stop = threading.Event()

    def drip() -> None:
        for byte in b"POST /customers HTTP/1.1\r\nHost: x\r\n":
            if stop.wait(0.05):
                return
            slow.send(bytes([byte]))

    dripper = threading.Thread(target=drip)
    dripper.start()
    try:
        started = time.monotonic()
        statuses = [sandbox.post("/customers", {}).status_code for _ in range(20)]
        elapsed = time.monotonic() - started
        assert statuses == [201] * 20
        # Only a hang fails this: the creates take well under a second, while a server held up
        # by the idle connections would answer only once --idle-timeout (6 s) closed them.
        assert elapsed < 5
        idle[0].settimeout(10)
        assert idle[0].recv(1) == b"", "an idle connection is closed after --idle-timeout"
    finally:
        stop.set()
        dripper.join()
        for sock in idle + [slow]:
            sock.close()
        sandbox.stop()


def _rss_kib() -> int:
    return int(next(line.split()[1] for line in Path("/proc/self/status").read_text().splitlines()
                    if line.startswith("VmRSS")))


def _call(app, method: str, path: str, key: str, body: bytes = b"") -> int:
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "localhost",
               "SERVER_PORT": "80", "wsgi.url_scheme": "http", "HTTP_REB_APIKEY": key,
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}
    status = []
    result = app.wsgi_app(environ, lambda line, headers, exc=None: status.append(line))
    b"".join(result)
    result.close()
    return int(status[0].split()[0])


@pytest.mark.slow
def test_memory_stays_bounded_with_endless_new_keys_and_huge_bodies(app):
    state = app.extensions["sandbox"]
    for number in range(3000):  # warm up allocators and caches
        _call(app, "GET", "/customers/missing", f"sk_sandbox_warm_{number}")
    before = _rss_kib()

    for number in range(30_000):
        assert _call(app, "GET", "/customers/missing", f"sk_sandbox_k{number:06d}_xx") == 404
    huge = json.dumps({"primaryAddress": {"firstName": "x" * 1_000_000}}).encode()
    for _ in range(300):  # refused (422), but journaled with their bodies
        assert _call(app, "POST", "/customers", API_KEY, huge) == 422

    growth_mib = (_rss_kib() - before) / 1024
    assert growth_mib < 60, f"grew {growth_mib:.0f} MiB"
    assert len(state.journal._entries) <= state.journal.max_namespaces
    assert all(len(entry[6]) <= state.journal.max_body_bytes
               for entries in state.journal._entries.values() for entry in entries)
    assert len(state.store.cached_tables()) <= 2, \
        "reads with unknown keys leave nothing in the store"


def _limited_file_size(limit: int):
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


@pytest.mark.served
@pytest.mark.slow
def test_a_full_disk_is_a_503_and_loses_nothing(tmp_path):
    db = tmp_path / "db.json"
    sandbox = LiveSandbox(str(db), "--rate-limit", "0").start(
        preexec_fn=_limited_file_size(48 * 1024))
    stored, refused = [], []
    for number in range(200):
        response = sandbox.post("/customers", {"email": f"disk{number}@example.com"})
        (stored if response.status_code == 201 else refused).append(response)
    assert stored and refused
    problem = refused[0].json()
    assert refused[0].status_code == 503 and problem["title"] == "Service Unavailable"
    assert all(r.status_code == 503 for r in refused)
    for response in stored:
        assert sandbox.get(f"/customers/{response.json()['id']}").status_code == 200
    sandbox.stop(signal.SIGKILL)

    again = LiveSandbox(str(db)).start()
    try:
        for response in stored:
            assert again.get(f"/customers/{response.json()['id']}").status_code == 200
        listed = again.get("/customers?limit=1000")
        assert int(listed.headers["Pagination-Total"]) == len(stored)
    finally:
        again.stop()
    TinyDB(db).close()


@pytest.mark.served
def test_a_database_path_that_cannot_exist_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")

    result = subprocess.run([sys.executable, "-m", "rebilly_sandbox", "serve", "--port", "0",
                             "--db", str(blocker / "db.json")],
                            capture_output=True, text=True, timeout=20)

    assert result.returncode == 3
    assert "cannot create" in result.stderr


@pytest.mark.served
@pytest.mark.slow
def test_sigterm_finishes_in_flight_requests_and_exits_0(tmp_path):
    sandbox = LiveSandbox(str(tmp_path / "db.json")).start()
    answers = []
    slow = threading.Thread(target=lambda: answers.append(sandbox.post(
        "/customers", {"email": "inflight@example.com"},
        headers={"X-Sandbox-Fault": "delay=1500"})))
    slow.start()
    time.sleep(0.3)

    sandbox.process.send_signal(signal.SIGTERM)
    sandbox.process.wait(timeout=10)  # only a server that never exits takes this long
    slow.join()

    assert sandbox.process.returncode == 0
    assert "finishing in-flight requests" in sandbox.stop()
    assert answers[0].status_code == 201
    again = LiveSandbox(sandbox.db).start()
    try:
        assert again.get(f"/customers/{answers[0].json()['id']}").status_code == 200
    finally:
        again.stop()


@pytest.mark.parametrize("prefix", ["", "/organizations/org_A"])
def test_a_key_never_reaches_another_keys_data(client, prefix):
    token = client.post("/tokens", {"method": "payment-card", "paymentInstrument": {
        "pan": "4111111111111111", "expMonth": 1, "expYear": 2030}}).get_json()
    mine = client.post(f"{prefix}/customers", {"email": "mine@example.com",
                                               "leadSource": {"source": "ads"}}).get_json()
    other = client.with_key(OTHER_KEY)
    customer = f"{prefix}/customers/{mine['id']}"

    assert other.get(customer).status_code == 404
    assert other.get(f"{customer}/lead-source").status_code == 404
    assert other.get(f"{prefix}/tokens/{token['id']}").status_code == 404
    assert other.get(f"{prefix}/customers").get_json() == []
    assert other.get(f"{prefix}/customers?filter=email:mine@example.com").get_json() == []
    assert other.request("DELETE", f"{customer}?targetCustomerId=x").status_code == 404
    assert other.request("PUT", customer, json={"email": "theirs@example.com"}).status_code == 201
    assert client.get(customer).get_json()["email"] == "mine@example.com"
    assert other.post(f"{prefix}/customers", {"paymentToken": token["id"]}).status_code == 422


@pytest.mark.served
def test_keys_and_admin_tokens_stay_out_of_logs_journal_and_errors(tmp_path):
    admin_token = "admin-secret-0123456789"
    sandbox = LiveSandbox(str(tmp_path / "db.json"), "--admin-token", admin_token).start()
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlc2VjcmV0"
    bodies = []
    try:
        bodies.append(sandbox.post("/customers", {}).text)
        bodies.append(sandbox.post("/customers", {}, key="sk_live_0123456789abcdef").text)
        bodies.append(requests.post(sandbox.url + "/customers", json={}, timeout=5,
                                    headers={"Authorization": f"Bearer {jwt}"}).text)
        bodies.append(requests.get(sandbox.url + "/__admin/health", timeout=5,
                                   headers={"Authorization": "Bearer wrong-token"}).text)
        journal = requests.get(sandbox.url + "/__admin/requests", timeout=5, headers={
            "REB-APIKEY": API_KEY, "Authorization": f"Bearer {admin_token}"})
        assert journal.status_code == 200
        bodies.append(journal.text)
    finally:
        output = sandbox.stop()

    for secret in (API_KEY, admin_token, jwt, "sk_live_0123456789abcdef", "wrong-token"):
        assert secret not in output
        assert all(secret not in body for body in bodies)
