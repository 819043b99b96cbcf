"""Redeemed coupons discount the customer's later invoices: percent and fixed amounts, each
restriction checked on the invoice, several coupons in redemption order, a cancel taking the
discount back, the coupon events, and the cost of working discounts out."""

from __future__ import annotations

import json

import pytest
from helpers import API_KEY

from rebilly_sandbox.services import events
from rebilly_sandbox.services.tables import INVOICES, REDEMPTIONS
from rebilly_sandbox.store import Transaction

NOW = "2030-01-01T00:00:00+00:00"
PAST = "2029-01-01T00:00:00+00:00"


def put(client, path, body):
    return client.request("PUT", path, json=body)


@pytest.fixture
def shop(client):
    """Clock frozen at NOW; customer cus_ann, website web_shop, product seats with a 10.00 USD
    plan ``seat`` and a 30.00 USD plan ``support``; a webhook listening to every event."""
    assert client.post("/__admin/clock", {"action": "freeze", "time": NOW}).status_code == 200
    assert put(client, "/customers/cus_ann", {"firstName": "Ann"}).status_code == 201
    assert put(client, "/websites/web_shop", {"name": "Shop", "url": "shop.test",
                                              "servicePhone": "1",
                                              "serviceEmail": "a@shop.test"}).status_code == 201
    assert put(client, "/products/seats", {"name": "Seats"}).status_code == 201
    for plan_id, price in (("seat", 10), ("support", 30)):
        assert put(client, f"/plans/{plan_id}", {
            "name": plan_id, "productId": "seats", "currency": "USD",
            "pricing": {"formula": "fixed-fee", "price": price}}).status_code == 201
    assert client.post("/webhooks", {"method": "POST", "url": "https://hooks.example.com/in",
                                     "credentialHash": "crd_x"}).status_code == 201
    return client


def coupon(client, code: str, discount=None, **body) -> None:
    response = put(client, f"/coupons/{code}", {
        "discount": discount or {"type": "percent", "value": 10}, "issuedTime": PAST, **body})
    assert response.status_code == 201, response.get_json()


def redeem(client, code: str, **extra) -> dict:
    response = client.post("/coupons-redemptions", {"couponId": code, "customerId": "cus_ann",
                                                    **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def invoice(client, *items: dict, currency: str = "USD", issue: bool = True,
            invoice_id: str | None = None) -> dict:
    """An invoice with these items (``{"unitPrice": …}`` or ``{"planId": …}``), issued."""
    body = {"customerId": "cus_ann", "websiteId": "web_shop", "currency": currency}
    made = (put(client, f"/invoices/{invoice_id}", body) if invoice_id
            else client.post("/invoices", body))
    assert made.status_code == 201, made.get_json()
    created = made.get_json()
    for line in items:
        added = client.post(f"/invoices/{created['id']}/items", {"type": "debit", **line})
        assert added.status_code == 201, added.get_json()
    if not issue:
        return client.get(f"/invoices/{created['id']}").get_json()
    issued = client.request("POST", f"/invoices/{created['id']}/issue")
    assert issued.status_code == 201, issued.get_json()
    return issued.get_json()


def amounts(bill: dict) -> tuple:
    return (bill["subtotalAmount"], [entry["amount"] for entry in bill["discounts"]],
            bill["discountAmount"], bill["amount"], bill["amountDue"])


def deliveries(app) -> list[dict]:
    state = app.extensions["sandbox"]
    with state.store.transaction() as tx:
        return tx.all(state.namespace_for(API_KEY).id, events.DELIVERIES)


def coupon_events(app) -> list[tuple[str, str]]:
    return [(entry["eventType"], entry["entityId"]) for entry in deliveries(app)
            if entry["eventType"].startswith("coupon-")]


# -- amounts --------------------------------------------------------------------------------

def test_a_percent_coupon_discounts_later_invoices_exactly(shop):
    coupon(shop, "TEN", description="Ten percent off")
    redemption = redeem(shop, "TEN")

    bill = invoice(shop, {"unitPrice": 30}, {"unitPrice": 20.55})
    assert amounts(bill) == (50.55, [5.06], 5.06, 45.49, 45.49)
    assert bill["discounts"] == [{"couponId": "TEN", "redemptionId": redemption["id"],
                                  "amount": 5.06, "description": "Ten percent off",
                                  "context": "items"}]
    assert bill["status"] == "unpaid"


def test_a_fixed_coupon_applies_in_its_own_currency_up_to_the_subtotal(shop):
    coupon(shop, "FIVE", {"type": "fixed", "amount": 5, "currency": "USD"})
    redeem(shop, "FIVE")

    assert amounts(invoice(shop, {"unitPrice": 12})) == (12, [5], 5, 7, 7)
    assert amounts(invoice(shop, {"unitPrice": 3})) == (3, [3], 3, 0, 0)
    assert amounts(invoice(shop, {"unitPrice": 12}, currency="EUR")) == (12, [], 0, 12, 12)


def test_a_draft_shows_the_discount_as_items_are_added(shop):
    coupon(shop, "TEN")
    redeem(shop, "TEN")

    draft = invoice(shop, {"unitPrice": 40}, issue=False)
    assert (draft["status"], amounts(draft)) == ("draft", (40, [4], 4, 36, 36))
    assert draft["discounts"][0]["description"] == 'Coupon "TEN"'


def test_a_minimum_order_amount_not_met_gives_no_discount(shop):
    coupon(shop, "BIG", restrictions=[{"type": "minimum-order-amount", "amount": 50,
                                       "currency": "USD"}])
    redeem(shop, "BIG")

    assert amounts(invoice(shop, {"unitPrice": 49.99})) == (49.99, [], 0, 49.99, 49.99)
    assert amounts(invoice(shop, {"unitPrice": 30}, {"unitPrice": 20})) == (50, [5], 5, 45, 45)


def test_a_maximum_order_amount_exceeded_gives_no_discount(shop):
    coupon(shop, "SMALL", restrictions=[{"type": "maximum-order-amount", "amount": 20,
                                         "currency": "USD"}])
    redeem(shop, "SMALL")

    assert amounts(invoice(shop, {"unitPrice": 25}))[1] == []
    assert amounts(invoice(shop, {"unitPrice": 20}))[1] == [2]


def test_restrict_to_plans_discounts_only_those_lines(shop):
    coupon(shop, "SEATS", {"type": "percent", "value": 50},
           restrictions=[{"type": "restrict-to-plans", "planIds": ["seat"]}])
    redeem(shop, "SEATS")

    bill = invoice(shop, {"planId": "seat"}, {"planId": "support"}, {"unitPrice": 7})
    assert amounts(bill) == (47, [5], 5, 42, 42)
    assert amounts(invoice(shop, {"planId": "support"}))[1] == []


def test_restrict_to_products_and_its_minimum_quantity(shop):
    coupon(shop, "PROD", {"type": "fixed", "amount": 100, "currency": "USD"},
           restrictions=[{"type": "restrict-to-products", "productIds": ["seats"],
                          "minimumQuantity": 2}])
    redeem(shop, "PROD")

    assert amounts(invoice(shop, {"planId": "seat"}, {"unitPrice": 5}))[1] == []
    assert amounts(invoice(shop, {"planId": "seat"}, {"planId": "support"},
                           {"unitPrice": 5})) == (45, [40], 40, 5, 5)


def test_several_coupons_apply_in_redemption_order_each_to_what_is_left(shop):
    coupon(shop, "HALF", {"type": "percent", "value": 50})
    coupon(shop, "TENOFF", {"type": "fixed", "amount": 10, "currency": "USD"})
    redeem(shop, "HALF")
    redeem(shop, "TENOFF")

    assert amounts(invoice(shop, {"unitPrice": 30})) == (30, [15, 10], 25, 5, 5)
    assert amounts(invoice(shop, {"unitPrice": 16})) == (16, [8, 8], 16, 0, 0)


def test_discounts_per_redemption_counts_the_invoices_it_discounted(shop):
    coupon(shop, "FIRST", restrictions=[{"type": "discounts-per-redemption", "quantity": 1}])
    redeem(shop, "FIRST")

    first = invoice(shop, {"unitPrice": 10})
    assert amounts(first)[1] == [1]
    assert amounts(invoice(shop, {"unitPrice": 10}))[1] == []


def test_additional_restrictions_of_a_redemption_apply_too(shop):
    coupon(shop, "TEN")
    redeem(shop, "TEN", additionalRestrictions=[{"type": "restrict-to-invoices",
                                                 "invoiceIds": ["in_chosen"]}])

    assert amounts(invoice(shop, {"unitPrice": 10}))[1] == []
    assert amounts(invoice(shop, {"unitPrice": 10}, invoice_id="in_chosen"))[1] == [1]


def test_paid_by_time_and_subscription_restrictions(shop):
    coupon(shop, "LAPSED", restrictions=[{"type": "paid-by-time",
                                          "time": "2029-12-31T00:00:00Z"}])
    coupon(shop, "ORDERS", restrictions=[{"type": "restrict-to-subscriptions",
                                          "subscriptionIds": ["sub_1"]}])
    coupon(shop, "LATER", restrictions=[{"type": "paid-by-time",
                                         "time": "2030-02-01T00:00:00Z"}])
    for code in ("LAPSED", "ORDERS", "LATER"):
        redeem(shop, code)

    bill = invoice(shop, {"unitPrice": 10})
    assert [entry["couponId"] for entry in bill["discounts"]] == ["LATER"]


def test_a_shipping_discount_takes_nothing_off_items(shop):
    coupon(shop, "SHIP", {"type": "percent", "value": 10, "context": "shipping"})
    coupon(shop, "BOTH", {"type": "percent", "value": 10, "context": "items-and-shipping"})
    redeem(shop, "SHIP")
    redeem(shop, "BOTH")

    bill = invoice(shop, {"unitPrice": 10})
    assert [(entry["couponId"], entry["context"]) for entry in bill["discounts"]] == [
        ("BOTH", "items-and-shipping")]


# -- cancel ---------------------------------------------------------------------------------

def test_cancel_takes_the_discount_off_unpaid_invoices_and_keeps_paid_ones(shop):
    coupon(shop, "FIVE", {"type": "fixed", "amount": 5, "currency": "USD"})
    redemption = redeem(shop, "FIVE")
    unpaid = invoice(shop, {"unitPrice": 20})
    free = invoice(shop, {"unitPrice": 5})
    assert (free["status"], free["amount"]) == ("paid", 0)

    cancel = shop.request("POST", f"/coupons-redemptions/{redemption['id']}/cancel")
    assert cancel.status_code == 201
    after = shop.get(f"/invoices/{unpaid['id']}").get_json()
    assert amounts(after) == (20, [], 0, 20, 20)
    assert after["revision"] == unpaid["revision"] + 1
    assert amounts(shop.get(f"/invoices/{free['id']}").get_json()) == (5, [5], 5, 0, 0)
    assert amounts(invoice(shop, {"unitPrice": 20}))[1] == []



def test_cancel_works_a_drafts_other_discounts_out_again(shop):
    coupon(shop, "HALF", {"type": "percent", "value": 50})
    coupon(shop, "TENOFF", {"type": "fixed", "amount": 10, "currency": "USD"})
    half = redeem(shop, "HALF")
    redeem(shop, "TENOFF")
    draft = invoice(shop, {"unitPrice": 16}, issue=False)
    assert amounts(draft) == (16, [8, 8], 16, 0, 0)

    shop.request("POST", f"/coupons-redemptions/{half['id']}/cancel")
    after = shop.get(f"/invoices/{draft['id']}").get_json()
    assert amounts(after) == (16, [10], 10, 6, 6)
    assert after["discounts"][0]["couponId"] == "TENOFF"

# -- events ---------------------------------------------------------------------------------

def test_coupon_events_are_written_with_their_root_ids(shop, app):
    coupon(shop, "LATER", issuedTime="2030-06-01T00:00:00Z")
    coupon(shop, "TEN")
    put(shop, "/coupons/TEN", {"discount": {"type": "percent", "value": 20}, "issuedTime": PAST})
    shop.post("/coupons/LATER/expiration", {"expiredTime": "2031-01-01T00:00:00Z"})
    redemption = redeem(shop, "TEN")
    bill = invoice(shop, {"unitPrice": 10}, issue=False)
    shop.request("POST", f"/coupons-redemptions/{redemption['id']}/cancel")
    shop.post("/__admin/clock", {"action": "set", "time": "2030-07-01T00:00:00Z"})
    shop.get("/coupons")
    shop.post("/coupons/TEN/expiration", {"expiredTime": None})

    assert coupon_events(app) == [
        ("coupon-issued", "TEN"), ("coupon-modified", "TEN"),
        ("coupon-expiration-modified", "LATER"), ("coupon-redeemed", "TEN"),
        ("coupon-applied", "TEN"), ("coupon-application-removed", "TEN"),
        ("coupon-redemption-canceled", "TEN"), ("coupon-issued", "LATER"),
        ("coupon-expiration-modified", "TEN"), ("coupon-expired", "TEN")]
    applied = next(json.loads(entry["body"]) for entry in deliveries(app)
                   if entry["eventType"] == "coupon-applied")
    assert {key: applied[key] for key in ("couponId", "redemptionId", "customerId",
                                          "eventType")} == {
        "couponId": "TEN", "redemptionId": redemption["id"], "customerId": "cus_ann",
        "eventType": "coupon-applied"}
    assert set(applied["_embedded"]) == {"coupon", "redemption", "customer"}
    assert "invoiceIds" not in applied["_embedded"]["redemption"]
    assert applied["_embedded"]["coupon"]["redemptionsCount"] == 1
    assert [link["rel"] for link in applied["_links"]] == ["coupon", "redemption", "customer"]
    assert bill["discounts"][0]["couponId"] == "TEN"


def test_a_webhook_receiver_gets_the_redemption_events(sandbox, webhook_receiver):
    import requests

    names = ["coupon-issued", "coupon-redeemed", "coupon-applied"]
    webhook_receiver.register(sandbox, events=names)

    def call(method, path, body=None):
        response = requests.request(method, f"{sandbox.url}{path}", headers=sandbox.headers,
                                    json=body, timeout=10)
        assert response.status_code < 300, response.text
        return response.json()

    call("PUT", "/customers/cus_ann", {"firstName": "Ann"})
    call("PUT", "/coupons/WELCOME", {"discount": {"type": "percent", "value": 10},
                                     "issuedTime": "2020-01-01T00:00:00Z"})
    call("POST", "/coupons-redemptions", {"couponId": "WELCOME", "customerId": "cus_ann"})
    bill = call("POST", "/invoices", {"customerId": "cus_ann", "websiteId": "web_shop",
                                      "currency": "USD"})
    call("POST", f"/invoices/{bill['id']}/items", {"type": "debit", "unitPrice": 9.99})

    [applied] = webhook_receiver.wait_for("coupon-applied", timeout=10)
    assert applied["_embedded"]["coupon"]["id"] == "WELCOME"
    assert [request.json()["eventType"] for request in webhook_receiver.requests] == names


# -- cost -----------------------------------------------------------------------------------

def test_working_out_discounts_scans_no_redemption_or_invoice(shop, monkeypatch):
    """A customer's redemptions come from its own index, so the cost does not grow with the
    namespace's redemptions and invoices."""
    coupon(shop, "TEN")
    redeem(shop, "TEN")
    bill = invoice(shop, issue=False)
    original_view, original_all = Transaction.view, Transaction.all

    def guarded(original):
        def scan(self, namespace, kind):
            assert kind not in (REDEMPTIONS, INVOICES), f"scanned {kind}"
            return original(self, namespace, kind)
        return scan

    monkeypatch.setattr(Transaction, "view", guarded(original_view))
    monkeypatch.setattr(Transaction, "all", guarded(original_all))
    monkeypatch.setattr(Transaction, "find", lambda *args: pytest.fail("find called"))

    added = shop.post(f"/invoices/{bill['id']}/items", {"type": "debit", "unitPrice": 10})
    assert added.status_code == 201
    issued = shop.request("POST", f"/invoices/{bill['id']}/issue").get_json()
    assert amounts(issued)[1] == [1]
