"""A webhook handler that survives duplicate deliveries, tested the way an application would.

Rebilly may deliver an event more than once (a retry after a timeout, a resend), and the sandbox
can be told to (a `duplicate` delivery fault). Rebilly sends no delivery id, so the handler builds
its deduplication key from what every delivery carries: the event type and the embedded
resources as they stood when the event happened. A second delivery of the same event carries the
same key; two events of one resource differ in the resource's state (an `updatedTime`, a status,
an amount), and two with identical state are safe to handle once.
"""

import hashlib
import json

import requests


def delivery_key(body: bytes) -> str:
    """The event a delivery is about: its type and a digest of its embedded resources."""
    payload = json.loads(body)
    embedded = json.dumps(payload.get("_embedded", {}), sort_keys=True, separators=(",", ":"))
    return f"{payload['eventType']}:{hashlib.sha256(embedded.encode()).hexdigest()}"


class ShopHandler:
    """The shop's side: act on each event once, however often it arrives."""

    def __init__(self):
        self.seen = set()
        self.emails_sent = []

    def handle(self, body: bytes) -> None:
        key = delivery_key(body)
        if key in self.seen:
            return  # already handled: answer 2xx again, do nothing
        self.seen.add(key)
        payload = json.loads(body)
        self.emails_sent.append(payload["customerId"])


def test_a_duplicated_delivery_is_handled_once(sandbox, webhook_receiver):
    webhook_receiver.register(sandbox, events=["customer-created", "customer-updated"])
    sandbox.add_fault(on="delivery", delivery="duplicate", times=1)

    created = requests.post(f"{sandbox.url}/customers", headers=sandbox.headers, timeout=5,
                            json={"primaryAddress": {"firstName": "Ada", "lastName": "L"}})
    assert created.status_code == 201
    webhook_receiver.wait_for("customer-created", count=2)

    shop = ShopHandler()
    for request in webhook_receiver.requests:
        shop.handle(request.body)
    assert len(webhook_receiver.requests) == 2  # the same event, delivered twice
    assert shop.emails_sent == [created.json()["id"]]


def test_two_changes_of_one_customer_are_two_events(sandbox, webhook_receiver):
    webhook_receiver.register(sandbox, events=["customer-updated"])
    sandbox.freeze_clock("2030-01-01T00:00:00Z")  # both changes in the same second
    customer = requests.post(f"{sandbox.url}/customers", headers=sandbox.headers, timeout=5,
                             json={"primaryAddress": {"firstName": "Ada", "lastName": "L"}}).json()
    for name in ("Grace", "Edsger"):
        updated = requests.put(f"{sandbox.url}/customers/{customer['id']}",
                               headers=sandbox.headers, timeout=5,
                               json={"primaryAddress": {"firstName": name, "lastName": "L"}})
        assert updated.status_code == 200

    webhook_receiver.wait_for("customer-updated", count=2)
    keys = {delivery_key(request.body) for request in webhook_receiver.requests}
    assert len(webhook_receiver.requests) == 2 and len(keys) == 2
