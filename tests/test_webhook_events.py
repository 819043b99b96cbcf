"""Events written as webhook deliveries: fired by the routes that cause them, in causal order, in
the same store transaction as the change (nothing is written for a change that rolled back)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import API_KEY, OTHER_KEY

from rebilly_sandbox.services import events
from rebilly_sandbox.services.customers import create_customer

WEBSITE = "web_0YV7DE4Z26DQSA1AC92FBJ7SEG"
APPROVED = "4111111111111111"
DECLINED = "4000000000000002"
TRIGGER = "4000000000003220"


def card(pan: str = APPROVED) -> dict[str, Any]:
    return {"method": "payment-card", "pan": pan, "expMonth": 12, "expYear": 2040, "cvv": "123"}


def register(client, **changes: Any) -> dict[str, Any]:
    response = client.post("/webhooks", {"method": "POST", "url": "https://hooks.example.com/in",
                                         "credentialHash": "crd_x", **changes})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def deliveries(app, key: str = API_KEY) -> list[dict[str, Any]]:
    state = app.extensions["sandbox"]
    with state.store.transaction() as tx:
        return tx.all(state.namespace_for(key).id, events.DELIVERIES)


def event_types(app, key: str = API_KEY) -> list[str]:
    return [delivery["eventType"] for delivery in deliveries(app, key)]


def payloads(app, event_type: str) -> list[dict[str, Any]]:
    return [json.loads(delivery["body"]) for delivery in deliveries(app)
            if delivery["eventType"] == event_type]


def new_customer(client, email: str = "ann@example.com") -> dict[str, Any]:
    response = client.post("/customers", {"email": email, "websiteId": WEBSITE})
    assert response.status_code == 201
    return response.get_json()


def sale(client, customer_id: str, pan: str = APPROVED, **changes: Any) -> dict[str, Any]:
    response = client.post("/transactions", {"type": "sale", "customerId": customer_id,
                                              "websiteId": WEBSITE, "currency": "USD",
                                              "amount": 10, "paymentInstruction": card(pan),
                                              **changes})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_nothing_is_written_without_a_webhook(app, client):
    sale(client, new_customer(client)["id"])
    assert deliveries(app) == []


def test_a_delivery_holds_what_the_delivery_worker_needs(app, client):
    hook = register(client, headers=[{"name": "X-Secret", "value": "a"},
                                     {"name": "X-Off", "value": "b", "status": "inactive"}],
                    method="PUT", credentialHash="crd_abc")
    customer = new_customer(client)
    [delivery] = deliveries(app)
    assert delivery["id"].startswith("whd_")
    assert {key: delivery[key] for key in ("webhookId", "eventType", "entityId", "method", "url",
                                           "headers", "credentialId", "attempt", "state")} == {
        "webhookId": hook["id"], "eventType": "customer-created", "entityId": customer["id"],
        "method": "PUT", "url": "https://hooks.example.com/in",
        "headers": [{"name": "X-Secret", "value": "a"}], "credentialId": "crd_abc",
        "attempt": 0, "state": "pending"}
    assert delivery["dueTime"] == delivery["createdTime"]


def test_customer_events_carry_the_customer_as_a_get_shows_it(app, client):
    register(client)
    customer = new_customer(client)
    client.request("PUT", f"/customers/{customer['id']}",
                   json={"email": "bob@example.com", "websiteId": WEBSITE})
    client.request("PUT", "/customers/cus-chosen", json={"websiteId": WEBSITE})
    assert event_types(app) == ["customer-created", "customer-updated", "customer-created"]
    created, updated = payloads(app, "customer-created")[0], payloads(app, "customer-updated")[0]
    assert created["customerId"] == customer["id"]
    assert created["_embedded"]["customer"] == customer
    assert created["_links"] == [{"rel": "customer", "href": customer["_links"][0]["href"]}]
    assert created["_links"][0]["href"].startswith("http://localhost/customers/")
    assert updated["_embedded"]["customer"] == client.get(
        f"/customers/{customer['id']}").get_json()


def test_a_merge_announces_the_target_updated(app, client):
    source, target = new_customer(client), new_customer(client, "tom@example.com")
    register(client)
    merged = client.request("DELETE", f"/customers/{source['id']}?targetCustomerId={target['id']}")
    assert merged.status_code == 204
    [update] = payloads(app, "customer-updated")
    assert update["customerId"] == target["id"]
    assert update["_embedded"]["customer"]["revision"] == target["revision"] + 1


def test_an_approved_sale_announces_in_causal_order(app, client):
    register(client)
    customer = new_customer(client)
    transaction = sale(client, customer["id"])
    assert event_types(app) == ["customer-created", "payment-card-created",
                                "payment-instrument-modified", "transaction-processed"]
    [processed] = payloads(app, "transaction-processed")
    assert processed["transactionId"] == transaction["id"]
    assert processed["eventType"] == "transaction-processed"
    assert processed["_embedded"]["transaction"] == client.get(
        f"/transactions/{transaction['id']}").get_json()
    assert processed["_links"] == [{"rel": "transaction",
                                    "href": f"http://localhost/transactions/{transaction['id']}"}]
    [card_created] = payloads(app, "payment-card-created")
    instrument_id = transaction["paymentInstrument"]["paymentInstrumentId"]
    assert card_created["paymentCardId"] == instrument_id
    assert card_created["_embedded"]["paymentCard"]["status"] == "inactive"
    [modified] = payloads(app, "payment-instrument-modified")
    assert modified["paymentInstrumentId"] == instrument_id
    assert modified["_embedded"]["paymentInstrument"] == client.get(
        f"/payment-instruments/{instrument_id}").get_json()


def test_a_sale_that_upserts_its_customer_announces_the_customer_first(app, client):
    register(client)
    sale(client, "cus-new", upsertCustomer=True)
    assert event_types(app)[0] == "customer-created"
    assert event_types(app)[-1] == "transaction-processed"


def test_a_decline_announces_processed_then_declined(app, client):
    register(client)
    transaction = sale(client, new_customer(client)["id"], DECLINED)
    assert transaction["result"] == "declined"
    assert event_types(app)[-2:] == ["transaction-processed", "transaction-declined"]
    assert "payment-instrument-modified" not in event_types(app)
    [declined] = payloads(app, "transaction-declined")
    assert declined["_embedded"]["transaction"]["result"] == "declined"


def test_an_offsite_flow_announces_only_when_it_ends(app, client):
    register(client)
    waiting = sale(client, new_customer(client)["id"], TRIGGER)
    assert waiting["status"] == "waiting-approval"
    assert "transaction-processed" not in event_types(app)
    finished = client.post(f"/transactions/{waiting['id']}/update", {"result": "approved"})
    assert finished.status_code == 200
    assert event_types(app)[-2:] == ["transaction-processed", "offsite-payment-completed"]
    [completed] = payloads(app, "offsite-payment-completed")
    assert completed["transactionId"] == waiting["id"]
    assert completed["_embedded"]["transaction"]["result"] == "approved"


def test_events_fired_from_the_approval_page_link_by_absolute_url(app, client):
    register(client)
    waiting = sale(client, new_customer(client)["id"], TRIGGER)
    [page] = [link["href"] for link in waiting["_links"] if link["rel"] == "approvalUrl"]

    answer = app.test_client().post(page, data={"result": "approved"})

    assert answer.status_code == 200
    [completed] = payloads(app, "offsite-payment-completed")
    hrefs = [link["href"] for link in completed["_links"]]
    assert hrefs and all(href.startswith("http://localhost/") for href in hrefs), hrefs


def test_refunds_and_voids_announce_the_parent_with_the_child(app, client):
    customer_id = new_customer(client)["id"]
    paid = sale(client, customer_id, amount=10)
    register(client)
    part = client.post(f"/transactions/{paid['id']}/refund", {"amount": 4}).get_json()
    rest = client.post(f"/transactions/{paid['id']}/refund", {"amount": 6}).get_json()
    authorization = client.post("/transactions", {
        "type": "authorize", "customerId": customer_id, "websiteId": WEBSITE, "currency": "EUR",
        "amount": 5, "paymentInstruction": card()}).get_json()
    void = client.post(f"/transactions/{authorization['id']}/refund", {"amount": 5}).get_json()
    assert [kind for kind in event_types(app) if "refund" in kind or "void" in kind] == [
        "transaction-partially-refunded", "transaction-refunded", "transaction-voided"]
    for event_type, parent_id, child in (("transaction-partially-refunded", paid["id"], part),
                                         ("transaction-refunded", paid["id"], rest),
                                         ("transaction-voided", authorization["id"], void)):
        [payload] = payloads(app, event_type)
        assert payload["transactionId"] == parent_id
        assert payload["_embedded"]["childTransaction"] == child
        assert payload["_embedded"]["transaction"]["id"] == parent_id
        assert [link["rel"] for link in payload["_links"]] == ["transaction", "childTransaction"]
    [full] = payloads(app, "transaction-refunded")
    assert full["_embedded"]["transaction"]["status"] == "refunded"


def test_patch_and_deactivation_announce_the_instrument_modified(app, client):
    transaction = sale(client, new_customer(client)["id"])
    instrument_id = transaction["paymentInstrument"]["paymentInstrumentId"]
    register(client)
    assert client.request("PATCH", f"/payment-instruments/{instrument_id}",
                          json={"customFields": {"a": "b"}}).status_code == 200
    assert client.post(f"/payment-instruments/{instrument_id}/deactivation",
                       {}).status_code in (200, 201)
    assert event_types(app) == ["payment-instrument-modified", "payment-instrument-modified"]
    assert payloads(app, "payment-instrument-modified")[1]["_embedded"]["paymentInstrument"][
        "status"] == "deactivated"


def test_events_filter_and_filter_choose_the_webhooks(app, client):
    only_declines = register(client, eventsFilter=["transaction-declined"])
    big_ones = register(client, eventsFilter=["transaction-processed"], filter="amount:50..")
    everything = register(client)
    inactive = register(client, status="inactive")
    customer_id = new_customer(client)["id"]
    sale(client, customer_id, amount=10)
    sale(client, customer_id, amount=80)
    sale(client, customer_id, DECLINED, amount=5)
    by_hook: dict[str, list[str]] = {}
    for delivery in deliveries(app):
        by_hook.setdefault(delivery["webhookId"], []).append(delivery["eventType"])
    assert by_hook[only_declines["id"]] == ["transaction-declined"]
    assert by_hook[big_ones["id"]] == ["transaction-processed"]
    assert by_hook[everything["id"]].count("transaction-processed") == 3
    assert inactive["id"] not in by_hook


def test_a_filter_on_a_field_the_event_lacks_lets_nothing_through(app, client):
    register(client, filter="result:declined")
    customer_id = new_customer(client)["id"]
    sale(client, customer_id, DECLINED)
    assert event_types(app) == ["transaction-processed", "transaction-declined"]


def test_a_body_template_renders_placeholders_and_unknown_ones_as_empty(app, client):
    register(client, eventsFilter=["customer-created"],
             body='{"type":"{{eventType}}","id":"{{customerId}}","email":"{{customer.email}}",'
                  '"nope":"{{customer.nothing}}","tags":{{customer.tags}}}')
    customer = new_customer(client)
    [delivery] = deliveries(app)
    assert json.loads(delivery["body"]) == {"type": "customer-created", "id": customer["id"],
                                            "email": "ann@example.com", "nope": "", "tags": []}


def test_another_namespace_gets_no_delivery_for_these_events(app, client):
    register(client.with_key(OTHER_KEY))
    sale(client, new_customer(client)["id"])
    assert deliveries(app, OTHER_KEY) == []
    register(client)
    new_customer(client, "eve@example.com")
    assert event_types(app) == ["customer-created"]
    assert deliveries(app, OTHER_KEY) == []


def test_a_change_refused_later_in_its_transaction_leaves_no_delivery(app, client):
    register(client)
    refused = client.post("/transactions", {
        "type": "sale", "customerId": "cus-upserted", "upsertCustomer": True,
        "websiteId": WEBSITE, "currency": "USD", "amount": 10,
        "paymentInstruction": {"paymentInstrumentId": "inst_nope"}})
    assert refused.status_code == 422
    assert client.get("/customers/cus-upserted").status_code == 404
    assert deliveries(app) == []


def test_a_write_the_disk_refuses_leaves_no_delivery(tmp_path):
    from rebilly_sandbox import create_app
    from rebilly_sandbox.store import WriteFailed

    app = create_app({"db": str(tmp_path / "db.json")})
    state = app.extensions["sandbox"]
    try:
        ctx = state.context(state.namespace_for(API_KEY).id)
        with state.store.transaction() as tx:
            tx.insert(ctx.namespace, events.WEBHOOKS, {
                "id": "hook_1", "status": "active", "eventsFilter": [], "method": "POST",
                "url": "https://h.example/", "headers": [], "credentialHash": "c",
                "body": None, "filter": None})

        def refuse(changes):
            raise OSError(28, "No space left on device")
        wal = state.store.wal
        original = wal.append
        wal.append = refuse
        try:
            with pytest.raises(WriteFailed):
                create_customer(ctx, {"websiteId": WEBSITE})
        finally:
            wal.append = original
        assert state.store.count(ctx.namespace, events.DELIVERIES) == 0
        assert state.store.count(ctx.namespace, "customers") == 0
    finally:
        state.close()


def test_the_outbox_is_told_of_each_delivery_written(app, client):
    register(client)
    register(client)
    state = app.extensions["sandbox"]
    ctx = state.context(state.namespace_for(API_KEY).id)
    told: list[tuple[str, str, str]] = []
    ctx.outbox = lambda *delivery: told.append(delivery)
    customer = create_customer(ctx, {"websiteId": WEBSITE})
    written = deliveries(app)
    assert [delivery_id for _, delivery_id, _ in told] == [d["id"] for d in written]
    assert {namespace for namespace, _, _ in told} == {ctx.namespace}
    assert [due for _, _, due in told] == [d["dueTime"] for d in written]
    assert all(d["entityId"] == customer["id"] for d in written)
    # Outside a request, links are paths from the API root.
    assert json.loads(written[0]["body"])["_links"][0]["href"] == f"/customers/{customer['id']}"
