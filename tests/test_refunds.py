"""POST /transactions/{id}/refund: refunds of sales and captures, voids of authorizations."""

from __future__ import annotations

import pytest
from test_transactions import TRIGGER, card, charge, new_customer


def refund(client, transaction_id: str, amount, **extra):
    return client.post(f"/transactions/{transaction_id}/refund", {"amount": amount, **extra})


def test_partial_then_full_refund(client):
    customer_id = new_customer(client)
    sale = charge(client, customer_id, amount=30).get_json()

    partial = refund(client, sale["id"], 10, description="damaged")

    assert partial.status_code == 201
    child = partial.get_json()
    assert partial.headers["Location"] == f"http://localhost/transactions/{child['id']}"
    assert (child["type"], child["status"], child["result"]) == ("refund", "completed",
                                                                 "approved")
    assert child["parentTransactionId"] == sale["id"]
    assert child["description"] == "damaged"
    for member in ("customerId", "websiteId", "currency", "paymentInstrument"):
        assert child[member] == sale[member], member
    parent = client.get(f"/transactions/{sale['id']}").get_json()
    assert parent["status"] == "partially-refunded"
    assert parent["childTransactions"] == [child["id"]]
    assert parent["revision"] == 2
    customer = client.get(f"/customers/{customer_id}").get_json()
    assert customer["paymentCount"] == 1
    assert customer["lifetimeRevenue"]["amount"] == 20

    rest = refund(client, sale["id"], 20, expand="ignored").get_json()

    parent = client.get(f"/transactions/{sale['id']}").get_json()
    assert parent["status"] == "refunded"
    assert parent["childTransactions"] == [child["id"], rest["id"]]
    assert client.get(f"/customers/{customer_id}").get_json()["lifetimeRevenue"]["amount"] == 0
    again = refund(client, sale["id"], 1)
    assert again.status_code == 422
    assert again.get_json()["invalidFields"][0]["field"] == "amount"


def test_refund_expands_the_updated_parent(client):
    sale = charge(client, new_customer(client), amount=8).get_json()

    child = client.post(f"/transactions/{sale['id']}/refund?expand=parentTransaction",
                        {"amount": 8}).get_json()

    assert child["_embedded"]["parentTransaction"]["status"] == "refunded"


def test_over_refund_is_a_422_on_amount_and_changes_nothing(client):
    sale = charge(client, new_customer(client), amount=5).get_json()
    refund(client, sale["id"], 3)

    response = refund(client, sale["id"], 2.01)

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["field"] == "amount"
    parent = client.get(f"/transactions/{sale['id']}").get_json()
    assert (parent["status"], len(parent["childTransactions"])) == ("partially-refunded", 1)


def test_refund_of_a_declined_or_waiting_transaction_is_a_422(client):
    customer_id = new_customer(client)
    declined = charge(client, customer_id, instruction=card("4000000000000002")).get_json()
    waiting = charge(client, customer_id, instruction=card(TRIGGER)).get_json()

    for transaction in (declined, waiting):
        response = refund(client, transaction["id"], 1)
        assert response.status_code == 422
        assert response.get_json()["invalidFields"][0]["field"] == "amount"


def test_refund_of_a_refund_is_a_422(client):
    sale = charge(client, new_customer(client), amount=5).get_json()
    child = refund(client, sale["id"], 5).get_json()

    assert refund(client, child["id"], 1).status_code == 422


@pytest.mark.parametrize("amount", [0, -1, "1", None])
def test_bad_amounts_are_a_422(client, amount):
    sale = charge(client, new_customer(client), amount=5).get_json()

    response = refund(client, sale["id"], amount)

    assert response.status_code == 422
    assert client.get(f"/transactions/{sale['id']}").get_json()["status"] == "completed"


def test_refund_of_an_unknown_transaction_is_a_404(client):
    assert refund(client, "txn_missing", 1).status_code == 404


def test_authorize_then_void(client):
    customer_id = new_customer(client)
    authorization = charge(client, customer_id, kind="authorize", amount=25).get_json()

    assert refund(client, authorization["id"], 10).status_code == 422
    void = refund(client, authorization["id"], 25)

    assert void.status_code == 201
    assert void.get_json()["type"] == "void"
    parent = client.get(f"/transactions/{authorization['id']}").get_json()
    assert parent["status"] == "voided"
    assert refund(client, authorization["id"], 25).status_code == 422
    instrument = {"paymentInstrumentId": authorization["paymentInstrument"]["paymentInstrumentId"]}
    assert charge(client, customer_id, amount=5, instruction=instrument
                  ).get_json()["type"] == "sale"
    assert client.get(f"/customers/{customer_id}").get_json()["lifetimeRevenue"]["amount"] == 5


def test_a_captured_authorization_cannot_be_voided_but_its_capture_refunds(client):
    customer_id = new_customer(client)
    authorization = charge(client, customer_id, kind="authorize", amount=25).get_json()
    instrument = {"paymentInstrumentId": authorization["paymentInstrument"]["paymentInstrumentId"]}
    capture = charge(client, customer_id, amount=25, instruction=instrument).get_json()

    assert refund(client, authorization["id"], 25).status_code == 422
    assert refund(client, capture["id"], 25).status_code == 201
    assert client.get(f"/transactions/{capture['id']}").get_json()["status"] == "refunded"
