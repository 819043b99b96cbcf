"""Webhook delivery to a real local receiver: headers, auth, acknowledgement, retries on the
sandbox clock, resend, preview, timeouts, redirects, the allow-list and namespace isolation."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from rebilly_sandbox.testing import LiveServer, SandboxNamespace, SandboxServer, new_api_key
from rebilly_sandbox.version import __version__
from rebilly_sandbox.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.served

SETTINGS = {"webhook_attempts": 3, "webhook_backoff_seconds": 10, "webhook_timeout": 1}


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with LiveServer(SETTINGS) as live:
        yield SandboxServer(live.url, live=live)


@pytest.fixture
def sandbox(server: SandboxServer) -> SandboxNamespace:
    namespace = SandboxNamespace(server, new_api_key())
    namespace.freeze_clock("2030-01-01T00:00:00Z")
    return namespace


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiving:
        yield receiving


def create_customer(sandbox: SandboxNamespace, **fields: Any) -> dict[str, Any]:
    answer = requests.post(f"{sandbox.url}/customers", headers=sandbox.headers, timeout=10,
                           json={"primaryAddress": {"firstName": "Ada", "lastName": "L"},
                                 **fields})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_new_customer_reaches_the_receiver_with_the_sandbox_headers(sandbox, receiver):
    receiver.register(sandbox, events=["customer-created"],
                      headers=[{"name": "X-Shop-Secret", "value": "abc"},
                               {"name": "X-Off", "value": "no", "status": "inactive"}])
    customer = create_customer(sandbox)

    [payload] = receiver.wait_for("customer-created", sandbox=sandbox)
    assert payload["customerId"] == customer["id"]
    assert payload["_embedded"]["customer"]["id"] == customer["id"]
    [received] = receiver.requests
    assert received.method == "POST" and received.path == "/webhooks"
    assert received.headers["Content-Type"] == "application/json; charset=utf-8"
    assert received.headers["User-Agent"] == f"rebilly-sandbox/{__version__}"
    assert received.headers["X-Shop-Secret"] == "abc" and "X-Off" not in received.headers
    assert "Authorization" not in received.headers


def test_basic_auth_comes_from_the_credential_and_the_log_hides_it(sandbox, receiver):
    receiver.register(sandbox, events=["customer-created"],
                      auth={"type": "basic", "username": "shop", "password": "s3cret"})
    create_customer(sandbox)
    receiver.wait_for("customer-created", sandbox=sandbox)

    sent = receiver.requests[0].headers["Authorization"]
    assert sent == "Basic " + base64.b64encode(b"shop:s3cret").decode()
    [entry] = sandbox.client.webhook_tracking()
    assert entry["requestHeaders"]["Authorization"] == "Basic [redacted]"
    assert entry["status"] == 200 and entry["attempt"] == 1 and entry["source"] == "webhooks"


def test_digest_auth_answers_the_receivers_challenge(sandbox, receiver):
    receiver.register(sandbox, events=["customer-created"],
                      auth={"type": "digest", "username": "shop", "password": "s3cret"})
    receiver.respond_with(401, times=1, challenge='Digest realm="shop", nonce="abc123", '
                                                  'qop="auth"')
    create_customer(sandbox)
    receiver.wait_for("customer-created", count=2, sandbox=sandbox)

    first, second = receiver.requests
    assert "Authorization" not in first.headers
    assert second.headers["Authorization"].startswith('Digest username="shop", realm="shop"')
    assert 's3cret' not in second.headers["Authorization"]


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_any_2xx_acknowledges(sandbox, receiver, status):
    receiver.respond_with(status)
    receiver.register(sandbox, events=["customer-created"])
    create_customer(sandbox)
    counts = sandbox.client.deliver_webhooks()

    assert counts == {"attempts": 1, "delivered": 1, "failed": 0, "pending": 0}


def test_a_failed_attempt_is_retried_when_the_clock_moves_then_failed(sandbox, receiver):
    receiver.respond_with(503)
    receiver.register(sandbox, events=["customer-created"])
    create_customer(sandbox)
    assert sandbox.client.deliver_webhooks()["attempts"] == 1

    assert sandbox.client.deliver_webhooks()["attempts"] == 1  # not due yet: 10 s later
    sandbox.advance_clock(9)
    assert sandbox.client.deliver_webhooks()["attempts"] == 1
    sandbox.advance_clock(1)
    assert sandbox.client.deliver_webhooks() == {"attempts": 2, "delivered": 0, "failed": 0,
                                                 "pending": 1}
    sandbox.advance_clock(20)  # backoff doubles: 20 s before the third and last attempt
    assert sandbox.client.deliver_webhooks() == {"attempts": 3, "delivered": 0, "failed": 1,
                                                 "pending": 0}
    entries = sandbox.client.webhook_tracking()
    assert [entry["attempt"] for entry in entries] == [3, 2, 1]
    assert {entry["status"] for entry in entries} == {503}
    assert len(receiver.requests) == 3


def test_a_retry_succeeds_once_the_receiver_recovers(sandbox, receiver):
    receiver.respond_with(500, times=1)
    receiver.register(sandbox, events=["customer-created"])
    create_customer(sandbox)
    sandbox.client.deliver_webhooks()
    sandbox.advance_clock(10)

    assert sandbox.client.deliver_webhooks()["delivered"] == 1
    assert [entry["status"] for entry in sandbox.client.webhook_tracking()] == [200, 500]


def test_the_tracking_routes_answer_the_log_and_resend_sends_again(sandbox, receiver):
    receiver.register(sandbox, events=["customer-created"])
    create_customer(sandbox)
    receiver.wait_for("customer-created", sandbox=sandbox)
    listed = requests.get(f"{sandbox.url}/tracking/webhooks", headers=sandbox.headers,
                          timeout=10)
    assert listed.status_code == 200 and listed.headers["Pagination-Total"] == "1"
    [entry] = listed.json()
    one = requests.get(f"{sandbox.url}/tracking/webhooks/{entry['id']}",
                       headers=sandbox.headers, timeout=10)
    assert one.status_code == 200 and one.json() == entry
    assert entry["id"].startswith("hook_log_") and entry["eventType"] == "customer-created"

    resent = requests.post(f"{sandbox.url}/tracking/webhooks/{entry['id']}/resend",
                           headers=sandbox.headers, timeout=10)
    assert resent.status_code == 204
    receiver.wait_for("customer-created", count=2, sandbox=sandbox)
    assert [item["attempt"] for item in sandbox.client.webhook_tracking()] == [2, 1]
    sorted_page = requests.get(f"{sandbox.url}/tracking/webhooks", headers=sandbox.headers,
                               params={"sort": "attempt", "filter": "eventType:customer-created",
                                       "q": "customer"}, timeout=10)
    assert [item["attempt"] for item in sorted_page.json()] == [1, 2]


def test_unknown_tracking_entries_and_bad_pages_are_problems(sandbox):
    for method, path in (("GET", "/tracking/webhooks/hook_log_nope"),
                         ("POST", "/tracking/webhooks/hook_log_nope/resend")):
        answer = requests.request(method, sandbox.url + path, headers=sandbox.headers,
                                  timeout=10)
        assert answer.status_code == 404 and answer.json()["status"] == 404
    bad = requests.get(f"{sandbox.url}/tracking/webhooks?limit=-1", headers=sandbox.headers,
                       timeout=10)
    assert bad.status_code == 422
    assert bad.json()["invalidFields"][0]["field"] == "limit"


def test_a_preview_sends_one_sample_delivery(sandbox, receiver):
    credential = requests.post(f"{sandbox.url}/service-credentials/webhook",
                               headers=sandbox.headers, timeout=10,
                               json={"host": "127.0.0.1", "auth": {"type": "none"}}).json()
    answer = requests.post(f"{sandbox.url}/previews/webhooks", headers=sandbox.headers,
                           timeout=10,
                           json={"method": "PUT", "url": receiver.url,
                                 "credentialHash": credential["id"],
                                 "eventsFilter": ["transaction-processed"]})
    assert answer.status_code == 204

    [payload] = receiver.wait_for("transaction-processed", sandbox=sandbox)
    assert payload["preview"] is True and payload["transactionId"].startswith("preview_")
    assert receiver.requests[0].method == "PUT"
    bad = requests.post(f"{sandbox.url}/previews/webhooks", headers=sandbox.headers,
                        timeout=10, json={"method": "POST"})
    assert bad.status_code == 422


def test_a_receiver_that_hangs_costs_one_timeout_per_attempt(sandbox, receiver):
    receiver.respond_with(200, times=1, hang_seconds=3)
    receiver.register(sandbox, events=["customer-created"])
    create_customer(sandbox)
    counts = sandbox.client.deliver_webhooks()

    assert counts["attempts"] == 1 and counts["pending"] == 1
    [entry] = sandbox.client.webhook_tracking()
    assert entry["status"] == 0 and entry["response"].startswith("Not answered")


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(sandbox, receiver):
    receiver.respond_with(302, times=1)
    receiver.register(sandbox, events=["customer-created"])
    create_customer(sandbox)

    assert sandbox.client.deliver_webhooks()["delivered"] == 0
    assert len(receiver.requests) == 1
    assert sandbox.client.webhook_tracking()[0]["status"] == 302


def test_one_namespace_never_receives_anothers_events(server, sandbox, receiver):
    other = SandboxNamespace(server, new_api_key())
    with WebhookReceiver() as others:
        receiver.register(sandbox, events=["customer-created"])
        others.register(other, events=["customer-created"])
        mine = create_customer(sandbox)
        server.client_for(None).deliver_webhooks()

        assert [r.json()["customerId"] for r in receiver.requests] == [mine["id"]]
        assert others.requests == []
        assert other.client.webhook_tracking() == []


def test_the_allow_list_refuses_other_hosts_without_sending():
    with LiveServer({"webhook_allow": ("hooks.example.com", "10.0.0.0/8")}) as live, \
            WebhookReceiver() as receiver:
        sandbox = SandboxNamespace(SandboxServer(live.url, live=live), new_api_key())
        receiver.register(sandbox, events=["customer-created"])
        create_customer(sandbox)

        assert sandbox.client.deliver_webhooks()["failed"] == 1
        assert receiver.requests == []
        [entry] = sandbox.client.webhook_tracking()
        assert entry["status"] == 0 and "--webhook-allow" in entry["response"]
