"""Answers and rules held to Rebilly's definitions where the sandbox once answered otherwise.

A transaction with no parent leaves ``parentTransactionId`` out (the member is not nullable); a
customer's tax number ``value`` is any string, as the definitions have it; and a 429's
``Retry-After`` is the seconds until the window ends, never more than the window.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import API_KEY, TRIGGER, WEBSITE, card, new_customer
from test_openapi import assert_conforms

from rebilly_sandbox.services.transactions import TRANSACTIONS

ASTRAL = "GB\U0001f600\U00010348"


@pytest.fixture
def document(app) -> dict[str, Any]:
    return app.test_client().get("/__admin/openapi.json").get_json()


def charge(client, customer_id: str, *, kind: str = "sale", pan: str = "4111111111111111"):
    response = client.post("/transactions", {
        "type": kind, "websiteId": WEBSITE, "customerId": customer_id, "currency": "USD",
        "amount": 10, "paymentInstruction": card(pan)})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response


# -- parentTransactionId ----------------------------------------------------------------------

@pytest.mark.parametrize("kind, pan", [("sale", "4111111111111111"),
                                       ("sale", "4000000000000002"), ("sale", TRIGGER),
                                       ("authorize", "4111111111111111"),
                                       ("setup", "4111111111111111")])
def test_a_transaction_without_a_parent_leaves_parenttransactionid_out(client, kind, pan):
    created = charge(client, new_customer(client), kind=kind, pan=pan).get_json()
    transaction_id = created["id"]
    answers = [created, client.get(f"/transactions/{transaction_id}").get_json(),
               client.get("/transactions").get_json()[0],
               client.request("PATCH", f"/transactions/{transaction_id}",
                              json={"customFields": {"a": "b"}}).get_json()]

    for answer in answers:
        assert answer["id"] == transaction_id
        assert "parentTransactionId" not in answer
        assert "parentTransaction" not in {link["rel"] for link in answer["_links"]}


def test_a_refund_and_a_capture_still_name_their_parent(client):
    customer_id = new_customer(client)
    sale = charge(client, customer_id).get_json()
    authorization = charge(client, customer_id, kind="authorize").get_json()

    refund = client.post(f"/transactions/{sale['id']}/refund", {"amount": 1}).get_json()
    capture = charge(client, customer_id).get_json()

    assert refund["parentTransactionId"] == sale["id"]
    assert (capture["type"], capture["parentTransactionId"]) == ("capture", authorization["id"])
    expanded = client.get(f"/transactions/{refund['id']}?expand=parentTransaction").get_json()
    assert "parentTransactionId" not in expanded["_embedded"]["parentTransaction"]


def test_a_transaction_stored_with_a_null_parent_is_answered_without_it(app, client):
    transaction_id = charge(client, new_customer(client)).get_json()["id"]
    state = app.extensions["sandbox"]
    namespace = state.namespace_for(API_KEY).id
    with state.store.transaction() as tx:
        stored = tx.get(namespace, TRANSACTIONS, transaction_id)
        tx.put(namespace, TRANSACTIONS, {**stored, "parentTransactionId": None})

    assert "parentTransactionId" not in client.get(f"/transactions/{transaction_id}").get_json()


def test_the_openapi_document_makes_parenttransactionid_a_string_that_may_be_absent(
        client, document):
    answers = [document["paths"]["/transactions"]["post"]["responses"]["201"],
               document["paths"]["/transactions/{transaction_id}"]["get"]["responses"]["200"]]

    for answer in answers:
        schema = answer["content"]["application/json"]["schema"]
        assert schema["properties"]["parentTransactionId"]["type"] == "string"
        assert "parentTransactionId" not in schema["required"]

    customer_id = new_customer(client)
    sale = charge(client, customer_id)
    assert_conforms(document, "/transactions", "POST", sale)
    refund = client.post(f"/transactions/{sale.get_json()['id']}/refund", {"amount": 1})
    assert_conforms(document, "/transactions/{transaction_id}/refund", "POST", refund)


# -- tax numbers ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["", ASTRAL, "\U0001f600", "9" * 256, " "])
def test_a_tax_number_value_is_any_string(client, value):
    tax_number = {"type": "other", "value": value, "isDefault": True}

    created = client.post("/customers", {"taxNumbers": [tax_number]})

    assert created.status_code == 201, created.get_data(as_text=True)
    customer_id = created.get_json()["id"]
    assert created.get_json()["taxNumbers"] == [tax_number]
    assert client.get(f"/customers/{customer_id}").get_json()["taxNumbers"] == [tax_number]
    upserted = client.request("PUT", f"/customers/{customer_id}", json={
        "taxNumbers": [{"type": "eu-vat", "value": value}]})
    assert upserted.status_code == 200, upserted.get_data(as_text=True)
    assert upserted.get_json()["taxNumbers"][0]["value"] == value


@pytest.mark.parametrize("value, status", [(None, 422), (12, 422), (["GB1"], 422),
                                           ("GB\u0000", 400)])
def test_a_tax_number_value_must_still_be_a_string_without_nul(client, value, status):
    response = client.post("/customers", {"taxNumbers": [{"type": "eu-vat", "value": value}]})

    assert response.status_code == status
    if status == 422:
        assert [entry["field"] for entry in response.get_json()["invalidFields"]] == [
            "taxNumbers.0.value"]


def test_a_lone_surrogate_in_a_tax_number_is_refused_as_unstorable_text(client):
    response = client.post("/customers", data=b'{"taxNumbers": [{"type": "other", '
                                               b'"value": "GB\\ud800"}]}')

    assert response.status_code == 400
    assert "lone surrogate" in response.get_json()["detail"]


def test_the_openapi_document_sets_no_pattern_or_length_on_a_tax_number_value(document):
    value = document["components"]["schemas"]["TaxNumber"]["properties"]["value"]

    assert value.get("type") == "string"
    assert "pattern" not in value and "maxLength" not in value and "minLength" not in value


# -- Retry-After ------------------------------------------------------------------------------

def move_clock(client, **body: Any) -> None:
    assert client.post("/__admin/clock", body).status_code == 200


def refused_after(client, seconds: float):
    """Use up a window of 1 opened on a frozen clock, ``seconds`` later send one more."""
    move_clock(client, action="freeze", time="2030-01-01T00:00:00Z")
    assert client.post("/customers", {}).status_code == 201
    if seconds:
        move_clock(client, action="advance", seconds=seconds)
    return client.post("/customers", {})


@pytest.mark.parametrize("app_config", [{"rate_limit": 1, "rate_window": 600}])
@pytest.mark.parametrize("seconds, retry_after", [(0, 600), (0.25, 600), (1, 599), (300.5, 300),
                                                  (599, 1), (599.75, 1), (599.999, 1)])
def test_retry_after_is_the_rest_of_the_window_rounded_up(client, seconds, retry_after):
    refused = refused_after(client, seconds)

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == str(retry_after)
    window_end = 1_893_456_000 + 600  # 2030-01-01T00:00:00Z, as Unix time, plus the window
    assert refused.headers["X-RateLimit-Retry-After"] == str(window_end)


@pytest.mark.parametrize("app_config", [{"rate_limit": 1, "rate_window": 600}])
def test_a_request_after_retry_after_seconds_is_taken(client):
    refused = refused_after(client, 0.25)

    move_clock(client, action="advance", seconds=int(refused.headers["Retry-After"]) - 1)
    assert client.post("/customers", {}).status_code == 429
    move_clock(client, action="advance", seconds=1)
    assert client.post("/customers", {}).status_code == 201


@pytest.mark.parametrize("app_config", [{"rate_limit": 1, "rate_window": 1}])
@pytest.mark.parametrize("seconds", [0, 0.5, 0.999])
def test_retry_after_is_one_second_at_least(client, seconds):
    refused = refused_after(client, seconds)

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
