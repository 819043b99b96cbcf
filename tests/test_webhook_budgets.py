"""What rendering and storing webhook deliveries may cost one namespace: a body template renders
in time bounded by its budget, a namespace's delivery bodies stay within
``--webhook-max-stored-bytes`` whatever attempts are in flight, and its tracking log within
``tracking.MAX_BYTES``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from helpers import API_KEY, free_port

from rebilly_sandbox import create_app
from rebilly_sandbox.config import ConfigError, load_config
from rebilly_sandbox.schemas.webhook import MAX_BODY_TEMPLATE
from rebilly_sandbox.services import events, retention, tracking
from rebilly_sandbox.testing import LiveServer, SandboxNamespace, SandboxServer, new_api_key
from rebilly_sandbox.webhook_receiver import WebhookReceiver

ADMIN = {"REB-APIKEY": API_KEY}
#: The template that cost the most before rendering had a budget: 64 KiB of one placeholder.
WORST_TEMPLATE = "{{customer}}" * (MAX_BODY_TEMPLATE // len("{{customer}}"))
#: A customer of some 30 KiB, so each ``{{customer}}`` is worth encoding.
BIG_CUSTOMER = {"email": "big@example.com",
                "customFields": {"notes": [{f"k{n}": "v" * 40 for n in range(700)}]}}
BUDGET = 8_000


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"webhook_max_stored_bytes": BUDGET, "rate_limit": 0}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiving:
        yield receiving


def freeze_clock(app) -> None:
    """Failed attempts then wait for a retry that never comes due: they stay pending."""
    answer = app.test_client().post("/__admin/clock", headers=ADMIN, json={
        "action": "freeze", "time": "2030-01-01T00:00:00Z"})
    assert answer.status_code == 200


def register(client, url: str | None = None, **webhook: Any) -> dict[str, Any]:
    """A webhook to ``url``, by default a local port nothing listens on."""
    created = client.post("/webhooks", {
        "method": "POST", "url": url or f"http://127.0.0.1:{free_port()}/down",
        "credentialHash": "none", "eventsFilter": ["customer-created"], **webhook})
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def create(client, email: str) -> None:
    assert client.post("/customers", {"email": email}).status_code == 201


def deliver_due(app) -> None:
    assert app.test_client().post("/__admin/webhooks/deliver", headers=ADMIN).status_code == 200


def stored(app, kind: str = events.DELIVERIES) -> list[dict[str, Any]]:
    state = app.extensions["sandbox"]
    with state.store.transaction() as tx:
        return tx.all(state.namespace_for(API_KEY).id, kind)


def body_bytes(deliveries: list[dict[str, Any]]) -> int:
    return sum(len(delivery["body"].encode()) for delivery in deliveries)


def assert_refused_for_room(delivery: dict[str, Any]) -> None:
    assert (delivery["state"], delivery["attempt"], delivery["body"]) == ("failed", 0, "")
    assert "--webhook-max-stored-bytes" in delivery["failureReason"]


# -- rendering ---------------------------------------------------------------------------------

def counting(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[Any]:
    """Replace ``owner.name`` by a wrapper that records each call's first argument."""
    calls: list[Any] = []
    wrapped = getattr(owner, name)

    def record(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0] if args else None)
        return wrapped(*args, **kwargs)
    monkeypatch.setattr(owner, name, record)
    return calls


def payload(**customer: Any) -> dict[str, Any]:
    return {"customerId": "cus_1", "eventType": "customer-created",
            "_embedded": {"customer": {"id": "cus_1", **customer}}, "_links": []}


def test_each_value_a_template_repeats_is_encoded_once(monkeypatch):
    encoded = counting(monkeypatch, events.json, "dumps")
    template = "{{customer}}" * 1000 + "{{customer.tags.0}}{{customer.tags.00}}"

    body = events.render_template(template, payload(tags=[{"name": "vip"}]))

    assert body.endswith('{"name":"vip"}{"name":"vip"}')
    assert len(encoded) == 2, "the customer once, and its first tag once for both paths"


def test_once_the_budget_is_spent_later_placeholders_render_empty_unread(monkeypatch):
    blob = "x" * (events.MAX_RENDERED_BODY * 3 // 5)
    looked_up = counting(monkeypatch, events, "_value_at")

    body = events.render_template("<{{customer.blob}}|{{customer.blob}}|{{eventType}}>",
                                  payload(blob=blob))

    assert body == f"<{blob}||>", "the second blob would not fit: it and all after it are empty"
    assert len(body) <= events.MAX_RENDERED_BODY
    assert len(looked_up) == 1, "the blob looked up once; eventType never"


def test_the_worst_template_renders_once_per_event_for_all_its_webhooks(app, client,
                                                                          monkeypatch):
    freeze_clock(app)
    for _ in range(5):
        register(client, body='{"customer":{{customer}}}')
    rendered = counting(monkeypatch, events, "_render")

    create(client, "ann@example.com")

    bodies = [delivery["body"] for delivery in stored(app)]
    assert len(bodies) == 5 and len(set(bodies)) == 1
    assert bodies[0].startswith('{"customer":{"id":"cus_')
    assert len(rendered) == 1


def test_a_tenant_with_25_worst_templates_holds_up_no_one(receiver):
    """Before rendering had a budget, this create took tens of seconds on the server's one
    thread, and every other tenant waited as long."""
    with LiveServer({"webhook_timeout": 1}) as live:
        server = SandboxServer(live.url, live=live)
        tenant_a = SandboxNamespace(server, new_api_key())
        tenant_b = SandboxNamespace(server, new_api_key())
        for _ in range(25):
            receiver.register(tenant_a, events=["customer-created"], body=WORST_TEMPLATE)
        answers: dict[str, tuple[int, float]] = {}

        def timed(name: str, method: str, namespace: SandboxNamespace, **kwargs: Any) -> None:
            started = time.monotonic()
            answer = requests.request(method, f"{namespace.url}/customers", timeout=120,
                                      headers=namespace.headers, **kwargs)
            answers[name] = (answer.status_code, time.monotonic() - started)

        creating = threading.Thread(target=timed, args=("a", "POST", tenant_a),
                                    kwargs={"json": BIG_CUSTOMER})
        creating.start()
        time.sleep(0.05)
        timed("b", "GET", tenant_b)
        creating.join()

    status_b, seconds_b = answers["b"]
    status_a, seconds_a = answers["a"]
    assert status_b == 200 and seconds_b < 2, answers
    assert status_a == 201 and seconds_a < 5, answers


# -- the byte budget of deliveries -------------------------------------------------------------

def test_a_namespace_never_holds_more_delivery_bytes_than_its_budget(app, client, caplog):
    freeze_clock(app)
    register(client)

    for n in range(30):
        create(client, f"customer{n}@example.com")
        assert body_bytes(stored(app)) <= BUDGET

    deliveries = stored(app)
    pending = [delivery for delivery in deliveries if delivery["state"] == "pending"]
    refused = [delivery for delivery in deliveries if delivery["state"] == "failed"]
    assert pending and all(delivery["body"] for delivery in pending)
    assert len(refused) == 30 - len(pending), "every create still stored its delivery"
    for delivery in refused:
        assert_refused_for_room(delivery)
    assert any("--webhook-max-stored-bytes" in record.getMessage()
               for record in caplog.records if record.levelno == logging.WARNING)


def test_a_template_that_cannot_fit_is_not_rendered(app, client, monkeypatch):
    freeze_clock(app)
    filler = "x" * (BUDGET // 2)
    register(client, body=f'{{"note":"{filler}","customer":{{{{customer}}}}}}')
    create(client, "first@example.com")
    looked_up = counting(monkeypatch, events, "_value_at")

    create(client, "second@example.com")

    first, second = stored(app)
    assert first["state"] == "pending" and len(first["body"]) > BUDGET // 2
    assert_refused_for_room(second)
    assert looked_up == [], "its text alone takes more than the room left: nothing was read"


def test_finished_deliveries_make_room_for_new_ones_while_one_is_held(app, client, receiver):
    freeze_clock(app)
    register(client, filter="email:held@example.com")  # nobody answers: held, pending
    register(client, url=receiver.url)
    create(client, "held@example.com")
    deliver_due(app)
    held = next(delivery for delivery in stored(app) if delivery["state"] == "pending")

    for n in range(15):
        create(client, f"customer{n}@example.com")
        deliver_due(app)
        assert body_bytes(stored(app)) <= BUDGET

    deliveries = stored(app)
    assert held["id"] in [delivery["id"] for delivery in deliveries], "pending: never forgotten"
    assert {delivery["state"] for delivery in deliveries} == {"pending", "delivered"}
    assert len(deliveries) < 16, "the oldest delivered ones were forgotten to make room"
    assert len(receiver.requests) == 16, "and none was refused"


def test_finished_deliveries_are_kept_to_their_count_while_nothing_finishes(app, client,
                                                                             monkeypatch):
    monkeypatch.setattr(retention, "MAX_FINISHED", 5)
    state = app.extensions["sandbox"]
    monkeypatch.setattr(state.deliveries, "max_pending", 1)
    freeze_clock(app)
    register(client)
    create(client, "first@example.com")
    deliver_due(app)  # its attempt failed: it waits for a retry that never comes due

    for n in range(20):
        create(client, f"customer{n}@example.com")

    deliveries = stored(app)
    finished = [delivery for delivery in deliveries if delivery["state"] != "pending"]
    assert len(finished) == 5
    assert all(delivery["body"] == "" and "--webhook-max-pending" in delivery["failureReason"]
               for delivery in finished), "refused: never sent, so no body kept"
    assert deliveries[0]["state"] == "pending", "the one waiting is never forgotten"


def test_a_preview_that_does_not_fit_is_failed_at_once(app, client):
    freeze_clock(app)
    register(client, body='{"note":"' + "x" * (BUDGET - 100) + '"}')
    create(client, "first@example.com")

    answer = client.post("/previews/webhooks", {
        "method": "POST", "url": f"http://127.0.0.1:{free_port()}/", "credentialHash": "none",
        "body": '{"note":"' + "y" * 200 + '"}'})

    assert answer.status_code == 204
    assert_refused_for_room(stored(app)[-1])


def test_a_restored_snapshot_is_counted_again(app, client):
    freeze_clock(app)
    register(client)
    for n in range(10):
        create(client, f"customer{n}@example.com")
    admin = app.test_client()
    assert admin.post("/__admin/snapshots/full", headers=ADMIN).status_code in (200, 201)
    assert admin.post("/__admin/reset", headers=ADMIN).status_code == 200
    freeze_clock(app)
    register(client)
    create(client, "after-reset@example.com")

    assert admin.post("/__admin/snapshots/full/restore", headers=ADMIN).status_code == 200
    for n in range(3):
        create(client, f"restored{n}@example.com")
        assert body_bytes(stored(app)) <= BUDGET
    assert_refused_for_room(stored(app)[-1])


def test_a_budget_below_one_byte_is_refused():
    with pytest.raises(ConfigError, match="webhook_max_stored_bytes"):
        load_config({"webhook_max_stored_bytes": 0})


def test_the_default_budget_is_the_settings():
    assert load_config()["webhook_max_stored_bytes"] == retention.DEFAULT_MAX_STORED_BYTES


# -- the tracking log --------------------------------------------------------------------------

def test_the_tracking_log_keeps_its_bytes_within_budget(receiver, monkeypatch):
    monkeypatch.setattr(tracking, "MAX_BYTES", 10_000)
    app = create_app({"db": "memory", "rate_limit": 0})
    try:
        client = app.test_client()
        created = client.post("/webhooks", headers=ADMIN, json={
            "method": "POST", "url": receiver.url, "credentialHash": "none",
            "eventsFilter": ["customer-created"]})
        assert created.status_code == 201
        for n in range(20):
            customer = client.post("/customers", headers=ADMIN,
                                   json={"email": f"customer{n}@example.com"}).get_json()
            deliver_due(app)
            entries = stored(app, tracking.TRACKING)
            assert sum(len(entry["request"].encode()) + len(entry["response"].encode())
                       for entry in entries) <= 10_000
    finally:
        app.extensions["sandbox"].close()

    assert entries[-1]["entityId"] == customer["id"], "the newest entry is kept"
    assert len(entries) < 20, "the oldest went first"
