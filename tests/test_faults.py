"""Failure injection, driven over real sockets against the served sandbox."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from pathlib import Path

import pytest
import requests
from helpers import LiveSandbox

from rebilly_sandbox.client import SandboxAPIError, SandboxClient

pytestmark = pytest.mark.served

_keys = itertools.count()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> LiveSandbox:
    db = tmp_path_factory.mktemp("faults") / "db.json"
    sandbox = LiveSandbox(str(db), "--rate-limit", "0", "--max-fault-seconds", "3").start()
    yield sandbox
    sandbox.stop()


class Tenant:
    """One namespace of the shared server: its key, its API calls and, through the project's
    own client, its admin calls."""

    def __init__(self, server: LiveSandbox):
        self.server = server
        self.key = f"sk_sandbox_faults_{next(_keys):04d}_abcdefghijklmnop"
        self.admin = server.admin(self.key, timeout=5)

    def headers(self, **extra: str) -> dict[str, str]:
        return {"REB-APIKEY": self.key, **extra}

    def create(self, body=None, timeout: float = 5, **headers: str) -> requests.Response:
        return requests.post(f"{self.server.url}/customers", json=body or {},
                             headers=self.headers(**headers), timeout=timeout)

    def raw_create(self, body: bytes = b"{}") -> socket.socket:
        """Send a create over a bare socket and return it, unread."""
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        sock.sendall(b"POST /customers HTTP/1.1\r\nHost: sandbox\r\nREB-APIKEY: " +
                     self.key.encode() + b"\r\nContent-Type: application/json\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        return sock

    def count(self) -> int:
        response = requests.get(f"{self.server.url}/customers?limit=0", headers=self.headers(),
                                timeout=5)
        return int(response.headers["Pagination-Total"])


@pytest.fixture
def tenant(server) -> Tenant:
    return Tenant(server)


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_the_minimal_rule_fails_the_next_create_only(tenant):
    rule = tenant.admin.add_fault(match={"method": "POST", "path": "/customers"}, status=503,
                                  times=1)
    assert rule["id"].startswith("flt_")

    failed = tenant.create()
    assert failed.status_code == 503
    assert failed.headers["Content-Type"] == "application/json"
    assert failed.json()["title"] == "Service Unavailable"
    assert failed.json()["status"] == 503
    assert tenant.create().status_code == 201
    assert tenant.count() == 1


def test_error_answer_with_its_own_body_and_headers(tenant):
    tenant.admin.add_fault(match={"path": "/customers"}, status=429, times=1,
                           headers={"X-RateLimit-Retry-After": "1999999999"},
                           body={"title": "Rate Limit Exceeded", "status": 429})
    tenant.admin.add_fault(match={"path": "/customers"}, status=503, times=1,
                           headers={"Retry-After": "2"})

    limited = tenant.create()
    unavailable = tenant.create()

    assert limited.status_code == 429
    assert limited.headers["X-RateLimit-Retry-After"] == "1999999999"
    assert limited.json() == {"title": "Rate Limit Exceeded", "status": 429}
    assert unavailable.status_code == 503
    assert unavailable.headers["Retry-After"] == "2"


def test_a_fixed_delay(tenant):
    tenant.admin.add_fault(match={"path": "/customers"}, delay=400, times=1)

    started = time.monotonic()
    response = tenant.create()

    assert response.status_code == 201
    assert time.monotonic() - started >= 0.4  # a lower bound: a busy machine only adds to it
    assert tenant.admin.requests()[0]["fault"]["delayMs"] == 400


def test_a_seeded_delay_range_repeats(server):
    def delays() -> list[int]:
        tenant = Tenant(server)
        tenant.admin.add_fault(match={"path": "/customers"}, delay={"min": 10, "max": 200},
                               probability=1, seed=7)
        for _ in range(4):
            tenant.create()
        entries = tenant.admin.requests()
        return [entry["fault"]["delayMs"] for entry in reversed(entries)]

    first = delays()
    assert all(10 <= delay <= 200 for delay in first)
    assert len(set(first)) > 1
    assert delays() == first


@pytest.mark.slow
def test_a_slow_request_does_not_hold_up_others(tenant, server):
    tenant.admin.add_fault(match={"path": "/customers"}, delay=3000, times=1)
    answered: list[int] = []
    slow = threading.Thread(target=lambda: answered.append(tenant.create().status_code))
    slow.start()
    time.sleep(0.2)  # lets the delayed create reach the server; no assertion rests on it

    others = [Tenant(server).create().status_code for _ in range(20)]
    still_waiting = answered == []
    slow.join()

    assert others == [201] * 20
    assert still_waiting, "the others were answered while the delayed create waited"
    assert answered == [201]


def test_connection_reset(tenant):
    tenant.admin.add_fault(match={"path": "/customers"}, network="reset", times=1)
    sock = tenant.raw_create()

    with pytest.raises(ConnectionResetError):
        read_all(sock)
    sock.close()
    with pytest.raises(requests.ConnectionError):
        tenant.admin.add_fault(match={"path": "/customers"}, network="reset", times=1) \
            and tenant.create()


def test_connection_closed_without_an_answer(tenant):
    tenant.admin.add_fault(match={"path": "/customers"}, network="close", times=1)
    sock = tenant.raw_create()

    assert read_all(sock) == b""
    sock.close()
    assert tenant.count() == 0


def test_truncated_body_promises_more_than_arrives(tenant):
    tenant.admin.add_fault(match={"path": "/customers"}, network="truncate", times=1)
    sock = tenant.raw_create()

    raw = read_all(sock)
    sock.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 201")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    assert 0 < len(body) < length
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        tenant.admin.add_fault(match={"path": "/customers"}, network="truncate", times=1)
        tenant.create()


def test_hang_until_the_client_gives_up(tenant):
    tenant.admin.add_fault(match={"path": "/customers"}, network="hang", hang_seconds=2, times=1)

    with pytest.raises(requests.Timeout):
        tenant.create(timeout=0.5)
    sock = tenant.raw_create()  # the rule is used up: the next create is answered
    assert sock.recv(65536).startswith(b"HTTP/1.1 201"), "answered before the next rule exists"
    tenant.admin.add_fault(match={"path": "/customers"}, network="hang", hang_seconds=0.5,
                           times=1)
    sock2 = tenant.raw_create()
    assert read_all(sock2) == b"", "the hang is bounded: the connection closes after it"
    sock.close()
    sock2.close()


@pytest.mark.parametrize("answer", [{"status": 503}, {"network": "reset"}, {"network": "close"}])
def test_after_commit_the_customer_exists_though_the_answer_failed(tenant, answer):
    tenant.admin.add_fault(match={"path": "/customers"}, after_commit=True, times=1, **answer)

    try:
        response = tenant.create({"email": "stored@example.com"})
        assert response.status_code == 503
    except requests.ConnectionError:
        pass

    listed = requests.get(f"{tenant.server.url}/customers?filter=email:stored@example.com",
                          headers=tenant.headers(), timeout=5).json()
    assert len(listed) == 1
    assert requests.get(f"{tenant.server.url}/customers/{listed[0]['id']}",
                        headers=tenant.headers(), timeout=5).status_code == 200
    entry = tenant.admin.requests(method="POST")[0]
    assert entry["stored"] is True
    assert "after commit" in entry["fault"]["action"]


def test_after_commit_upsert_then_retry_with_put_is_safe(tenant):
    tenant.admin.add_fault(match={"method": "PUT"}, status=502, after_commit=True, times=1)
    url = f"{tenant.server.url}/customers/order-42"

    first = requests.put(url, json={"email": "a@example.com"}, headers=tenant.headers(), timeout=5)
    retry = requests.put(url, json={"email": "a@example.com"}, headers=tenant.headers(), timeout=5)

    assert first.status_code == 502
    assert retry.status_code == 200, "the retry finds the customer the failed answer stored"
    assert tenant.count() == 1


def test_skip_and_times(tenant):
    tenant.admin.add_fault(match={"path": "/customers"}, status=500, skip=2, times=2)

    statuses = [tenant.create().status_code for _ in range(6)]

    assert statuses == [201, 201, 500, 500, 201, 201]
    rule = tenant.admin.faults()[0]
    # Once used up a rule stops matching, so the last two creates are not counted.
    assert (rule["matched"], rule["fired"], rule["remaining"]) == (4, 2, 0)


def test_seeded_probability_repeats_whatever_other_namespaces_do(server):
    rule = dict(match={"path": "/customers"}, status=500, probability=0.5, seed=1234)

    def sequence(noise: bool) -> list[int]:
        tenant, other = Tenant(server), Tenant(server)
        tenant.admin.add_fault(**rule)
        other.admin.add_fault(**rule)
        statuses = []
        for _ in range(24):
            if noise:
                other.create()
            statuses.append(tenant.create().status_code)
        return statuses

    quiet = sequence(noise=False)
    assert quiet == sequence(noise=True)
    assert 201 in quiet and 500 in quiet


def test_rules_expire(tenant):
    tenant.admin.add_fault(match={"path": "/customers"}, status=503, expires_in_seconds=30)
    assert tenant.create().status_code == 503

    tenant.admin.advance_clock(31)

    assert tenant.create().status_code == 201
    assert tenant.admin.faults() == []


def test_matching_on_header_body_path_forms_and_method(tenant):
    tenant.admin.add_fault(match={"header": {"X-Scenario": "card-declined"}}, status=402)
    tenant.admin.add_fault(match={"body": {"primaryAddress.country": "FR"}}, status=418)
    tenant.admin.add_fault(match={"method": "GET", "path": "/customers/*"}, status=500)

    assert tenant.create(**{"X-Scenario": "card-declined"}).status_code == 402
    assert tenant.create(**{"X-Scenario": "other"}).status_code == 201
    assert tenant.create({"primaryAddress": {"country": "FR"}}).status_code == 418
    created = tenant.create({"primaryAddress": {"country": "DE"}})
    assert created.status_code == 201
    customer_id = created.json()["id"]
    for path in (f"/customers/{customer_id}", f"/organizations/org_X/customers/{customer_id}/"):
        assert requests.get(tenant.server.url + path, headers=tenant.headers(),
                            timeout=5).status_code == 500
    assert requests.get(f"{tenant.server.url}/customers", headers=tenant.headers(),
                        timeout=5).status_code == 200


def test_organization_prefixed_requests_match_a_plain_path(tenant):
    tenant.admin.add_fault(match={"method": "POST", "path": "/customers"}, status=503, times=1)

    response = requests.post(f"{tenant.server.url}/organizations/org_1/customers/", json={},
                             headers=tenant.headers(), timeout=5)

    assert response.status_code == 503


def test_rules_belong_to_their_namespace_unless_global(tenant, server):
    other = Tenant(server)
    tenant.admin.add_fault(match={"path": "/customers"}, status=503)

    assert other.create().status_code == 201
    global_rule = other.admin.add_fault(match={"path": "/customers"}, status=504,
                                        global_rule=True)
    assert Tenant(server).create().status_code == 504
    assert tenant.create().status_code == 503, "a namespace's own rules come first"
    other.admin.delete_fault(global_rule["id"])
    assert Tenant(server).create().status_code == 201


def test_admin_routes_are_never_faulted(tenant):
    tenant.admin.add_fault(status=500)

    health = requests.get(f"{tenant.server.url}/__admin/health", headers=tenant.headers(),
                          timeout=5)
    assert health.status_code == 200
    assert len(tenant.admin.faults()) == 1
    assert tenant.create().status_code == 500


@pytest.mark.parametrize("rule, field", [
    ({"match": {"methd": "POST"}, "status": 503}, "match.methd"),
    ({"match": {"method": "FETCH"}, "status": 503}, "match.method"),
    ({"match": {"path": "customers"}, "status": 503}, "match.path"),
    ({"status": 700}, "status"),
    ({"status": "503"}, "status"),
    ({"network": "explode"}, "network"),
    ({"status": 503, "network": "reset"}, "network"),
    ({"afterCommit": True, "delay": 10}, "afterCommit"),
    ({"status": 503, "probability": 1.5}, "probability"),
    ({"status": 503, "seed": 3}, "seed"),
    ({"delay": "slow"}, "delay"),
    ({"delay": {"min": 10}}, "delay.max"),
    ({"times": 1}, "status"),
    ({"status": 503, "times": 0}, "times"),
    ({"status": 503, "expiresInSeconds": -1}, "expiresInSeconds"),
    ({"status": 503, "color": "red"}, "color"),
])
def test_invalid_rules_are_rejected_with_the_field(tenant, rule, field):
    # Raw JSON, not the client: some of these rules have members no client keyword sends.
    response = requests.post(f"{tenant.server.url}/__admin/faults", json=rule,
                             headers=tenant.headers(), timeout=5)

    assert response.status_code == 422
    assert field in [entry["field"] for entry in response.json()["invalidFields"]]


def test_a_rule_without_namespace_or_global_is_refused(server):
    with pytest.raises(SandboxAPIError) as refused:
        SandboxClient(server.url, timeout=5).add_fault(status=503)

    assert refused.value.status == 400


def test_rules_are_listed_shown_and_deleted(tenant):
    first = tenant.admin.add_fault(match={"path": "/customers"}, status=503, times=3)
    tenant.admin.add_fault(match={"path": "/tokens"}, status=500)
    tenant.create()

    shown = tenant.admin.fault(first["id"])
    assert (shown["matched"], shown["fired"], shown["remaining"]) == (1, 1, 2)
    assert [rule["id"] for rule in tenant.admin.faults()][0] == first["id"]
    assert tenant.admin.delete_fault(first["id"]) is None
    with pytest.raises(SandboxAPIError) as gone:
        tenant.admin.fault(first["id"])
    assert gone.value.status == 404
    assert tenant.admin.clear_faults() == {"removed": 1}
    assert tenant.admin.reset()["faultRules"] == 0


@pytest.mark.parametrize("header, status", [
    ("status=503", 503), ("status=429", 429), ("delay=100", 201), ("delay=50;status=502", 502)])
def test_fault_header_fails_just_that_request(tenant, header, status):
    assert tenant.create(**{"X-Sandbox-Fault": header}).status_code == status
    assert tenant.create().status_code == 201


def test_fault_header_network_and_after_commit(tenant):
    with pytest.raises(requests.ConnectionError):
        tenant.create(**{"X-Sandbox-Fault": "network=reset"})
    assert tenant.create(**{"X-Sandbox-Fault": "status=500;afterCommit=true"}).status_code == 500
    assert tenant.count() == 1, "only the after-commit request stored its customer"


@pytest.mark.parametrize("header", ["status=99", "delay=soon", "network=explode",
                                    "afterCommit=true", "status=500;network=reset", "bogus"])
def test_an_unreadable_fault_header_is_a_400(tenant, header):
    response = tenant.create(**{"X-Sandbox-Fault": header})

    assert response.status_code == 400
    assert "X-Sandbox-Fault" in response.json()["detail"]
    assert tenant.count() == 0


@pytest.mark.parametrize("email, status, stored", [
    ("fault.status.503@example.com", 503, 0),
    ("fault.aftercommit.status.500@example.com", 500, 1),
    ("fault.delay.100@example.com", 201, 1),
    ("faulty@example.com", 201, 1),
])
def test_magic_email_addresses(tenant, email, status, stored):
    assert tenant.create({"email": email}).status_code == status
    assert tenant.count() == stored


def test_magic_email_in_the_primary_address(tenant):
    body = {"primaryAddress": {"emails": [{"label": "m", "value": "fault.status.502@example.com"}]}}

    assert tenant.create(body).status_code == 502


@pytest.mark.slow
def test_request_faults_can_be_switched_off(tmp_path: Path):
    sandbox = LiveSandbox(str(tmp_path / "db.json"), "--no-request-faults").start()
    try:
        tenant = Tenant(sandbox)
        assert tenant.create(**{"X-Sandbox-Fault": "status=503"}).status_code == 201
        assert tenant.create({"email": "fault.status.503@example.com"}).status_code == 201
    finally:
        sandbox.stop()


def test_journal_says_which_rule_fired(tenant):
    rule = tenant.admin.add_fault(match={"path": "/customers"}, status=503, times=1)
    tenant.create()
    tenant.create()

    entries = tenant.admin.requests()

    assert entries[0]["fault"] is None
    assert entries[1]["fault"] == {"source": "rule", "rule": rule["id"], "match": 1,
                                   "action": "status 503", "delayMs": None}
    assert entries[1]["status"] == 503 and entries[1]["stored"] is False
