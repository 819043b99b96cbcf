"""Checkout inputs at the edges: refund arithmetic on amounts of every size, query parameters
and fault-rule paths written with digits that are not ASCII, racing refunds and offsite updates.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
from helpers import (
    API_KEY,
    TRIGGER,
    WEBSITE,
    ApiClient,
    assert_problem,
    card,
    free_port,
    new_customer,
)

from rebilly_sandbox.admin.operations import deliver_webhooks, move_clock, webhook_tracking
from rebilly_sandbox.schemas.webhook import MAX_BODY_TEMPLATE
from rebilly_sandbox.services.events import DELIVERIES, MAX_RENDERED_BODY


def _sale(client, amount: float, pan: str | None = None) -> dict:
    customer = new_customer(client)
    response = client.post("/transactions", {
        "type": "sale", "websiteId": WEBSITE, "customerId": customer, "currency": "USD",
        "amount": amount, "paymentInstruction": card(pan) if pan else card()})
    assert response.status_code == 201
    return response.get_json()


def _refund(client, transaction_id: str, amount: float):
    return client.post(f"/transactions/{transaction_id}/refund", {"amount": amount})


# --- refund arithmetic ---------------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "first", "rest"), [
    (135229879868.29, 847.44, 135229879020.85),
    (835929338815.95, 432.77, 835929338383.18),
    (0.3, 0.1, 0.2),
])
def test_refunding_the_exact_remainder_of_a_payment_refunds_it_all(client, amount, first, rest):
    sale = _sale(client, amount)

    assert _refund(client, sale["id"], first).status_code == 201
    assert _refund(client, sale["id"], rest).status_code == 201

    assert client.get(f"/transactions/{sale['id']}").get_json()["status"] == "refunded"
    assert _refund(client, sale["id"], 0.01).status_code == 422


def test_a_payment_of_a_tiny_amount_can_be_refunded(client):
    sale = _sale(client, 1e-7)

    assert _refund(client, sale["id"], 1e-7).status_code == 201
    assert client.get(f"/transactions/{sale['id']}").get_json()["status"] == "refunded"


def test_an_over_refund_names_what_is_left_in_plain_digits(client):
    sale = _sale(client, 135229879868.29)

    response = _refund(client, sale["id"], 135229879868.3)

    assert response.status_code == 422
    assert response.get_json()["invalidFields"] == [{
        "field": "amount", "message": "At most 135229879868.29 USD is left to refund."}]


def test_refunds_racing_for_the_remainder_never_refund_more_than_was_paid(app, client):
    sale = _sale(client, 10)
    statuses: list[int] = []

    def refund() -> None:
        statuses.append(_refund(ApiClient(app.test_client()), sale["id"], 6).status_code)

    threads = [threading.Thread(target=refund) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] + [422] * 5
    parent = client.get(f"/transactions/{sale['id']}").get_json()
    assert parent["status"] == "partially-refunded" and len(parent["childTransactions"]) == 1


def test_offsite_updates_racing_finish_the_payment_once(app, client):
    waiting = _sale(client, 10, TRIGGER)
    statuses: list[int] = []

    def update(result: str) -> None:
        statuses.append(ApiClient(app.test_client()).post(
            f"/transactions/{waiting['id']}/update", {"result": result}).status_code)

    threads = [threading.Thread(target=update, args=(result,))
               for result in ("approved", "declined") * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] + [409] * 5


# --- digits that are not ASCII -------------------------------------------------------------------

@pytest.mark.parametrize("parameter", ["limit", "offset"])
@pytest.mark.parametrize("digit", ["\u00b2", "\u0663", "\uff11"])  # superscript, Arabic, fullwidth
def test_a_tracking_page_parameter_in_other_digits_is_a_422(client, parameter, digit):
    response = client.get(f"/tracking/webhooks?{parameter}={digit}")

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["field"] == parameter


def test_a_fault_rule_with_a_superscript_digit_in_its_body_path_never_fails_a_request(client):
    rule = client.post("/__admin/faults", {"match": {"body": {"tags.\u00b2.name": "vip"}},
                                           "status": 503})
    assert rule.status_code == 201

    response = client.post("/customers", {"tags": [{"name": "vip", "type": "customer"}]})

    assert response.status_code == 201


def test_an_unknown_tracking_entry_is_a_404_problem(client):
    assert_problem(client.post("/tracking/webhooks/hook_log_nope/resend"), 404)


# --- the clock moved back ------------------------------------------------------------------------

@pytest.fixture
def app_config():
    return {"webhook_attempts": 1, "webhook_timeout": 2}


def test_deliveries_written_before_the_clock_moved_back_still_go_at_once_and_in_order(app,
                                                                                     client):
    state = app.extensions["sandbox"]
    namespace = state.namespace_for(API_KEY).id
    hook = client.post("/webhooks", {"method": "POST", "url": f"http://127.0.0.1:{free_port()}/",
                                     "credentialHash": "none",
                                     "eventsFilter": ["customer-created"]})
    assert hook.status_code == 201
    move_clock(state, namespace, "freeze", at=datetime(2031, 1, 1, tzinfo=timezone.utc))
    first = new_customer(client)
    move_clock(state, namespace, "freeze", at=datetime(2030, 1, 1, tzinfo=timezone.utc))
    second = new_customer(client)

    tally = deliver_webhooks(state, namespace)

    assert tally["pending"] == 0 and tally["attempts"] == 2
    entries = webhook_tracking(state, namespace)
    assert [entry["entityId"] for entry in reversed(entries)] == [first, second]


# --- webhook body templates ----------------------------------------------------------------------

def test_a_body_template_cannot_render_past_its_limit(app, client):
    template = "{{transaction}}" * (MAX_BODY_TEMPLATE // len("{{transaction}}"))
    hook = client.post("/webhooks", {"method": "POST", "url": f"http://127.0.0.1:{free_port()}/",
                                     "credentialHash": "none", "body": template,
                                     "eventsFilter": ["transaction-processed"]})
    assert hook.status_code == 201

    _sale(client, 10)

    state = app.extensions["sandbox"]
    with state.store.transaction() as tx:
        bodies = [delivery["body"] for delivery in
                  tx.all(state.namespace_for(API_KEY).id, DELIVERIES)]
    assert len(bodies) == 1
    assert MAX_RENDERED_BODY // 2 < len(bodies[0]) <= MAX_RENDERED_BODY
