"""Fixture sets with coupons and subscriptions: loaded through the API's rules (an order's
initial invoice issued and paid by autopay), all or nothing, and coupons exported and loaded
back while orders, invoices and redemptions, being derived, are not."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from helpers import OTHER_KEY, stored
from test_admin import Admin

from rebilly_sandbox.fixtures import check_fixture_set
from rebilly_sandbox.services.tables import INVOICES, ORDERS, REDEMPTIONS

SAAS_SHOP = json.loads((Path(__file__).parent.parent / "fixtures" / "saas-shop.json")
                       .read_text(encoding="utf-8"))
ORDER = "sub_saas_grace_monthly"
DERIVED = (ORDERS, INVOICES, REDEMPTIONS)


@pytest.fixture
def admin(app) -> Admin:
    return Admin(app.test_client())


def saas_shop(**changes) -> dict:
    """The shipped saas-shop set, a deep copy with ``changes`` to its sections."""
    return {**copy.deepcopy(SAAS_SHOP), **changes}


def subscription(**extra) -> dict:
    return {**copy.deepcopy(SAAS_SHOP["subscriptions"][0]), **extra}


def test_the_shipped_set_passes_the_fixture_check():
    counts = check_fixture_set(SAAS_SHOP)

    assert counts["coupons"] == 1 and counts["subscriptions"] == 1
    assert len(SAAS_SHOP["description"]) > 80


def test_saas_shop_loads_an_active_order_with_a_paid_initial_invoice(client, admin):
    response = admin.post("/fixtures/saas-shop")

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["loaded"]["subscriptions"] == 1
    orders = client.get("/subscriptions").get_json()
    assert [order["id"] for order in orders] == [ORDER]
    order = orders[0]
    assert (order["status"], order["inTrial"], order["billingStatus"]) == ("active", True, "paid")
    invoice = client.get(f"/invoices/{order['initialInvoiceId']}").get_json()
    assert (invoice["type"], invoice["status"]) == ("initial", "paid")
    assert (invoice["amount"], invoice["amountDue"]) == (5, 0), "the setup fee, paid"
    payments = client.get("/transactions").get_json()
    assert [(txn["result"], txn["invoiceIds"]) for txn in payments] == [
        ("approved", [invoice["id"]])]
    card = client.get("/payment-instruments/inst_saas_grace_visa").get_json()
    assert card["status"] == "active", "its first approved payment activates it"


def test_saas_shop_has_its_coupon_issued_and_never_redeemed(client, admin):
    admin.post("/fixtures/saas-shop")

    coupons = client.get("/coupons").get_json()

    assert [coupon["id"] for coupon in coupons] == ["WELCOME20"]
    coupon = coupons[0]
    assert coupon["discount"]["type"] == "percent" and coupon["discount"]["value"] == 20
    assert coupon["restrictions"] == [{"type": "redemptions-per-customer", "quantity": 1}]
    assert (coupon["status"], coupon["redemptionsCount"]) == ("issued", 0)


def test_loading_the_set_again_bills_nothing_twice(client, admin):
    admin.post("/fixtures/saas-shop")

    again = admin.post("/fixtures/saas-shop")

    assert again.status_code == 201, again.get_json()
    app = client.client.application
    assert [stored(app, kind) for kind in (ORDERS, INVOICES, "transactions")] == [1, 1, 1]


def test_an_order_redeems_its_coupons_and_a_reload_leaves_the_redeemed_coupon(client, admin):
    data = saas_shop(subscriptions=[subscription(couponIds=["WELCOME20"])])

    first = admin.post("/fixtures", data)
    again = admin.post("/fixtures", data)

    assert first.status_code == 201, first.get_json()
    assert again.status_code == 201, again.get_json()
    assert client.get("/coupons/WELCOME20").get_json()["redemptionsCount"] == 1
    assert stored(client.client.application, REDEMPTIONS) == 1
    order = client.get(f"/subscriptions/{ORDER}").get_json()
    invoice = client.get(f"/invoices/{order['initialInvoiceId']}").get_json()
    assert [discount["couponId"] for discount in invoice["discounts"]] == ["WELCOME20"]
    assert invoice["status"] == "paid" and invoice["amount"] < 5


@pytest.mark.parametrize(("changes", "field"), [
    ({"subscriptions": [subscription(items=[{"plan": {"id": "plan_nope"}}])]},
     "subscriptions.0.items.0.plan.id"),
    ({"subscriptions": [subscription(customerId="cus_nobody")]}, "subscriptions.0.customerId"),
    ({"subscriptions": [subscription(orderType="weekly")]}, "subscriptions.0.orderType"),
    ({"subscriptions": [{k: v for k, v in subscription().items() if k != "id"}]},
     "subscriptions.0.id"),
    ({"coupons": [{**SAAS_SHOP["coupons"][0], "discount": {"type": "percent", "value": 120}}]},
     "coupons.0.discount.value"),
    ({"coupons": [{**SAAS_SHOP["coupons"][0], "restrictions": [
        {"type": "restrict-to-countries", "countries": ["US"]}]}]},
     "coupons.0.restrictions.0.type"),
])
def test_a_bad_billing_record_is_a_422_naming_it_and_loads_nothing(client, admin, changes, field):
    response = admin.post("/fixtures", saas_shop(**changes))

    assert response.status_code == 422
    fields = [problem["field"] for problem in response.get_json()["invalidFields"]]
    assert field in fields, fields
    app = client.client.application
    for kind in ("websites", "plans", "coupons", "customers", "payment-instruments",
                 "transactions", *DERIVED):
        assert stored(app, kind) == 0, kind


def test_export_holds_coupons_but_no_derived_state_and_loads_back(client, admin, app):
    admin.post("/fixtures/saas-shop")

    exported = admin.get("/export").get_json()

    assert exported["coupons"] == [{
        "id": "WELCOME20", "description": "Welcome offer: 20% off",
        "discount": {"type": "percent", "value": 20, "context": "items"},
        "restrictions": [{"type": "redemptions-per-customer", "quantity": 1}],
        "issuedTime": exported["coupons"][0]["issuedTime"]}]
    assert exported["coupons"][0]["issuedTime"].startswith("2020-01-01T00:00:00")
    assert "subscriptions" not in exported and "invoices" not in exported
    assert exported["transactions"] == [], "the order's payment goes with its invoice"
    other = Admin(app.test_client(), key=OTHER_KEY)
    loaded = other.post("/fixtures", exported)
    assert loaded.status_code == 201, loaded.get_json()
    assert loaded.get_json()["loaded"]["coupons"] == 1
    again = client.with_key(OTHER_KEY).get("/coupons/WELCOME20").get_json()
    original = client.get("/coupons/WELCOME20").get_json()
    for member in ("discount", "restrictions", "description", "issuedTime", "status"):
        assert again[member] == original[member], member
    for kind in DERIVED:
        assert stored(app, kind, OTHER_KEY) == 0, kind


def test_an_export_without_coupons_keeps_its_sections(admin):
    admin.post("/fixtures/default")

    assert "coupons" not in admin.get("/export").get_json()


def test_the_set_is_listed_with_its_billing_counts(admin):
    listed = {entry["name"]: entry for entry in admin.get("/fixtures").get_json()}

    assert listed["saas-shop"]["counts"]["coupons"] == 1
    assert listed["saas-shop"]["counts"]["subscriptions"] == 1
    assert "coupons" not in listed["default"]["counts"], "a set without them keeps its counts"
