"""Nullability as Rebilly defines it: null only where the type is nullable, in requests and answers.

A member whose type is not nullable is refused as null with a 422 naming it, and an answer never
holds null for it: the member is left out while it has no value (``websiteId`` of a customer,
``billingAddress`` of a token).
"""

from __future__ import annotations

import pytest
from helpers import stored

CARD = {"pan": "4111111111111111", "cvv": "123", "expMonth": 12, "expYear": 2030}


def invalid_fields(response) -> list[str]:
    assert response.status_code == 422, response.get_data(as_text=True)
    return [entry["field"] for entry in response.get_json()["invalidFields"]]


@pytest.mark.parametrize("body, field", [
    ({"websiteId": None}, "websiteId"),
    ({"paymentToken": None}, "paymentToken"),
    ({"notificationEmails": None}, "notificationEmails"),
    ({"customFields": None}, "customFields"),
    ({"tags": None}, "tags"),
    ({"leadSource": None}, "leadSource"),
    ({"isEddRequired": None}, "isEddRequired"),
    ({"primaryAddress": {"emails": None}}, "primaryAddress.emails"),
    ({"primaryAddress": {"phoneNumbers": None}}, "primaryAddress.phoneNumbers"),
    ({"primaryAddress": {"emails": [{"label": "main", "value": None}]}},
     "primaryAddress.emails.0.value"),
    ({"taxNumbers": [{"type": "eu-vat", "value": "GB1", "isDefault": None}]},
     "taxNumbers.0.isDefault"),
])
def test_null_for_a_member_that_is_not_nullable_is_a_422_naming_it(app, client, body, field):
    response = client.post("/customers", body)

    assert invalid_fields(response) == [field]
    assert stored(app) == 0


def test_null_for_a_member_that_is_not_nullable_is_refused_on_upsert_too(client):
    response = client.request("PUT", "/customers/cus-null", json={"websiteId": None})

    assert invalid_fields(response) == ["websiteId"]


@pytest.mark.parametrize("body, field", [
    ({"billingAddress": None}, "billingAddress"),
    ({"leadSource": None}, "leadSource"),
    ({"billingAddress": {"emails": None}}, "billingAddress.emails"),
    ({"paymentInstrument": {**CARD, "cvv": None}}, "paymentInstrument.cvv"),
])
def test_a_token_refuses_null_where_it_is_not_nullable(client, body, field):
    token = {"method": "payment-card", "paymentInstrument": CARD, **body}

    assert invalid_fields(client.post("/tokens", token)) == [field]


def test_null_stays_accepted_where_rebilly_allows_it(client):
    token = {"method": "payment-card", "paymentInstrument": {**CARD, "encryptedCvv": None},
             "riskMetadata": None}
    assert client.post("/tokens", token).status_code == 201
    customer = client.post("/customers", {
        "primaryAddress": None, "taxNumbers": None, "locale": None, "personId": None,
        "preferredPayoutInstrumentId": None, "defaultPaymentInstrumentId": None,
        "leadSource": {"medium": None, "source": "ads"}})
    assert customer.status_code == 201, customer.get_data(as_text=True)


def test_a_customer_without_a_website_leaves_websiteid_out_of_every_answer(client):
    created = client.post("/customers", {"email": "ada@example.com"})
    assert created.status_code == 201
    customer_id = created.get_json()["id"]
    answers = [
        created.get_json(),
        client.get(f"/customers/{customer_id}").get_json(),
        client.request("PUT", f"/customers/{customer_id}",
                       json={"email": "ada@example.com"}).get_json(),
        client.get("/customers").get_json()[0],
    ]

    for answer in answers:
        assert "websiteId" not in answer
        assert answer["email"] == "ada@example.com"


def test_a_customer_with_a_website_shows_it(client):
    created = client.post("/customers", {"websiteId": "web_1"}).get_json()

    assert created["websiteId"] == "web_1"
    assert client.get(f"/customers/{created['id']}").get_json()["websiteId"] == "web_1"


def test_a_token_without_a_billing_address_leaves_it_out(client):
    created = client.post("/tokens", {"method": "payment-card", "paymentInstrument": CARD})
    assert created.status_code == 201
    token_id = created.get_json()["id"]

    assert "billingAddress" not in created.get_json()
    assert "billingAddress" not in client.get(f"/tokens/{token_id}").get_json()


def test_the_openapi_document_says_which_members_are_nullable(app):
    schemas = app.test_client().get("/__admin/openapi.json").get_json()["components"]["schemas"]
    customer = schemas["CustomerResponse"]["properties"]
    token = schemas["TokenResponse"]["properties"]

    assert "'null'" not in str(customer["websiteId"])
    assert "websiteId" not in schemas["CustomerResponse"].get("required", [])
    assert "'null'" in str(customer["locale"])
    assert "billingAddress" not in schemas["TokenResponse"].get("required", [])
    assert "'null'" not in str(token["billingAddress"])
