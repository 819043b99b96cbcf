"""Delivery faults: rules with "on": "delivery" delay, duplicate, reorder, drop, or send a
malformed or truncated body; seeded rules pick the same attempts on every run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from rebilly_sandbox.testing import LiveServer, SandboxNamespace, SandboxServer, new_api_key
from rebilly_sandbox.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.served


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with LiveServer({"webhook_backoff_seconds": 10}) as live:
        yield SandboxServer(live.url, live=live)


@pytest.fixture
def sandbox(server: SandboxServer) -> SandboxNamespace:
    namespace = SandboxNamespace(server, new_api_key())
    namespace.freeze_clock("2030-01-01T00:00:00Z")
    return namespace


@pytest.fixture
def receiver(sandbox) -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiving:
        receiving.register(sandbox, events=["customer-created"])
        yield receiving


def create_customer(sandbox: SandboxNamespace, name: str = "Ada") -> str:
    answer = requests.post(f"{sandbox.url}/customers", headers=sandbox.headers, timeout=10,
                           json={"primaryAddress": {"firstName": name, "lastName": "L"}})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def delivery_fault(sandbox: SandboxNamespace, **rule: Any) -> dict[str, Any]:
    answer = requests.post(f"{sandbox.url}/__admin/faults", headers=sandbox.headers, timeout=10,
                           json={"on": "delivery", **rule})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_delay_delivers_late_by_sandbox_clock_seconds(sandbox, receiver):
    delivery_fault(sandbox, delivery="delay", delaySeconds=30, times=1)
    create_customer(sandbox)

    assert sandbox.client.deliver_webhooks()["pending"] == 1
    assert receiver.requests == []
    sandbox.advance_clock(30)
    assert sandbox.client.deliver_webhooks()["delivered"] == 1
    assert [entry["attempt"] for entry in sandbox.client.webhook_tracking()] == [1]


@pytest.mark.parametrize("spelling", ["delaySeconds", "delay_seconds"])
def test_the_helpers_make_a_delivery_rule_that_is_stored_and_fires(sandbox, receiver,
                                                                   spelling):
    rule = sandbox.add_fault(on="delivery", delivery="delay", times=1, **{spelling: 30})
    stored = sandbox.client.fault(rule["id"])
    assert (stored["on"], stored["delivery"], stored["delaySeconds"]) == ("delivery", "delay", 30)
    create_customer(sandbox)

    assert sandbox.client.deliver_webhooks()["pending"] == 1
    sandbox.advance_clock(30)
    assert sandbox.client.deliver_webhooks()["delivered"] == 1
    assert len(receiver.requests) == 1
    assert sandbox.client.fault(rule["id"])["fired"] == 1


def test_duplicate_delivers_twice(sandbox, receiver):
    delivery_fault(sandbox, delivery="duplicate", times=1)
    customer = create_customer(sandbox)

    payloads = receiver.wait_for("customer-created", count=2, sandbox=sandbox)
    assert [payload["customerId"] for payload in payloads] == [customer, customer]
    assert len(sandbox.client.webhook_tracking()) == 2


def test_reorder_delivers_the_held_event_after_a_later_one(sandbox, receiver):
    delivery_fault(sandbox, delivery="reorder", times=1)
    first, second = create_customer(sandbox, "First"), create_customer(sandbox, "Second")

    payloads = receiver.wait_for("customer-created", count=2, sandbox=sandbox)
    assert [payload["customerId"] for payload in payloads] == [second, first]


def test_drop_records_a_failed_attempt_without_sending_and_the_retry_delivers(sandbox,
                                                                              receiver):
    rule = delivery_fault(sandbox, delivery="drop", times=1)
    create_customer(sandbox)

    assert sandbox.client.deliver_webhooks()["pending"] == 1
    assert receiver.requests == []
    [entry] = sandbox.client.webhook_tracking()
    assert entry["status"] == 0 and rule["id"] in entry["response"]
    sandbox.advance_clock(10)
    assert sandbox.client.deliver_webhooks()["delivered"] == 1
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("kind", ["malformedBody", "truncateBody"])
def test_a_broken_body_does_not_parse(sandbox, receiver, kind):
    delivery_fault(sandbox, delivery=kind, match={"eventType": "customer-created",
                                                  "url": "http://127.0.0.1:*"})
    create_customer(sandbox)
    sandbox.client.deliver_webhooks()

    [received] = receiver.requests
    with pytest.raises(ValueError):
        json.loads(received.body)


def test_a_rule_for_another_event_or_url_does_not_fire(sandbox, receiver):
    delivery_fault(sandbox, delivery="drop", match={"eventType": "transaction-processed"})
    delivery_fault(sandbox, delivery="drop", match={"url": "https://elsewhere.example/*"})
    create_customer(sandbox)

    assert sandbox.client.deliver_webhooks()["delivered"] == 1


def _dropped_pattern(server: SandboxServer) -> list[int]:
    sandbox = SandboxNamespace(server, new_api_key())
    with WebhookReceiver() as receiver:
        receiver.register(sandbox, events=["customer-created"])
        delivery_fault(sandbox, delivery="drop", probability=0.5, seed=7)
        for number in range(8):
            create_customer(sandbox, f"C{number}")
            sandbox.client.deliver_webhooks()
        entries = sandbox.client.webhook_tracking()
    return [entry["status"] for entry in reversed(entries)]


def test_a_seeded_delivery_fault_repeats_exactly(server):
    first, second = _dropped_pattern(server), _dropped_pattern(server)

    assert first == second
    assert {0, 200} == set(first)


@pytest.mark.parametrize("rule, field", [
    ({"on": "delivery"}, "delivery"),
    ({"on": "delivery", "delivery": "delay"}, "delaySeconds"),
    ({"on": "delivery", "delivery": "drop", "status": 503}, "status"),
    ({"on": "delivery", "delivery": "drop", "match": {"path": "/customers"}}, "match"),
    ({"delivery": "drop"}, "delivery"),
    ({"status": 503, "match": {"eventType": "customer-created"}}, "match"),
    ({"on": "delivery", "delivery": "explode"}, "delivery"),
])
def test_an_incoherent_delivery_rule_is_a_422_naming_the_field(sandbox, rule, field):
    answer = requests.post(f"{sandbox.url}/__admin/faults", headers=sandbox.headers,
                           timeout=10, json=rule)
    assert answer.status_code == 422
    assert field in {entry["field"].split(".")[0] for entry in answer.json()["invalidFields"]}


def test_a_delivery_rule_never_touches_api_requests(sandbox):
    delivery_fault(sandbox, delivery="drop")
    create_customer(sandbox)
