"""/subscriptions: orders made with their initial invoice and paid at once through the gateway
(approved, declined, waiting for 3-D Secure), trials, one-time orders, the pending-only delete
and void, PUT, item changes, the upcoming invoice, lists, events, isolation, hostile bodies."""

from __future__ import annotations

import re

import pytest
from billing_helpers import (  # noqa: F401  (shop_fixture: the shop fixture)
    DECLINED,
    WAITS,
    deliveries,
    instrument,
    order,
    put,
    shop_fixture,
)
from helpers import OTHER_KEY, assert_problem, stored

ORDER_ID = re.compile(r"^sub_[0-9A-HJKMNP-TV-Z]{26}$")


def invoice_of(client, made):
    return client.get(f"/invoices/{made['initialInvoiceId']}").get_json()


def invalid_fields(response) -> set[str]:
    assert response.status_code == 422, response.get_json()
    return {entry["field"] for entry in response.get_json()["invalidFields"]}


def test_a_monthly_order_paid_at_once_is_active_with_its_first_period(shop):
    card = instrument(shop)
    made = order(shop, ("monthly", 2), paymentInstrumentId=card)

    assert ORDER_ID.match(made["id"])
    assert (made["status"], made["billingStatus"], made["rebillNumber"], made["inTrial"]) == (
        "active", "paid", 1, False)
    assert made["currentPeriodStart"] == made["activationTime"]
    assert made["renewalTime"] == made["currentPeriodEnd"] > made["currentPeriodStart"]
    assert made["currency"] == "USD" and made["mrr"] == 30
    bill = invoice_of(shop, made)
    assert (bill["type"], bill["status"], bill["subscriptionId"]) == ("initial", "paid", made["id"])
    assert [(line["description"], line["quantity"], line["price"]) for line in bill["items"]] == [
        ("Monthly", 1, 30), ("Monthly setup fee", 1, 5)]
    assert (bill["amount"], bill["amountDue"]) == (35, 0)
    [sale] = shop.get("/transactions?filter=customerId:cus_ann").get_json()
    assert (sale["amount"], sale["result"], sale["invoiceIds"]) == (35, "approved", [bill["id"]])
    customer = shop.get("/customers/cus_ann").get_json()
    assert (customer["paymentCount"], customer["invoiceCount"]) == (1, 1)


def test_the_customers_default_instrument_pays_when_the_order_names_none(shop):
    card = instrument(shop)
    assert put(shop, "/customers/cus_ann", {"firstName": "Ann",
                                            "defaultPaymentInstrumentId": card}).status_code == 200
    assert order(shop, ("yearly", 1))["status"] == "active"


def test_a_declined_first_payment_leaves_the_order_pending_and_its_invoice_unpaid(shop):
    made = order(shop, ("monthly", 1), paymentInstrumentId=instrument(shop, DECLINED))

    assert (made["status"], made["billingStatus"], made["rebillNumber"]) == (
        "pending", "unpaid", None)
    assert invoice_of(shop, made)["amountDue"] == 35
    [sale] = shop.get("/transactions").get_json()
    assert sale["result"] == "declined"


def test_without_an_instrument_or_autopay_nothing_is_charged(shop):
    assert order(shop, ("monthly", 1))["status"] == "pending"
    card = instrument(shop)
    manual = order(shop, ("monthly", 1), paymentInstrumentId=card, autopay=False)
    assert manual["status"] == "pending" and shop.get("/transactions").get_json() == []

    paid = shop.post("/transactions", {
        "type": "sale", "customerId": "cus_ann", "websiteId": "web_shop", "currency": "USD",
        "amount": 35, "paymentInstruction": {"paymentInstrumentId": card},
        "invoiceIds": [manual["initialInvoiceId"]]})
    assert paid.status_code == 201
    assert shop.get(f"/subscriptions/{manual['id']}").get_json()["status"] == "active"


def test_a_3ds_first_payment_activates_the_order_once_approved_on_the_page(shop, app):
    made = order(shop, ("monthly", 1), paymentInstrumentId=instrument(shop, WAITS))

    assert made["status"] == "pending"
    [url] = [link["href"] for link in made["_links"] if link["rel"] == "approvalUrl"]
    browser = app.test_client()
    assert browser.post(url, data={"result": "approved"}).status_code == 200
    after = shop.get(f"/subscriptions/{made['id']}").get_json()
    assert (after["status"], after["billingStatus"]) == ("active", "paid")
    assert "approvalUrl" not in {link["rel"] for link in after["_links"]}


def test_a_free_trial_activates_at_once_and_bills_the_trial_price(shop):
    made = order(shop, ("seats", 3))

    assert (made["status"], made["inTrial"]) == ("active", True)
    assert made["trial"]["enabled"] is True
    assert made["renewalTime"] == made["trial"]["endTime"] == made["currentPeriodEnd"]
    bill = invoice_of(shop, made)
    assert (bill["status"], bill["amount"]) == ("paid", 0)
    assert [(line["description"], line["price"]) for line in bill["items"]] == [
        ("Seats (trial)", 0)]
    upcoming = shop.get(f"/subscriptions/{made['id']}/upcoming-invoice").get_json()
    assert (upcoming["amount"], upcoming["issuedTime"]) == (30, made["renewalTime"])
    assert [(line["quantity"], line["price"]) for line in upcoming["items"]] == [(3, 30)]


def test_an_order_without_a_trial_overrides_its_plans(shop):
    made = order(shop, ("seats", 2), paymentInstrumentId=instrument(shop),
                 trial={"enabled": False})
    assert (made["status"], made["inTrial"], made["trial"]) == (
        "active", False, {"enabled": False})
    assert invoice_of(shop, made)["amount"] == 20


def test_a_one_time_order_is_completed_when_paid(shop):
    card = instrument(shop)
    assert put(shop, "/customers/cus_ann", {"firstName": "Ann",
                                            "defaultPaymentInstrumentId": card}).status_code == 200
    response = shop.post("/subscriptions", {
        "orderType": "one-time-order", "customerId": "cus_ann", "websiteId": "web_shop",
        "items": [{"plan": {"id": "ebook"}, "quantity": 3}], "autopay": False,
        "trial": {"enabled": True, "endTime": "2040-01-01T00:00:00Z"}})
    assert response.status_code == 201, response.get_json()
    made = response.get_json()

    assert made["id"].startswith("ots_")
    assert (made["status"], made["billingStatus"]) == ("completed", "paid")
    assert "trial" not in made and "renewalTime" not in made and "autopay" not in made
    bill = invoice_of(shop, made)
    assert (bill["type"], bill["amount"]) == ("one-time-sale", 22.5)


def test_an_inline_plan_is_the_orders_own_copy(shop):
    inline = {"id": "custom", "name": "Custom", "productId": "pro", "currency": "USD",
              "pricing": {"formula": "fixed-fee", "price": 12},
              "recurringInterval": {"unit": "week", "length": 2}}
    response = shop.post("/subscriptions", {
        "orderType": "subscription-order", "customerId": "cus_ann", "websiteId": "web_shop",
        "items": [{"plan": inline}], "autopay": False})
    assert response.status_code == 201, response.get_json()
    [item] = response.get_json()["items"]
    assert item["isModified"] is True and item["plan"]["pricing"]["price"] == 12
    assert shop.get("/plans/custom").status_code == 404


@pytest.mark.parametrize("items, extra, fields", [
    ([("nope", 1)], {}, {"items.0.plan.id"}),
    ([("monthly", 1), ("euro", 1)], {}, {"items"}),
    ([("ebook", 1)], {}, {"items"}),
    ([("monthly", 1), ("yearly", 1)], {}, {"items"}),
    ([("monthly", 1)], {"customerId": "cus_none"}, {"customerId"}),
    ([("monthly", 1)], {"paymentInstrumentId": "inst_none"}, {"paymentInstrumentId"}),
    ([("monthly", 1)], {"trial": {"enabled": True}}, {"trial.endTime"}),
    ([("monthly", 1)], {"delinquencyPeriod": "a week"}, {"delinquencyPeriod"}),
    ([("monthly", 1)], {"orderType": "quote"}, {"orderType"}),
])
def test_an_order_breaking_a_rule_is_a_422_and_stores_nothing(shop, app, items, extra, fields):
    body = {"orderType": "subscription-order", "customerId": "cus_ann", "websiteId": "web_shop",
            "items": [{"plan": {"id": plan_id}, "quantity": quantity}
                      for plan_id, quantity in items], **extra}
    assert invalid_fields(shop.post("/subscriptions", body)) == fields
    assert stored(app, "subscriptions") == 0 and stored(app, "invoices") == 0


@pytest.mark.parametrize("body", [[], "x", {"items": "many"}, {"orderType": None},
                                  {"items": [{"plan": {"id": "monthly"}, "quantity": -1}]},
                                  {"items": [{"plan": {"id": "x" * 51}}]},
                                  {"items": [{"plan": "monthly"}] * 101}])
def test_hostile_order_bodies_are_4xx_and_store_nothing(shop, app, body):
    response = shop.post("/subscriptions", body)
    assert 400 <= response.status_code < 500
    assert stored(app, "subscriptions") == 0


def test_a_pending_order_is_voided_or_deleted_and_an_active_one_is_a_409(shop):
    pending = order(shop, ("monthly", 1))
    voided = shop.request("POST", f"/subscriptions/{pending['id']}/void")
    assert voided.status_code == 201
    assert (voided.get_json()["status"], voided.get_json()["billingStatus"]) == (
        "voided", "voided")
    assert invoice_of(shop, pending)["status"] == "voided"
    assert_problem(shop.request("POST", f"/subscriptions/{pending['id']}/void"), 409)

    other = order(shop, ("monthly", 1))
    assert shop.request("DELETE", f"/subscriptions/{other['id']}").status_code == 204
    assert shop.get(f"/subscriptions/{other['id']}").status_code == 404
    assert shop.get(f"/invoices/{other['initialInvoiceId']}").status_code == 404

    active = order(shop, ("monthly", 1), paymentInstrumentId=instrument(shop))
    assert_problem(shop.request("DELETE", f"/subscriptions/{active['id']}"), 409)


def test_put_creates_by_id_then_replaces_writable_members_only(shop):
    body = {"orderType": "subscription-order", "customerId": "cus_ann", "websiteId": "web_shop",
            "items": [{"plan": {"id": "monthly"}}], "autopay": False}
    created = put(shop, "/subscriptions/my-order", body)
    assert created.status_code == 201
    assert created.headers["Location"].endswith("/subscriptions/my-order")

    replaced = put(shop, "/subscriptions/my-order", {**body, "notes": "hi"})
    assert replaced.status_code == 200
    assert (replaced.get_json()["notes"], replaced.get_json()["revision"]) == (
        "hi", created.get_json()["revision"] + 1)
    assert invalid_fields(put(shop, "/subscriptions/my-order",
                              {**body, "websiteId": "web_other"})) == {"websiteId"}


def test_items_of_an_active_order_change_through_change_items(shop, app):
    assert shop.post("/webhooks", {"method": "POST", "url": "https://hooks.example.com/in",
                                   "credentialHash": "crd_x"}).status_code == 201
    made = order(shop, ("monthly", 1), paymentInstrumentId=instrument(shop))
    body = {"orderType": "subscription-order", "customerId": "cus_ann", "websiteId": "web_shop",
            "items": [{"plan": {"id": "seats"}, "quantity": 5}]}
    assert invalid_fields(put(shop, f"/subscriptions/{made['id']}", body)) == {"items"}

    changed = shop.post(f"/subscriptions/{made['id']}/change-items", {
        "items": [{"plan": {"id": "seats"}, "quantity": 5}], "renewalPolicy": "retainRecurring",
        "prorated": False})
    assert changed.status_code == 201, changed.get_json()
    assert [item["plan"]["id"] for item in changed.get_json()["items"]] == ["seats"]
    assert changed.get_json()["renewalTime"] == made["renewalTime"]
    upcoming = shop.get(f"/subscriptions/{made['id']}/upcoming-invoice").get_json()
    assert upcoming["amount"] == 50
    written = [entry["eventType"] for entry in deliveries(app)]
    assert written[-2:] == ["subscription-items-changed", "subscription-upgraded"]


def test_lists_filter_by_status_plan_and_customer_with_paging_headers(shop):
    card = instrument(shop)
    first = order(shop, ("monthly", 1), paymentInstrumentId=card)
    order(shop, ("seats", 1))
    order(shop, ("yearly", 1))

    page = shop.get("/subscriptions?filter=status:active&sort=-createdTime&limit=1")
    assert page.headers["Pagination-Total"] == "2"
    assert len(page.get_json()) == 1
    by_plan = shop.get("/subscriptions?filter=planId:monthly").get_json()
    assert [found["id"] for found in by_plan] == [first["id"]]
    assert len(shop.get("/subscriptions?filter=customerId:cus_ann").get_json()) == 3
    embedded = shop.get(f"/subscriptions/{first['id']}?expand=initialInvoice,customer")
    assert set(embedded.get_json()["_embedded"]) == {"initialInvoice", "customer"}


def test_another_namespace_sees_no_order(shop):
    made = order(shop, ("monthly", 1))
    other = shop.with_key(OTHER_KEY)
    assert other.get(f"/subscriptions/{made['id']}").status_code == 404
    assert other.get("/subscriptions").get_json() == []


def test_an_order_paid_at_once_fires_its_events_in_order(shop, app):
    assert shop.post("/webhooks", {"method": "POST", "url": "https://hooks.example.com/in",
                                   "credentialHash": "crd_x"}).status_code == 201
    card = instrument(shop)
    made = order(shop, ("monthly", 1), paymentInstrumentId=card)

    written = [entry["eventType"] for entry in deliveries(app)
               if entry["entityId"] in (made["id"], made["initialInvoiceId"])
               or entry["eventType"].startswith("transaction-")]
    assert written == ["subscription-created", "invoice-created", "invoice-issued",
                       "transaction-processed", "invoice-paid", "subscription-activated"]


def test_a_plan_an_order_bills_and_a_customer_with_invoices_stay(shop):
    made = order(shop, ("monthly", 1))
    assert_problem(shop.request("DELETE", "/plans/monthly"), 409)
    assert shop.request("DELETE", "/plans/yearly").status_code == 204
    assert put(shop, "/customers/cus_bob", {"firstName": "Bob"}).status_code == 201
    assert_problem(shop.request("DELETE", "/customers/cus_ann?targetCustomerId=cus_bob"), 409)
    assert shop.get(f"/subscriptions/{made['id']}").status_code == 200


def test_put_of_an_active_order_with_the_same_items_keeps_them_whole(shop):
    made = order(shop, ("monthly", 1), paymentInstrumentId=instrument(shop))
    body = {"orderType": "subscription-order", "customerId": "cus_ann", "websiteId": "web_shop",
            "items": [{"plan": {"id": "monthly"}, "quantity": 1}], "notes": "renamed"}
    replaced = put(shop, f"/subscriptions/{made['id']}", body)
    assert replaced.status_code == 200, replaced.get_json()
    assert replaced.get_json()["items"] == made["items"]
    assert replaced.get_json()["notes"] == "renamed"


def test_an_order_that_does_not_renew_has_no_upcoming_invoice(shop):
    assert put(shop, "/plans/trial-only", {
        "name": "Trial only", "productId": "pro", "currency": "USD",
        "trial": {"price": 0, "period": {"unit": "day", "length": 7}}}).status_code == 201
    trial_only = order(shop, ("trial-only", 1))
    assert trial_only["status"] == "active"
    for made in (trial_only, order(shop, ("monthly", 1))):
        assert_problem(shop.get(f"/subscriptions/{made['id']}/upcoming-invoice"), 404)


def test_new_items_or_coupons_on_a_pending_order_reissue_its_invoice(shop, app):
    assert put(shop, "/coupons/TENOFF", {"discount": {"type": "fixed", "amount": 10,
                                                      "currency": "USD"},
                                         "issuedTime": "2020-01-01T00:00:00Z"}).status_code == 201
    body = {"orderType": "subscription-order", "customerId": "cus_ann", "websiteId": "web_shop",
            "items": [{"plan": {"id": "monthly"}, "quantity": 1}], "autopay": False}
    assert put(shop, "/subscriptions/pending-one", body).status_code == 201
    assert shop.post("/webhooks", {"method": "POST", "url": "https://hooks.example.com/in",
                                   "credentialHash": "crd_x"}).status_code == 201

    changed = put(shop, "/subscriptions/pending-one", {
        **body, "items": [{"plan": {"id": "yearly"}, "quantity": 1}], "couponIds": ["TENOFF"]})

    assert changed.status_code == 200, changed.get_json()
    bill = shop.get(f"/invoices/{changed.get_json()['initialInvoiceId']}").get_json()
    assert ([line["description"] for line in bill["items"]], bill["discountAmount"],
            bill["amount"]) == (["Yearly"], 10, 290)
    written = [entry["eventType"] for entry in deliveries(app)]
    assert "invoice-reissued" in written and written.index("subscription-modified") < \
        written.index("invoice-reissued")
