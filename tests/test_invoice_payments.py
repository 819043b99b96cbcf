"""Paying invoices with POST /transactions and invoiceIds, full and partial; declines and
waiting payments; refunds moving the invoice; and the invoice events in the order they fire."""

from __future__ import annotations

import json

import pytest
from helpers import API_KEY, OTHER_KEY, TRIGGER, assert_problem, card, stored

from rebilly_sandbox.services import events

DECLINED = "4000000000000002"


def put(client, path, body):
    return client.request("PUT", path, json=body)


@pytest.fixture
def shop(client):
    assert put(client, "/customers/cus_ann", {"firstName": "Ann"}).status_code == 201
    assert put(client, "/customers/cus_bob", {"firstName": "Bob"}).status_code == 201
    assert put(client, "/websites/web_shop", {
        "name": "Shop", "url": "shop.test", "servicePhone": "1",
        "serviceEmail": "a@shop.test"}).status_code == 201
    return client


def issued(client, *prices, customer="cus_ann", currency="USD"):
    """An issued invoice of one debit line per price."""
    invoice = client.post("/invoices", {"customerId": customer, "websiteId": "web_shop",
                                        "currency": currency}).get_json()
    for price in prices:
        assert client.post(f"/invoices/{invoice['id']}/items",
                           {"type": "debit", "unitPrice": price}).status_code == 201
    response = client.request("POST", f"/invoices/{invoice['id']}/issue")
    assert response.status_code == 201
    return response.get_json()


def pay(client, invoice_ids, amount, pan="4111111111111111", customer="cus_ann", **extra):
    return client.post("/transactions", {
        "type": "sale", "customerId": customer, "websiteId": "web_shop", "currency": "USD",
        "amount": amount, "paymentInstruction": card(pan), "invoiceIds": invoice_ids, **extra})


def invoice(client, invoice_id):
    return client.get(f"/invoices/{invoice_id}").get_json()


def test_a_full_payment_makes_the_invoice_paid(shop):
    bill = issued(shop, 10.1, 20.2)

    response = pay(shop, [bill["id"]], 30.3)

    assert response.status_code == 201
    assert response.get_json()["invoiceIds"] == [bill["id"]]
    paid = invoice(shop, bill["id"])
    assert (paid["status"], paid["amount"], paid["amountDue"]) == ("paid", 30.3, 0)
    assert paid["paidTime"] is not None
    assert paid["transactions"] == [response.get_json()["id"]]
    assert "allocations" not in paid


def test_partial_payments_leave_the_rest_due_until_paid(shop):
    bill = issued(shop, 52.5)

    pay(shop, [bill["id"]], 20)
    part = invoice(shop, bill["id"])
    assert (part["status"], part["amountDue"], part["paidTime"]) == ("partially-paid", 32.5,
                                                                      None)
    assert pay(shop, [bill["id"]], 32.51).get_json()["invalidFields"][0]["field"] == "amount"

    pay(shop, [bill["id"]], 32.5)

    assert (invoice(shop, bill["id"])["status"], invoice(shop, bill["id"])["amountDue"]) == (
        "paid", 0)


def test_one_payment_is_allocated_to_several_invoices_in_order(shop):
    first, second = issued(shop, 10), issued(shop, 15)

    pay(shop, [second["id"], first["id"]], 20)

    assert (invoice(shop, second["id"])["status"], invoice(shop, first["id"])["amountDue"]) == (
        "paid", 5)
    assert invoice(shop, first["id"])["status"] == "partially-paid"


def test_a_declined_payment_leaves_the_invoice_unpaid(shop):
    bill = issued(shop, 10)

    response = pay(shop, [bill["id"]], 10, pan=DECLINED)

    assert response.status_code == 201
    assert response.get_json()["result"] == "declined"
    after = invoice(shop, bill["id"])
    assert (after["status"], after["amountDue"], after["transactions"]) == ("unpaid", 10, [])


def test_a_waiting_payment_pays_when_it_is_approved(shop):
    bill = issued(shop, 10)
    waiting = pay(shop, [bill["id"]], 10, pan=TRIGGER).get_json()
    assert invoice(shop, bill["id"])["status"] == "unpaid"

    finished = shop.post(f"/transactions/{waiting['id']}/update", {"result": "approved"})

    assert finished.status_code in (200, 201), finished.get_json()
    assert invoice(shop, bill["id"])["status"] == "paid"


def test_refunds_move_the_invoice_to_partially_refunded_then_refunded(shop):
    bill = issued(shop, 30)
    sale = pay(shop, [bill["id"]], 30).get_json()

    shop.post(f"/transactions/{sale['id']}/refund", {"amount": 10})
    part = invoice(shop, bill["id"])
    assert (part["status"], part["amountDue"]) == ("partially-refunded", 0)

    shop.post(f"/transactions/{sale['id']}/refund", {"amount": 20})
    assert invoice(shop, bill["id"])["status"] == "refunded"


@pytest.mark.parametrize("setup, field", [
    (lambda shop: ["in_none"], "invoiceIds"),
    (lambda shop: [issued(shop, 10, customer="cus_bob")["id"]], "invoiceIds"),
    (lambda shop: [issued(shop, 10, currency="EUR")["id"]], "invoiceIds"),
    (lambda shop: [shop.post("/invoices", {"customerId": "cus_ann", "websiteId": "web_shop",
                                           "currency": "USD"}).get_json()["id"]], "invoiceIds"),
    (lambda shop: [issued(shop)["id"]], "invoiceIds"),
    (lambda shop: [issued(shop, 5)["id"]] * 2, "invoiceIds"),
    (lambda shop: [issued(shop, 5)["id"]], "amount"),
])
def test_payments_the_invoices_cannot_take_are_422_and_store_nothing(shop, app, setup, field):
    invoice_ids = setup(shop)
    before = stored(app, "transactions")

    response = pay(shop, invoice_ids, 10)

    assert response.status_code == 422, response.get_json()
    assert {entry["field"] for entry in response.get_json()["invalidFields"]} == {field}
    assert stored(app, "transactions") == before


def test_an_authorization_cannot_name_invoices(shop):
    bill = issued(shop, 10)

    response = pay(shop, [bill["id"]], 10, type="authorize")

    assert {entry["field"] for entry in response.get_json()["invalidFields"]} == {"invoiceIds"}


def test_a_voided_or_abandoned_invoice_cannot_be_paid(shop):
    voided, abandoned = issued(shop, 10), issued(shop, 10)
    shop.request("POST", f"/invoices/{voided['id']}/void")
    shop.request("POST", f"/invoices/{abandoned['id']}/abandon")

    for bill in (voided, abandoned):
        assert pay(shop, [bill["id"]], 10).status_code == 422


def test_another_namespace_cannot_pay_the_invoice(shop, app):
    bill = issued(shop, 10)
    other = shop.with_key(OTHER_KEY)
    assert put(other, "/customers/cus_ann", {"firstName": "Ann"}).status_code == 201

    assert pay(other, [bill["id"]], 10).status_code == 422
    assert invoice(shop, bill["id"])["status"] == "unpaid"
    assert_problem(other.get(f"/invoices/{bill['id']}"), 404)


def deliveries(app):
    state = app.extensions["sandbox"]
    with state.store.transaction() as tx:
        return tx.all(state.namespace_for(API_KEY).id, events.DELIVERIES)


def test_invoice_events_are_written_in_order_with_the_invoice_embedded(shop, app):
    assert shop.post("/webhooks", {"method": "POST", "url": "https://hooks.example.com/in",
                                   "credentialHash": "crd_x"}).status_code == 201
    draft = shop.post("/invoices", {"customerId": "cus_ann", "websiteId": "web_shop",
                                    "currency": "USD"}).get_json()
    shop.post(f"/invoices/{draft['id']}/items", {"type": "debit", "unitPrice": 30})
    shop.request("POST", f"/invoices/{draft['id']}/issue")
    sale = pay(shop, [draft["id"]], 10).get_json()
    pay(shop, [draft["id"]], 20)
    shop.post(f"/transactions/{sale['id']}/refund", {"amount": 5})
    other = issued(shop, 4)
    shop.request("POST", f"/invoices/{other['id']}/abandon")
    voided = issued(shop, 4)
    shop.request("POST", f"/invoices/{voided['id']}/void")

    written = [(entry["eventType"], entry["entityId"]) for entry in deliveries(app)
               if entry["eventType"].startswith("invoice-")]
    first, second, third = draft["id"], other["id"], voided["id"]
    assert written == [
        ("invoice-created", first), ("invoice-modified", first), ("invoice-issued", first),
        ("invoice-partially-paid", first), ("invoice-paid", first),
        ("invoice-partially-refunded", first),
        *[(name, second) for name in ("invoice-created", "invoice-modified", "invoice-issued",
                                      "invoice-abandoned")],
        *[(name, third) for name in ("invoice-created", "invoice-modified", "invoice-issued",
                                     "invoice-voided")]]
    paid = next(json.loads(entry["body"]) for entry in deliveries(app)
                if entry["eventType"] == "invoice-paid")
    assert paid["invoiceId"] == first and paid["eventType"] == "invoice-paid"
    assert paid["_embedded"]["invoice"]["status"] == "paid"
    assert "allocations" not in paid["_embedded"]["invoice"]
    assert paid["_links"] == [{"rel": "invoice", "href": f"http://localhost/invoices/{first}"}]
    names = [entry["eventType"] for entry in deliveries(app)]
    assert names[names.index("invoice-partially-paid") - 1] == "transaction-processed"


def test_a_webhook_receiver_gets_the_invoice_events_in_order(sandbox, webhook_receiver):
    import requests

    names = ["invoice-created", "invoice-modified", "invoice-issued", "invoice-paid"]
    webhook_receiver.register(sandbox, events=names)

    def call(method, path, body=None):
        response = requests.request(method, f"{sandbox.url}{path}", headers=sandbox.headers,
                                    json=body, timeout=10)
        assert response.status_code < 300, response.text
        return response.json()

    call("PUT", "/customers/cus_ann", {"firstName": "Ann"})
    call("PUT", "/websites/web_shop", {"name": "Shop", "url": "shop.test",
                                       "servicePhone": "1", "serviceEmail": "a@shop.test"})
    bill = call("POST", "/invoices", {"customerId": "cus_ann", "websiteId": "web_shop",
                                      "currency": "USD"})
    call("POST", f"/invoices/{bill['id']}/items", {"type": "debit", "unitPrice": 9.99})
    call("POST", f"/invoices/{bill['id']}/issue", {})
    call("POST", "/transactions", {"type": "sale", "customerId": "cus_ann",
                                   "websiteId": "web_shop", "currency": "USD", "amount": 9.99,
                                   "paymentInstruction": card(), "invoiceIds": [bill["id"]]})

    [paid] = webhook_receiver.wait_for("invoice-paid", timeout=10)
    assert paid["_embedded"]["invoice"]["amountDue"] == 0
    received = [request.json()["eventType"] for request in webhook_receiver.requests]
    assert received == names


def test_an_approved_payments_unused_amount_pays_an_invoice_through_its_route(shop):
    sale = shop.post("/transactions", {
        "type": "sale", "customerId": "cus_ann", "websiteId": "web_shop", "currency": "USD",
        "amount": 50, "paymentInstruction": card("4111111111111111")}).get_json()
    first, second = issued(shop, 30), issued(shop, 30)

    paid = shop.post(f"/invoices/{first['id']}/transaction", {"transactionId": sale["id"]})
    assert paid.status_code == 200
    assert (paid.get_json()["status"], paid.get_json()["amountDue"]) == ("paid", 0)
    assert "X-RateLimit-Remaining" in paid.headers
    part = shop.post(f"/invoices/{second['id']}/transaction", {"transactionId": sale["id"]})
    assert (part.get_json()["status"], part.get_json()["amountDue"]) == ("partially-paid", 10)
    used_up = shop.post(f"/invoices/{second['id']}/transaction", {"transactionId": sale["id"]})
    assert used_up.status_code == 422
    assert "no unused amount" in used_up.get_json()["invalidFields"][0]["message"]
    assert shop.get(f"/transactions/{sale['id']}").get_json()["invoiceIds"] == [
        first["id"], second["id"]]

    shop.post(f"/transactions/{sale['id']}/refund", {"amount": 50})
    assert invoice(shop, first["id"])["status"] == "refunded"


@pytest.mark.parametrize("body, field", [
    ({"transactionId": "txn_none"}, "transactionId"),
    ({"transactionId": "DECLINED"}, "transactionId"),
    ({"transactionId": "APPROVED", "amount": 31}, "amount"),
    ({}, "transactionId"),
])
def test_an_invoice_transaction_that_cannot_pay_is_a_422(shop, body, field):
    approved = shop.post("/transactions", {
        "type": "sale", "customerId": "cus_ann", "websiteId": "web_shop", "currency": "USD",
        "amount": 100, "paymentInstruction": card("4111111111111111")}).get_json()
    declined = shop.post("/transactions", {
        "type": "sale", "customerId": "cus_ann", "websiteId": "web_shop", "currency": "USD",
        "amount": 100, "paymentInstruction": card("4000000000000002")}).get_json()
    chosen = {"APPROVED": approved["id"], "DECLINED": declined["id"]}
    body = {name: chosen.get(value, value) for name, value in body.items()}
    bill = issued(shop, 30)
    response = shop.post(f"/invoices/{bill['id']}/transaction", body)
    assert response.status_code == 422
    assert {entry["field"] for entry in response.get_json()["invalidFields"]} == {field}
    assert invoice(shop, bill["id"])["status"] == "unpaid"
