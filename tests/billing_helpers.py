"""What the order and billing-clock tests share: a shop's catalog, saved cards, orders, and a
look at the events written."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import API_KEY

from rebilly_sandbox.services import events

APPROVED, DECLINED, WAITS = "4111111111111111", "4000000000000002", "4000000000003220"


def put(client, path, body):
    return client.request("PUT", path, json=body)


@pytest.fixture(name="shop")
def shop_fixture(client):
    """A customer, a product, and monthly, trial, yearly, one-time and EUR plans."""
    assert put(client, "/customers/cus_ann", {"firstName": "Ann"}).status_code == 201
    assert put(client, "/products/pro", {"name": "Pro"}).status_code == 201
    monthly = {"unit": "month", "length": 1}
    plans = {
        "monthly": {"pricing": {"formula": "fixed-fee", "price": 30}, "setup": {"price": 5},
                    "recurringInterval": monthly},
        "seats": {"pricing": {"formula": "flat-rate", "price": 10}, "recurringInterval": monthly,
                  "trial": {"price": 0, "period": {"unit": "day", "length": 14}}},
        "yearly": {"pricing": {"formula": "fixed-fee", "price": 300},
                   "recurringInterval": {"unit": "year", "length": 1}},
        "ebook": {"pricing": {"formula": "flat-rate", "price": 7.5}},
        "euro": {"pricing": {"formula": "fixed-fee", "price": 9}, "recurringInterval": monthly,
                 "currency": "EUR"},
    }
    for plan_id, members in plans.items():
        body = {"name": plan_id.capitalize(), "productId": "pro", "currency": "USD", **members}
        assert put(client, f"/plans/{plan_id}", body).status_code == 201
    return client


def instrument(client, pan=APPROVED, customer="cus_ann", month=12, year=2040):
    """A saved card of ``customer``; its id."""
    token = client.post("/tokens", {"method": "payment-card", "paymentInstrument": {
        "pan": pan, "expMonth": month, "expYear": year, "cvv": "123"},
        "billingAddress": {"firstName": "Ann", "lastName": "L"}}).get_json()
    made = client.post("/payment-instruments", {"customerId": customer, "token": token["id"]})
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"]


def order(client, *items, status=201, **extra):
    body = {"orderType": "subscription-order", "customerId": "cus_ann", "websiteId": "web_shop",
            "items": [{"plan": {"id": plan_id}, "quantity": quantity}
                      for plan_id, quantity in items], **extra}
    response = client.post("/subscriptions", body)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def listen(client) -> None:
    """A webhook for every event, so each is written as a delivery."""
    assert client.post("/webhooks", {"method": "POST", "url": "https://hooks.example.com/in",
                                     "credentialHash": "crd_x"}).status_code == 201


def deliveries(app, key: str = API_KEY) -> list[dict[str, Any]]:
    """The webhook deliveries written in ``key``'s namespace, in the order they were."""
    state = app.extensions["sandbox"]
    with state.store.transaction() as tx:
        return tx.all(state.namespace_for(key).id, events.DELIVERIES)


class Admin:
    """The admin API through an ``ApiClient``, in the namespace of the client's key."""

    def __init__(self, client):
        self.client = client

    def post(self, path: str, body: Any = None):
        return self.client.post(f"/__admin{path}", body)

    def get(self, path: str):
        return self.client.get(f"/__admin{path}")

    def with_key(self, key: str) -> Admin:
        return Admin(self.client.with_key(key))


@pytest.fixture(name="admin")
def admin_fixture(client) -> Admin:
    return Admin(client)


def orders_fixture_set(how_many: int) -> dict[str, Any]:
    """A fixture set: a monthly plan and ``how_many`` customers, each with a card and an order
    paid at once."""
    customers, cards, orders = [], [], []
    for number in range(how_many):
        customers.append({"id": f"cus_{number}", "websiteId": "web_shop", "firstName": "Ann"})
        cards.append({"id": f"inst_{number}", "customerId": f"cus_{number}",
                      "method": "payment-card", "pan": "4111111111111111", "cvv": "123",
                      "expMonth": 12, "expYear": 2099,
                      "billingAddress": {"firstName": "Ann", "lastName": "Lee"}})
        orders.append({"id": f"sub_{number}", "orderType": "subscription-order",
                       "customerId": f"cus_{number}", "websiteId": "web_shop",
                       "items": [{"plan": {"id": "monthly"}}],
                       "paymentInstrumentId": f"inst_{number}"})
    return {"products": [{"id": "pro", "name": "Pro"}],
            "plans": [{"id": "monthly", "name": "Monthly", "productId": "pro",
                       "currency": "USD", "pricing": {"formula": "fixed-fee", "price": 30},
                       "recurringInterval": {"unit": "month", "length": 1}}],
            "customers": customers, "paymentInstruments": cards, "subscriptions": orders}
