"""The per-namespace cap on waiting webhook deliveries (``--webhook-max-pending``): a receiver
that is down cannot make a namespace's queue grow without bound."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import API_KEY, OTHER_KEY, free_port

from rebilly_sandbox.services import events

ADMIN = {"REB-APIKEY": API_KEY}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"webhook_max_pending": 2, "webhook_attempts": 5, "webhook_backoff_seconds": 10}


def register_unreachable_webhook(client) -> None:
    """A webhook to a local port nothing listens on: every attempt fails at once."""
    credential = client.post("/service-credentials/webhook", {
        "type": "webhook", "host": "127.0.0.1", "auth": {"type": "none"}}).get_json()
    created = client.post("/webhooks", {"method": "POST",
                                        "url": f"http://127.0.0.1:{free_port()}/down",
                                        "credentialHash": credential["id"],
                                        "eventsFilter": ["customer-created"]})
    assert created.status_code == 201, created.get_json()


def deliveries(app, key: str = API_KEY) -> list[dict[str, Any]]:
    state = app.extensions["sandbox"]
    with state.store.transaction() as tx:
        return tx.all(state.namespace_for(key).id, events.DELIVERIES)


def deliver_due(admin, headers: dict[str, str] = ADMIN) -> dict[str, int]:
    answer = admin.post("/__admin/webhooks/deliver", headers=headers)
    assert answer.status_code == 200
    return answer.get_json()


def test_a_delivery_beyond_the_cap_is_failed_at_once_and_the_waiting_ones_are_kept(app, client):
    admin = app.test_client()
    assert admin.post("/__admin/clock", headers=ADMIN, json={
        "action": "freeze", "time": "2030-01-01T00:00:00Z"}).status_code == 200
    register_unreachable_webhook(client)

    for email in ("one@example.com", "two@example.com"):
        assert client.post("/customers", {"email": email}).status_code == 201
        deliver_due(admin)  # its first attempt fails; the retry waits on the frozen clock
    third = client.post("/customers", {"email": "three@example.com"})

    assert third.status_code == 201, "the request that caused it is never refused"
    first, second, refused = deliveries(app)
    assert refused["entityId"] == third.get_json()["id"]
    assert (refused["state"], refused["attempt"]) == ("failed", 0), "never sent"
    assert "--webhook-max-pending" in refused["failureReason"]
    assert [(d["state"], d["attempt"]) for d in (first, second)] == [("pending", 1)] * 2
    assert deliver_due(admin) == {"attempts": 2, "delivered": 0, "failed": 1, "pending": 2}

    assert admin.post("/__admin/clock", headers=ADMIN, json={
        "action": "advance", "seconds": 10}).status_code == 200
    counts = deliver_due(admin)
    assert (counts["attempts"], counts["pending"]) == (4, 2), "the waiting ones are retried"


def test_the_cap_counts_each_namespace_apart(app, client):
    admin = app.test_client()
    for key in (API_KEY, OTHER_KEY):
        assert admin.post("/__admin/clock", headers={"REB-APIKEY": key}, json={
            "action": "freeze", "time": "2030-01-01T00:00:00Z"}).status_code == 200
    register_unreachable_webhook(client)
    register_unreachable_webhook(client.with_key(OTHER_KEY))

    for email in ("one@example.com", "two@example.com"):
        client.post("/customers", {"email": email})
        deliver_due(admin)
    client.with_key(OTHER_KEY).post("/customers", {"email": "other@example.com"})

    assert deliver_due(admin, {"REB-APIKEY": OTHER_KEY})["pending"] == 1
    assert [d["state"] for d in deliveries(app, OTHER_KEY)] == ["pending"]
