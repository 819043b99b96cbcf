"""Amounts too large for a float: a 422 naming ``amount`` wherever an amount is taken, with
nothing stored, and the same for every other number a request may carry."""

from __future__ import annotations

import pytest
from helpers import PROBLEM_KEYS, TRIGGER, WEBSITE, card, new_customer, stored
from test_admin import Admin

from rebilly_sandbox.schemas.transaction import MAX_AMOUNT

#: Integers no float holds (``float(10**400)`` overflows), and the first one past the limit.
HUGE = [pytest.param(10**400, id="10**400"), pytest.param(-(10**400), id="-10**400"),
        pytest.param(10**309, id="10**309"), pytest.param(MAX_AMOUNT + 1, id="max+1")]


def assert_refused_naming(response, field: str = "amount") -> None:
    """A 422 problem body in Rebilly's shape whose only invalid field is ``field``."""
    assert response.status_code == 422, response.get_json()
    assert response.headers["Content-Type"] == "application/json"
    body = response.get_json()
    assert PROBLEM_KEYS <= body.keys()
    assert body["status"] == 422
    assert [entry["field"] for entry in body["invalidFields"]] == [field]
    assert all(entry["message"] for entry in body["invalidFields"])


def _sale(client, amount, pan: str | None = None):
    return client.post("/transactions", {
        "type": "sale", "websiteId": WEBSITE, "customerId": new_customer(client),
        "currency": "USD", "amount": amount, "paymentInstruction": card(pan) if pan else card()})


@pytest.mark.parametrize("amount", HUGE)
def test_a_huge_payment_amount_is_a_422_and_stores_nothing(app, client, amount):
    response = _sale(client, amount)

    assert_refused_naming(response)
    expected = f"at most {MAX_AMOUNT}" if amount > 0 else "greater than 0"
    assert expected in response.get_json()["invalidFields"][0]["message"]
    assert stored(app, "transactions") == 0


@pytest.mark.parametrize("amount", HUGE)
def test_a_huge_refund_amount_is_a_422_and_refunds_nothing(app, client, amount):
    sale = _sale(client, 10).get_json()

    assert_refused_naming(client.post(f"/transactions/{sale['id']}/refund", {"amount": amount}))

    assert stored(app, "transactions") == 1
    assert client.get(f"/transactions/{sale['id']}").get_json()["status"] == "completed"


@pytest.mark.parametrize("amount", HUGE)
def test_a_huge_offsite_update_amount_is_a_422_and_finishes_nothing(app, client, amount):
    waiting = _sale(client, 10, TRIGGER).get_json()
    assert waiting["status"] == "waiting-approval"

    response = client.post(f"/transactions/{waiting['id']}/update",
                           {"result": "approved", "amount": amount})

    assert_refused_naming(response)
    assert client.get(f"/transactions/{waiting['id']}").get_json()["status"] == \
        "waiting-approval"
    assert stored(app, "transactions") == 1


def _fixture_set(*transactions: dict) -> dict:
    return {"customers": [{"id": "cus_big", "email": "big@example.com"}],
            "paymentInstruments": [{"id": "inst_big", "customerId": "cus_big",
                                    "method": "payment-card", "pan": "4111111111111111",
                                    "cvv": "123", "expMonth": 12, "expYear": 2030,
                                    "billingAddress": {"firstName": "Ada"}}],
            "transactions": list(transactions)}


def _fixture_sale(transaction_id: str, amount, instruction: dict | None = None,
                  **extra) -> dict:
    return {"id": transaction_id, "type": "sale", "customerId": "cus_big", "websiteId": WEBSITE,
            "currency": "USD", "amount": amount,
            "paymentInstruction": instruction or {"paymentInstrumentId": "inst_big"}, **extra}


@pytest.mark.parametrize(("transactions", "field"), [
    pytest.param([_fixture_sale("txn_big", 10**400)], "transactions.0.amount", id="sale"),
    pytest.param([_fixture_sale("txn_ok", 10),
                  {"type": "refund", "parentTransactionId": "txn_ok", "amount": 10**400}],
                 "transactions.1.amount", id="refund"),
    pytest.param([_fixture_sale("txn_wait", 10, card(TRIGGER),
                                approval={"result": "approved", "amount": 10**400})],
                 "transactions.0.approval.amount", id="approval"),
])
def test_a_huge_amount_in_a_fixture_set_loads_nothing(app, transactions, field):
    data = _fixture_set(*transactions)

    response = Admin(app.test_client()).post("/fixtures", data)

    assert_refused_naming(response, field)
    for kind in ("customers", "payment-instruments", "transactions"):
        assert stored(app, kind) == 0, kind


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/clock", {"action": "advance", "seconds": 10**400}, "seconds"),
    ("/faults", {"status": 503, "delaySeconds": 10**400}, "delaySeconds"),
    ("/faults", {"status": 503, "probability": 10**400}, "probability"),
    ("/faults", {"status": 503, "expiresInSeconds": 10**400}, "expiresInSeconds"),
    ("/faults", {"status": 503, "delay": 10**400}, "delay"),
    ("/faults", {"status": 10**400}, "status"),
])
def test_other_huge_numbers_are_a_422_naming_their_field(app, path, body, field):
    response = Admin(app.test_client()).post(path, body)

    assert_refused_naming(response, field)


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/payment-instruments", {"method": "payment-card", "pan": "4111111111111111",
                              "expMonth": 10**400, "expYear": 2030,
                              "billingAddress": {"firstName": "Ada"}}, "expMonth"),
    ("/tokens", {"method": "payment-card", "paymentInstrument": {
        "pan": "4111111111111111", "expMonth": 12, "expYear": 10**400}},
     "paymentInstrument.expYear"),
])
def test_huge_numbers_in_card_fields_are_a_422(app, client, path, body, field):
    if path == "/payment-instruments":
        body = {**body, "customerId": new_customer(client)}

    response = client.post(path, body)

    assert_refused_naming(response, field)
    assert stored(app, "payment-instruments") == 0
