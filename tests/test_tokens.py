"""Payment tokens: creation, brands, single use, expiry, the race, and redemption on customers."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
from conftest import API_KEY

PUBLISHABLE = "pk_sandbox" + API_KEY[len("sk_sandbox"):]


def card_token(client, pan="4111111111111111", headers=None, **extra):
    body = {"method": "payment-card",
            "paymentInstrument": {"pan": pan, "cvv": "123", "expMonth": 12, "expYear": 2030},
            **extra}
    return client.post("/tokens", body, headers=headers)


@pytest.fixture
def frozen_clock(app):
    clock = app.extensions["sandbox"].clock
    clock.freeze(datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc))
    return clock


def test_token_is_created_with_derived_card_fields(client, frozen_clock):
    response = card_token(client, billingAddress={"firstName": "Ada", "country": "GB"})

    assert response.status_code == 201
    token = response.get_json()
    assert re.fullmatch(r"tok_[0-9A-HJKMNP-TV-Z]{26}", token["id"])
    assert response.headers["Location"] == f"http://localhost/tokens/{token['id']}"
    assert response.headers["X-RateLimit-Remaining"] == "2999"
    assert token["paymentInstrument"] == {"bin": "411111", "last4": "1111", "brand": "Visa",
                                          "expMonth": 12, "expYear": 2030}
    assert token["isUsed"] is False and token["usageTime"] is None
    assert token["createdTime"] == "2030-01-01T12:00:00+00:00"
    assert token["expirationTime"] == "2030-01-01T12:30:00+00:00"
    assert token["billingAddress"]["firstName"] == "Ada"
    assert "pan" not in str(token) and "cvv" not in token["paymentInstrument"]


@pytest.mark.parametrize("pan, brand", [
    ("4111111111111111", "Visa"), ("4000000000000002", "Visa"),
    ("5555555555554444", "MasterCard"), ("5105105105105100", "MasterCard"),
    ("378282246310005", "American Express"), ("371449635398431", "American Express"),
    ("6011111111111117", "Discover"), ("6011000990139424", "Discover"),
    ("30569309025904", "Diners Club"), ("38520000023237", "Diners Club"),
    ("3530111333300000", "JCB"), ("3566002020360505", "JCB"),
    ("6253111111111114", "China UnionPay"), ("6243030000000001", "China UnionPay"),
    ("6759641111111119", "Maestro"), ("6771790000000018", "Maestro"),
])
def test_sandbox_test_cards_report_their_brand(client, pan, brand):
    token = card_token(client, pan=pan).get_json()

    assert token["paymentInstrument"]["brand"] == brand
    assert token["paymentInstrument"]["last4"] == pan[-4:]


@pytest.mark.parametrize("instrument, field", [
    ({"pan": "4111111111111112", "expMonth": 1, "expYear": 2030}, "paymentInstrument.pan"),
    ({"pan": "4111 1111 1111 1111", "expMonth": 1, "expYear": 2030}, "paymentInstrument.pan"),
    ({"pan": "41111", "expMonth": 1, "expYear": 2030}, "paymentInstrument.pan"),
    ({"expMonth": 1, "expYear": 2030}, "paymentInstrument.pan"),
    ({"pan": "4111111111111111", "expMonth": 13, "expYear": 2030}, "paymentInstrument.expMonth"),
    ({"pan": "4111111111111111", "expMonth": "1", "expYear": 2030}, "paymentInstrument.expMonth"),
    ({"pan": "4111111111111111", "expMonth": 1}, "paymentInstrument.expYear"),
    ({"pan": "4111111111111111", "expMonth": 1, "expYear": 2030, "cvv": "12"},
     "paymentInstrument.cvv"),
])
def test_bad_cards_are_422(client, instrument, field):
    response = client.post("/tokens", {"method": "payment-card", "paymentInstrument": instrument})

    assert response.status_code == 422
    assert field in [entry["field"] for entry in response.get_json()["invalidFields"]]


def test_other_methods_are_422(client):
    response = client.post("/tokens", {"method": "paypal", "paymentInstrument": {}})

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["field"] == "method"


def test_publishable_key_makes_tokens_the_secret_key_redeems(client):
    token = card_token(client.with_key(None), headers={"Authorization": PUBLISHABLE})
    assert token.status_code == 201

    fetched = client.with_key(None).get(f"/tokens/{token.get_json()['id']}",
                                        headers={"Authorization": PUBLISHABLE})
    assert fetched.status_code == 200
    customer = client.post("/customers", {"paymentToken": token.get_json()["id"]})
    assert customer.status_code == 201


def test_publishable_key_cannot_create_customers(client):
    response = client.with_key(None).post("/customers", {}, headers={"Authorization": PUBLISHABLE})

    assert response.status_code == 401


def test_unknown_token_is_404(client):
    response = client.get("/tokens/tok_missing")

    assert response.status_code == 404
    assert response.get_json()["title"] == "Not Found"


def test_redeeming_a_token_makes_the_default_instrument(client, app, frozen_clock):
    token = card_token(client, billingAddress={"firstName": "Bill", "city": "Paris"}).get_json()
    frozen_clock.advance(timedelta(minutes=1))

    response = client.post("/customers?expand=defaultPaymentInstrument",
                           {"paymentToken": token["id"], "email": "t@example.com"})

    assert response.status_code == 201
    customer = response.get_json()
    reference = customer["defaultPaymentInstrument"]
    assert reference["method"] == "payment-card"
    assert re.fullmatch(r"inst_[0-9A-HJKMNP-TV-Z]{26}", reference["paymentInstrumentId"])
    instrument = customer["_embedded"]["defaultPaymentInstrument"]
    assert instrument["id"] == reference["paymentInstrumentId"]
    assert instrument["customerId"] == customer["id"]
    assert instrument["last4"] == "1111" and instrument["brand"] == "Visa"
    assert instrument["billingAddress"]["city"] == "Paris"
    assert {"rel": "defaultPaymentInstrument",
            "href": f"http://localhost/payment-instruments/{reference['paymentInstrumentId']}"} \
        in customer["_links"]
    used = client.get(f"/tokens/{token['id']}").get_json()
    assert used["isUsed"] is True
    assert used["usageTime"] == "2030-01-01T12:01:00+00:00"


def test_instrument_is_billed_to_the_primary_address_without_a_token_address(client):
    token = card_token(client).get_json()

    customer = client.post("/customers?expand=defaultPaymentInstrument", {
        "paymentToken": token["id"],
        "primaryAddress": {"firstName": "Pri", "address": "1 Main St", "country": "US"},
    }).get_json()

    billing = customer["_embedded"]["defaultPaymentInstrument"]["billingAddress"]
    assert billing == customer["primaryAddress"]


def _customer_count(app) -> int:
    state = app.extensions["sandbox"]
    return state.store.count(state.namespace_for(API_KEY).id, "customers")


def test_a_used_token_is_refused_and_stores_nothing(client, app):
    token = card_token(client).get_json()
    assert client.post("/customers", {"paymentToken": token["id"]}).status_code == 201

    response = client.post("/customers", {"paymentToken": token["id"]})

    assert response.status_code == 422
    assert response.get_json()["invalidFields"] == [
        {"field": "paymentToken", "message": "This payment token has already been used."}]
    assert _customer_count(app) == 1


def test_an_expired_token_is_refused(client, app, frozen_clock):
    token = card_token(client).get_json()
    frozen_clock.advance(timedelta(minutes=30))

    response = client.post("/customers", {"paymentToken": token["id"]})

    assert response.status_code == 422
    assert "expired" in response.get_json()["invalidFields"][0]["message"]
    assert client.get(f"/tokens/{token['id']}").get_json()["isUsed"] is False
    assert _customer_count(app) == 0


def test_a_token_of_another_namespace_is_unknown(client):
    token = card_token(client.with_key("sk_sandbox_someone_else")).get_json()

    response = client.post("/customers", {"paymentToken": token["id"]})

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["message"] == \
        "No payment token with this id exists."


def test_the_token_wins_over_default_payment_instrument_id(client):
    token = card_token(client).get_json()

    response = client.post("/customers", {"paymentToken": token["id"],
                                          "defaultPaymentInstrumentId": "inst_whatever"})

    assert response.status_code == 201
    assert response.get_json()["defaultPaymentInstrument"]["paymentInstrumentId"] != \
        "inst_whatever"


def test_two_creates_racing_for_one_token_exactly_one_wins(app):
    token_id = card_token(_client(app)).get_json()["id"]
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def create() -> None:
        client = _client(app)
        barrier.wait()
        statuses.append(client.post("/customers", {"paymentToken": token_id}).status_code)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] + [422] * 7


def _client(app):
    from conftest import ApiClient

    return ApiClient(app.test_client())
