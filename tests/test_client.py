"""SandboxClient: every admin operation over real sockets, against the in-process LiveServer and
once against the command-line server; and LiveServer itself."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
import requests
from helpers import API_KEY, OTHER_KEY, LiveSandbox, free_port

from rebilly_sandbox import problems as server_errors
from rebilly_sandbox.client import (
    SandboxAPIError,
    SandboxClient,
    SandboxClientError,
    SandboxConnectionError,
)
from rebilly_sandbox.testing import LiveServer

pytestmark = pytest.mark.served


@pytest.fixture(scope="module")
def server():
    with LiveServer({"rate_limit": 0, "max_fault_seconds": 3}) as live:
        yield live


@pytest.fixture
def client(server):
    sandbox = SandboxClient(server.url, api_key=API_KEY)
    sandbox.reset()
    yield sandbox
    sandbox.reset()
    sandbox.close()


def create(server, body=None, key=API_KEY, **headers) -> requests.Response:
    return requests.post(f"{server.url}/customers", json=body or {}, timeout=5,
                         headers={"REB-APIKEY": key, **headers})


def test_health_and_wait_until_ready(client):
    assert client.health()["status"] == "ok"
    assert client.wait_until_ready(timeout=1)["store"] == "memory"


def test_wait_until_ready_gives_up_on_a_closed_port():
    client = SandboxClient(f"http://127.0.0.1:{free_port()}", timeout=0.5)

    started = time.monotonic()
    with pytest.raises(SandboxConnectionError, match="not ready within 0.3s"):
        client.wait_until_ready(timeout=0.3)
    assert time.monotonic() - started < 10  # only a client that never gives up takes this long


def test_reset_one_namespace_or_all(server, client):
    create(server)
    create(server, key=OTHER_KEY)

    assert client.reset()["removed"] == {"customers": 1}
    assert client.for_key(OTHER_KEY).reset(all_namespaces=True)["scope"] == "all"
    assert client.for_key(OTHER_KEY).export()["customers"] == []


def test_operations_on_one_namespace_need_a_key(server):
    keyless = SandboxClient(server.url)

    with pytest.raises(SandboxClientError, match="reset works on one namespace"):
        keyless.reset()
    with pytest.raises(SandboxClientError, match="api_key"):
        keyless.requests()


def test_fixtures_export_and_snapshots(server, client):
    assert "default" in [entry["name"] for entry in client.fixtures()]
    assert client.load_fixtures("default")["loaded"]["customers"] == 3
    assert client.load_fixtures(inline={"customers": [{"id": "mine-1"}]})["loaded"][
        "customers"] == 1
    assert len(client.export()["customers"]) == 4

    assert client.save_snapshot("before")["saved"]["customers"] == 4
    create(server)
    assert client.snapshots() == ["before"]
    assert client.restore_snapshot("before")["restored"]["customers"] == 4
    assert len(client.export()["customers"]) == 4
    assert client.delete_snapshot("before") is None
    assert client.snapshots() == []


def test_load_fixtures_takes_a_name_or_inline_data(client):
    with pytest.raises(ValueError):
        client.load_fixtures()
    with pytest.raises(ValueError):
        client.load_fixtures("default", inline={"customers": []})


def test_clock_accepts_datetimes_and_iso_text(server, client):
    frozen = client.freeze_clock(datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert (frozen["now"], frozen["frozen"], frozen["scope"]) == (
        "2030-01-01T00:00:00+00:00", True, "namespace")
    assert create(server).json()["createdTime"] == "2030-01-01T00:00:00+00:00"

    assert client.advance_clock(90)["now"] == "2030-01-01T00:01:30+00:00"
    assert client.set_clock("2031-06-01T12:00:00Z")["now"] == "2031-06-01T12:00:00+00:00"
    assert client.set_clock(datetime(2032, 2, 2))["now"] == "2032-02-02T00:00:00+00:00", \
        "a naive datetime is UTC"
    assert client.freeze_clock()["frozen"] is True
    assert client.clock()["frozen"] is True
    assert client.resume_clock()["frozen"] is False
    assert client.real_clock()["scope"] == "global"


def test_add_fault_spells_every_keyword_as_the_json_rule(server, client):
    rule = client.add_fault(match={"method": "PUT"}, network="hang", hang_seconds=0.5,
                            after_commit=True, times=2, skip=1, probability=1, seed=7,
                            expires_in_seconds=60)
    assert (rule["hangSeconds"], rule["afterCommit"], rule["times"], rule["skip"],
            rule["probability"], rule["seed"]) == (0.5, True, 2, 1, 1, 7)
    assert 0 < rule["expiresInSeconds"] <= 60 and rule["global"] is False
    answered = client.add_fault(match={"path": "/customers"}, status=429, times=1,
                                body={"title": "Slow down"}, headers={"Retry-After": "2"},
                                delay=10)

    response = create(server)

    assert response.status_code == 429
    assert response.json() == {"title": "Slow down"}
    assert response.headers["Retry-After"] == "2"
    assert client.fault(answered["id"])["fired"] == 1
    assert [r["id"] for r in client.faults()] == [rule["id"], answered["id"]]
    assert client.delete_fault(rule["id"]) is None
    assert client.clear_faults() == {"removed": 1}
    assert client.faults() == []


def test_a_global_rule_reaches_every_namespace(server, client):
    rule = client.add_fault(match={"path": "/customers"}, status=503, times=1, global_rule=True)
    assert rule["global"] is True

    assert create(server, key=OTHER_KEY).status_code == 503
    assert SandboxClient(server.url).clear_faults() == {"removed": 1}


def test_the_request_journal_filters_and_clears(server, client):
    create(server, {"email": "a@example.com"})
    create(server, {"email": "bad"})
    requests.get(f"{server.url}/customers/nope", headers={"REB-APIKEY": API_KEY}, timeout=5)

    assert [(e["method"], e["status"]) for e in client.requests()] == [
        ("GET", 404), ("POST", 422), ("POST", 201)]
    assert [e["status"] for e in client.requests(method="POST", status=422)] == [422]
    assert len(client.requests(path="/customers/", limit=5)) == 1
    assert len(client.requests(limit=2)) == 2
    assert client.clear_requests() == {"cleared": 3}
    assert client.requests() == []


def test_an_error_answer_carries_the_problem(client):
    with pytest.raises(SandboxAPIError) as caught:
        client.add_fault(status=503, times=0)

    error = caught.value
    assert error.status == 422
    assert error.problem["title"] == "Validation error"
    assert error.invalid_fields == [{"field": "times", "message": error.invalid_fields[0][
        "message"]}]
    assert str(error).startswith("422 Validation error on POST /__admin/faults: times:")
    assert isinstance(error, SandboxClientError)
    assert not isinstance(error, server_errors.SandboxError)


def test_not_found_names_the_route(client):
    with pytest.raises(SandboxAPIError, match=r"404 Not Found on POST "
                                              r"/__admin/snapshots/nothing/restore: No snapshot"):
        client.restore_snapshot("nothing")
    with pytest.raises(SandboxAPIError) as caught:
        client.fault("flt_missing")
    assert caught.value.status == 404 and caught.value.invalid_fields == []


def test_a_body_that_is_not_a_problem_still_makes_a_readable_error():
    answer = requests.Response()
    answer.status_code, answer.reason, answer._content = 502, "Bad Gateway", b"upstream down"
    session = requests.Session()
    session.request = lambda *args, **kwargs: answer

    with pytest.raises(SandboxAPIError, match="502 Bad Gateway on GET /__admin/health: "
                                              "upstream down") as caught:
        SandboxClient("http://sandbox.invalid", session=session).health()
    assert caught.value.problem["status"] == 502


def test_the_admin_token_goes_in_authorization():
    with LiveServer({"admin_token": "s3cret"}) as live:
        with pytest.raises(SandboxAPIError) as caught:
            SandboxClient(live.url).faults()
        assert caught.value.status == 401
        assert SandboxClient(live.url, admin_token="s3cret").faults() == []
        assert SandboxClient(live.url).health()["status"] == "ok", "health needs no token"


def test_every_operation_against_the_command_line_server():
    live = LiveSandbox("memory").start()
    try:
        client = SandboxClient(live.url, api_key=API_KEY)
        assert client.wait_until_ready()["status"] == "ok"
        client.load_fixtures("default")
        client.save_snapshot("s")
        client.reset()
        assert client.restore_snapshot("s")["restored"]["customers"] == 3
        client.freeze_clock("2030-01-01T00:00:00Z")
        client.add_fault(match={"path": "/customers"}, status=503, times=1)
        assert live.post("/customers", {}).status_code == 503
        created = live.post("/customers", {})
        assert created.json()["createdTime"] == "2030-01-01T00:00:00+00:00"
        assert [e["status"] for e in client.requests(method="POST")] == [201, 503]
        assert client.requests()[1]["fault"]["action"] == "status 503"
        assert client.faults()[0]["remaining"] == 0
        assert len(client.export()["customers"]) == 4
    finally:
        live.stop()


def test_live_server_serves_until_stopped_and_closes_its_store():
    live = LiveServer()
    assert requests.get(f"{live.url}/__admin/health", timeout=5).status_code == 200
    assert live.url == f"http://127.0.0.1:{live.port}"

    live.stop()
    live.stop()  # idempotent

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{live.url}/__admin/health", timeout=1)


@pytest.mark.slow
def test_a_delayed_request_holds_up_nothing_else(server, client):
    client.add_fault(match={"path": "/customers", "method": "POST"}, delay=3000, times=1)
    finished: list[int] = []
    slow = threading.Thread(target=lambda: finished.append(create(server).status_code))

    slow.start()
    time.sleep(0.1)  # lets the delayed create reach the server; no assertion rests on it
    fast = requests.get(f"{server.url}/customers", headers={"REB-APIKEY": API_KEY}, timeout=5)
    answered_first = finished == []
    slow.join(timeout=10)

    assert fast.status_code == 200
    assert answered_first, "the read was answered while the delayed create waited"
    assert finished == [201]


def test_live_server_settings_apply():
    with LiveServer({"strict": True}) as live:
        response = create(live, {"colour": "red"})
    assert response.status_code == 422
