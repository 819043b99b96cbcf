"""Fixture sets with payment instruments and transactions: loaded through the API's rules with
the ids they name, all or nothing; exported and loaded back deciding every payment the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import API_KEY, OTHER_KEY, stored
from test_admin import Admin

from rebilly_sandbox.fixtures import check_fixture_set, stand_in_pan
from rebilly_sandbox.gateway import APPROVAL_TRIGGER_PAN, DECLINED_CARDS, card_profile

DEFAULT_SET = json.loads((Path(__file__).parent.parent / "fixtures" / "default.json")
                         .read_text(encoding="utf-8"))
WEBSITE = "web_shop"


def card(customer_id: str, pan: str, instrument_id: str | None = None, **extra) -> dict:
    record = {"customerId": customer_id, "method": "payment-card", "pan": pan, "cvv": "123",
              "expMonth": 12, "expYear": 2030, "billingAddress": {"firstName": "Ada"}, **extra}
    if instrument_id:
        record["id"] = instrument_id
    return record


def sale(transaction_id: str, instrument_id: str, amount: float = 10, **extra) -> dict:
    return {"id": transaction_id, "type": "sale", "customerId": "cus_fx", "websiteId": WEBSITE,
            "currency": "USD", "amount": amount,
            "paymentInstruction": {"paymentInstrumentId": instrument_id}, **extra}


def checkout_set(**sections) -> dict:
    return {"customers": [{"id": "cus_fx", "email": "fx@example.com"}],
            "paymentInstruments": [card("cus_fx", "4111111111111111", "inst_fx_ok"),
                                   card("cus_fx", "4000000000000002", "inst_fx_no")],
            "transactions": [sale("txn_fx_sale", "inst_fx_ok", 30),
                             sale("txn_fx_declined", "inst_fx_no"),
                             {"id": "txn_fx_refund", "type": "refund",
                              "parentTransactionId": "txn_fx_sale", "amount": 5}],
            **sections}


@pytest.fixture
def admin(app):
    return Admin(app.test_client())


def test_instruments_and_transactions_load_with_their_ids_and_outcomes(client, admin):
    response = admin.post("/fixtures", checkout_set())

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["loaded"]["paymentInstruments"] == 2
    assert response.get_json()["loaded"]["transactions"] == 3
    approved = client.get("/transactions/txn_fx_sale").get_json()
    assert (approved["result"], approved["status"]) == ("approved", "partially-refunded")
    assert approved["childTransactions"] == ["txn_fx_refund"]
    declined = client.get("/transactions/txn_fx_declined").get_json()
    assert declined["result"] == "declined"
    assert declined["gateway"]["response"]["code"] == "05"
    assert client.get("/payment-instruments/inst_fx_ok").get_json()["status"] == "active"
    assert client.get("/payment-instruments/inst_fx_no").get_json()["status"] == "inactive"
    customer = client.get("/customers/cus_fx").get_json()
    assert customer["paymentCount"] == 1
    assert customer["lifetimeRevenue"]["amount"] == 25


def test_loading_a_set_again_charges_nothing_twice(client, admin):
    admin.post("/fixtures", checkout_set())

    again = admin.post("/fixtures", checkout_set())

    assert again.status_code == 201
    assert stored(client.client.application, "transactions") == 3
    assert client.get("/customers/cus_fx").get_json()["paymentCount"] == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"paymentInstruments": [card("cus_fx", "4111111111111112", "inst_bad")]},
     "paymentInstruments.0.pan"),
    ({"paymentInstruments": [card("cus_nobody", "4111111111111111")]},
     "paymentInstruments.0.customerId"),
    ({"paymentInstruments": [card("cus_fx", "4111111111111111", "inst x")]},
     "paymentInstruments.0.id"),
    ({"paymentInstruments": [card("cus_fx", "4111111111111111", status="active")]},
     "paymentInstruments.0.status"),
    ({"transactions": [sale("txn_x", "inst_unknown")]},
     "transactions.0.paymentInstruction.paymentInstrumentId"),
    ({"transactions": [sale("txn_x", "inst_fx_ok", amount=None)]}, "transactions.0.amount"),
    ({"transactions": [{"id": "txn_r", "type": "refund", "parentTransactionId": "txn_none",
                        "amount": 1}]}, "transactions.0.parentTransactionId"),
    ({"transactions": [sale("txn_s", "inst_fx_ok", 3),
                       {"type": "refund", "parentTransactionId": "txn_s", "amount": 4}]},
     "transactions.1.amount"),
    ({"transactions": [sale("txn_s", "inst_fx_ok", 3, requestId="order-1"),
                       sale("txn_t", "inst_fx_ok", 3, requestId="order-1")]},
     "transactions.1"),
    ({"transactions": [sale("txn_s", "inst_fx_ok", approval={"result": "approved"})]},
     "transactions.0.approval"),
])
def test_a_bad_record_loads_nothing_and_is_named(client, admin, change, field):
    response = admin.post("/fixtures", checkout_set(**change))

    assert response.status_code == 422
    assert field in [entry["field"] for entry in response.get_json()["invalidFields"]]
    for kind in ("customers", "payment-instruments", "transactions"):
        assert stored(client.client.application, kind) == 0, kind


def test_a_waiting_payment_in_a_set_is_finished_by_its_approval(client, admin):
    data = checkout_set(
        paymentInstruments=[card("cus_fx", APPROVAL_TRIGGER_PAN, "inst_3ds")],
        transactions=[sale("txn_wait", "inst_3ds"),
                      sale("txn_done", "inst_3ds", approval={"result": "approved",
                                                             "amount": 8})])

    assert admin.post("/fixtures", data).status_code == 201

    assert client.get("/transactions/txn_wait").get_json()["status"] == "waiting-approval"
    done = client.get("/transactions/txn_done").get_json()
    assert (done["status"], done["result"], done["amount"]) == ("completed", "approved", 8)
    assert done["hasAmountAdjustment"] is True


def test_a_deactivated_card_is_deactivated_after_the_payments_that_used_it(client, admin):
    data = checkout_set(paymentInstruments=[card("cus_fx", "4111111111111111", "inst_fx_ok",
                                                 status="deactivated")],
                        transactions=[sale("txn_fx_sale", "inst_fx_ok")])

    assert admin.post("/fixtures", data).status_code == 201

    assert client.get("/payment-instruments/inst_fx_ok").get_json()["status"] == "deactivated"
    assert client.get("/transactions/txn_fx_sale").get_json()["result"] == "approved"


def test_the_default_set_has_an_approved_sale_a_decline_and_a_refund(client, admin):
    assert check_fixture_set(DEFAULT_SET)["transactions"] == 3
    admin.post("/fixtures/default")

    sold = client.get("/transactions/txn_default_sale").get_json()
    assert (sold["result"], sold["status"]) == ("approved", "partially-refunded")
    assert client.get("/transactions/txn_default_declined").get_json()["result"] == "declined"
    refund = client.get("/transactions/txn_default_refund").get_json()
    assert (refund["type"], refund["parentTransactionId"]) == ("refund", "txn_default_sale")
    listed = client.get("/transactions?filter=customerId:cus_default_ada").get_json()
    assert {entry["id"] for entry in listed} == {"txn_default_sale", "txn_default_declined",
                                                 "txn_default_refund"}


def test_export_and_reload_round_trips_cards_and_payments(client, admin):
    other = client.with_key(OTHER_KEY)
    other_admin = Admin(client.client, OTHER_KEY)
    admin.post("/fixtures", checkout_set())
    client.post("/customers", {"id": "x"})  # customers made by the API export too
    token = client.post("/tokens", {"method": "payment-card", "paymentInstrument": {
        "pan": "378282246310005", "cvv": "0000", "expMonth": 5, "expYear": 2031}}).get_json()
    client.post("/payment-instruments", {"customerId": "cus_fx", "token": token["id"]})
    authorize = client.post("/transactions", {
        "type": "authorize", "customerId": "cus_fx", "websiteId": WEBSITE, "currency": "EUR",
        "amount": 20, "paymentInstruction": {"paymentInstrumentId": "inst_fx_ok"}}).get_json()
    client.post("/transactions", {
        "type": "sale", "customerId": "cus_fx", "websiteId": WEBSITE, "currency": "EUR",
        "amount": 20, "paymentInstruction": {"paymentInstrumentId": "inst_fx_ok"}})

    exported = admin.get("/export").get_json()

    assert "card-profiles" not in json.dumps(exported)
    assert "cvvFailed" not in json.dumps(exported)
    assert other_admin.post("/fixtures", exported).status_code == 201
    original = client.get("/transactions?limit=100").get_json()
    copy = other.get("/transactions?limit=100").get_json()
    assert {t["id"]: (t["type"], t["status"], t["result"], t["gateway"]["response"]["code"])
            for t in copy} == {t["id"]: (t["type"], t["status"], t["result"],
                                         t["gateway"]["response"]["code"]) for t in original}
    assert authorize["id"] in {t["id"] for t in copy}
    cards = {i["id"]: (i["bin"], i["last4"], i["brand"], i["status"], i["fingerprint"])
             for i in client.get("/payment-instruments").get_json()}
    assert {i["id"]: (i["bin"], i["last4"], i["brand"], i["status"], i["fingerprint"])
            for i in other.get("/payment-instruments").get_json()} == cards
    amex = next(i["id"] for i in other.get("/payment-instruments").get_json()
                if i["brand"] == "American Express")
    declined_by_cvv = other.post("/transactions", {
        "type": "sale", "customerId": "cus_fx", "websiteId": WEBSITE, "currency": "EUR",
        "amount": 1, "paymentInstruction": {"paymentInstrumentId": amex}}).get_json()
    assert declined_by_cvv["gateway"]["response"]["code"] == "N7"
    for key in ("paymentCount", "lifetimeRevenue", "averageValue"):
        assert other.get("/customers/cus_fx").get_json()[key] == \
            client.get("/customers/cus_fx").get_json()[key], key


@pytest.mark.parametrize(("bin_", "last4", "outcome"), [
    ("411111", "1111", "approved"), ("400000", "0002", "declined"),
    ("400000", "0002", "approved"), ("400000", "3220", "approval-required"),
    ("371449", "8431", "declined"), ("378282", "9999", "approved"), ("305693", "5904", "approved"),
])
def test_a_stand_in_number_keeps_bin_last4_and_outcome(bin_, last4, outcome):
    pan = stand_in_pan(bin_, last4, outcome)

    assert (pan[:6], pan[-4:]) == (bin_, last4)
    assert card_profile(pan, "123", 12, 2030)["outcome"] == outcome
    if outcome == "approved":
        assert pan not in DECLINED_CARDS


def test_fixture_sections_are_checked_before_anything_loads(admin, client):
    response = admin.post("/fixtures", {"transactions": {"id": "txn"}})

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["field"] == "transactions"
    assert stored(client.client.application, "transactions", API_KEY) == 0
