"""Billing over time: renewals, trials, dunning, cancellations, pauses and pending orders moving
on the namespace clock, each step at its own simulated time, in time order, and the clock's
answer counting what the steps made."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests
from billing_helpers import (  # noqa: F401  (the shop and admin fixtures)
    APPROVED,
    admin_fixture,
    deliveries,
    instrument,
    listen,
    order,
    orders_fixture_set,
    put,
    shop_fixture,
)
from helpers import OTHER_KEY

START = "2030-01-31T10:00:00+00:00"
DAY = 86400


@pytest.fixture
def frozen(shop, admin):
    """The shop with its clock stopped at ``START`` (the last day of a month)."""
    assert admin.post("/clock", {"action": "freeze", "time": START}).status_code == 200
    return shop


def advance(admin, days: float = 0, seconds: float = 0) -> dict:
    moved = admin.post("/clock", {"action": "advance", "seconds": days * DAY + seconds})
    assert moved.status_code == 200, moved.get_json()
    return moved.get_json()["billing"]


def default_card(client, pan=APPROVED, **expiry) -> str:
    card = instrument(client, pan, **expiry)
    assert put(client, "/customers/cus_ann", {"firstName": "Ann",
                                              "defaultPaymentInstrumentId": card}).status_code \
        == 200
    return card


def invoices_of(client, order_id: str) -> list[dict]:
    return client.get(f"/invoices?filter=subscriptionId:{order_id}&sort=issuedTime"
                      "&limit=100").get_json()


def read(client, order_id: str) -> dict:
    return client.get(f"/subscriptions/{order_id}").get_json()


def test_a_monthly_order_advanced_35_days_renews_once_and_is_paid(frozen, admin, app):
    listen(frozen)
    default_card(frozen)
    made = order(frozen, ("monthly", 1))
    before = len(deliveries(app))

    made_by = advance(admin, days=35)

    assert {name: made_by[name] for name in ("renewals", "invoices", "payments", "declines")} \
        == {"renewals": 1, "invoices": 1, "payments": 1, "declines": 0}
    after = read(frozen, made["id"])
    assert (after["status"], after["rebillNumber"], after["billingStatus"]) == (
        "active", 2, "paid")
    assert (after["currentPeriodStart"], after["renewalTime"]) == (
        "2030-02-28T10:00:00+00:00", "2030-03-31T10:00:00+00:00")
    renewal = invoices_of(frozen, made["id"])[-1]
    assert (renewal["type"], renewal["status"], renewal["amount"]) == ("renewal", "paid", 30)
    assert renewal["issuedTime"] == renewal["paidTime"] == "2030-02-28T10:00:00+00:00"
    assert [(line["periodStartTime"], line["periodEndTime"], line["periodNumber"])
            for line in renewal["items"]] == [
        ("2030-02-28T10:00:00+00:00", "2030-03-31T10:00:00+00:00", 2)]
    written = [entry["eventType"] for entry in deliveries(app)[before:]]
    assert written == ["invoice-created", "invoice-issued", "renewal-invoice-issued",
                       "subscription-renewed", "transaction-processed", "invoice-paid"]
    assert made_by["events"] == len(written)
    [sale] = frozen.get("/transactions?filter=isMerchantInitiated:true").get_json()
    assert (sale["isRebill"], sale["rebillNumber"], sale["createdTime"]) == (
        True, 2, "2030-02-28T10:00:00+00:00")


def test_a_year_in_one_advance_renews_twelve_times_at_each_months_end(frozen, admin):
    default_card(frozen)
    monthly = order(frozen, ("monthly", 1))
    yearly = order(frozen, ("yearly", 1))

    made_by = advance(admin, days=365)

    assert made_by["renewals"] == 13 and made_by["payments"] == 13
    issued = [bill["issuedTime"][:10] for bill in invoices_of(frozen, monthly["id"])]
    assert issued == ["2030-01-31", "2030-02-28", "2030-03-31", "2030-04-30", "2030-05-31",
                      "2030-06-30", "2030-07-31", "2030-08-31", "2030-09-30", "2030-10-31",
                      "2030-11-30", "2030-12-31", "2031-01-31"]
    assert [bill["amount"] for bill in invoices_of(frozen, monthly["id"])] == [35] + [30] * 12
    assert read(frozen, monthly["id"])["rebillNumber"] == 13
    assert [bill["issuedTime"][:10] for bill in invoices_of(frozen, yearly["id"])] == [
        "2030-01-31", "2031-01-31"]
    times = [sale["createdTime"] for sale in
             frozen.get("/transactions?sort=createdTime&limit=100").get_json()]
    assert times == sorted(times) and len(times) == 15


def test_recurring_interval_limit_completes_the_order(frozen, admin):
    default_card(frozen)
    assert put(frozen, "/plans/three", {
        "name": "Three months", "productId": "pro", "currency": "USD",
        "pricing": {"formula": "fixed-fee", "price": 10},
        "recurringInterval": {"unit": "month", "length": 1, "limit": 3}}).status_code == 201
    made = order(frozen, ("three", 1))

    made_by = advance(admin, days=200)

    assert (made_by["renewals"], made_by["completed"]) == (2, 1)
    after = read(frozen, made["id"])
    assert (after["status"], after["rebillNumber"], after["renewalTime"]) == (
        "completed", 3, None)
    assert len(invoices_of(frozen, made["id"])) == 3


def test_a_trial_is_charged_when_it_ends_and_converts(frozen, admin, app):
    listen(frozen)
    default_card(frozen)
    made = order(frozen, ("seats", 3))
    assert (made["inTrial"], invoices_of(frozen, made["id"])[0]["amount"]) == (True, 0)
    before = len(deliveries(app))

    made_by = advance(admin, days=14)

    assert (made_by["trialsEnded"], made_by["renewals"], made_by["payments"]) == (1, 1, 1)
    after = read(frozen, made["id"])
    assert (after["inTrial"], after["trialConversionTime"]) == (
        False, "2030-02-14T10:00:00+00:00")
    assert after["renewalTime"] == "2030-03-14T10:00:00+00:00"
    first_paid = invoices_of(frozen, made["id"])[-1]
    assert (first_paid["amount"], first_paid["status"]) == (30, "paid")
    written = [entry["eventType"] for entry in deliveries(app)[before:]]
    assert written[0] == "subscription-trial-ended"
    assert written[-1] == "subscription-trial-converted"


def test_an_expired_card_declines_the_renewal_and_the_retry_takes_the_new_card(
        frozen, admin, app):
    listen(frozen)
    default_card(frozen, month=1, year=2030)  # expires when January 2030 ends
    made = order(frozen, ("monthly", 1))
    before = len(deliveries(app))

    first = advance(admin, days=29)  # March 1st: the February 28th renewal declined
    assert (first["renewals"], first["declines"], first["payments"]) == (1, 1, 0)
    [declined] = frozen.get("/transactions?filter=result:declined").get_json()
    assert declined["gateway"]["response"]["code"] == "54"
    renewal = invoices_of(frozen, made["id"])[-1]
    assert (renewal["status"], renewal["autopayScheduledTime"]) == (
        "past-due", "2030-03-01T11:00:00+00:00")
    assert read(frozen, made["id"])["billingStatus"] == "past-due"

    default_card(frozen)  # the customer adds a card that works
    second = advance(admin, days=1)
    assert (second["retries"], second["payments"]) == (1, 1)
    renewal = invoices_of(frozen, made["id"])[-1]
    assert (renewal["status"], renewal["autopayRetryNumber"]) == ("paid", 1)
    assert read(frozen, made["id"])["billingStatus"] == "paid"
    written = [entry["eventType"] for entry in deliveries(app)[before:]]
    assert written.index("renewal-invoice-payment-declined") < written.index(
        "invoice-past-due") < written.index("invoice-paid")


def test_dunning_ends_with_the_invoice_abandoned_and_the_order_churned(frozen, admin, app):
    listen(frozen)
    default_card(frozen)
    made = order(frozen, ("monthly", 1))
    assert admin.post("/faults", {"on": "renewal-payment", "times": 4}).status_code == 201
    before = len(deliveries(app))

    made_by = advance(admin, days=40)

    assert (made_by["declines"], made_by["retries"], made_by["abandoned"]) == (4, 3, 1)
    after = read(frozen, made["id"])
    assert (after["status"], after["canceledBy"], after["cancelCategory"]) == (
        "churned", "rebilly", "billing-failure")
    assert after["churnTime"] == "2030-03-07T11:00:00+00:00"  # due + 7 days, the last retry
    renewal = invoices_of(frozen, made["id"])[-1]
    assert (renewal["status"], renewal["autopayRetryNumber"]) == ("abandoned", 3)
    written = [(entry["eventType"], entry["createdTime"][5:16])
               for entry in deliveries(app)[before:]]
    declined = ["transaction-processed", "transaction-declined",
                "renewal-invoice-payment-declined"]
    assert written == [
        *[(name, "02-28T10:00") for name in ("invoice-created", "invoice-issued",
                                             "renewal-invoice-issued", "subscription-renewed",
                                             *declined)],
        ("invoice-past-due", "02-28T11:00"),
        *[(name, "03-01T11:00") for name in declined],
        *[(name, "03-03T11:00") for name in declined],
        *[(name, "03-07T11:00") for name in (*declined, "invoice-abandoned",
                                             "subscription-canceled", "subscription-churned")]]
    assert advance(admin, days=60)["renewals"] == 0


def test_a_renewal_payment_fault_declines_only_the_next_charges(frozen, admin):
    default_card(frozen)
    made = order(frozen, ("monthly", 1))
    assert admin.post("/faults", {"on": "renewal-payment", "times": 1}).status_code == 201

    first = advance(admin, days=29)
    assert (first["declines"], first["payments"]) == (1, 0)
    second = advance(admin, days=1)  # the retry a day after the due time is not faulted
    assert (second["retries"], second["payments"]) == (1, 1)
    assert read(frozen, made["id"])["billingStatus"] == "paid"


def test_a_cancellation_at_next_renewal_churns_on_the_clock(frozen, admin, app):
    listen(frozen)
    default_card(frozen)
    made = order(frozen, ("monthly", 1))
    canceled = frozen.post("/subscription-cancellations", {
        "subscriptionId": made["id"], "churnTimePolicy": "at-next-renewal"})
    assert canceled.status_code == 201, canceled.get_json()
    assert read(frozen, made["id"])["status"] == "canceled"

    made_by = advance(admin, days=40)

    assert (made_by["churned"], made_by["renewals"]) == (1, 0)
    after = read(frozen, made["id"])
    assert (after["status"], after["churnTime"]) == ("churned", "2030-02-28T10:00:00+00:00")
    cancellation = frozen.get(f"/subscription-cancellations/{canceled.get_json()['id']}")
    assert cancellation.get_json()["status"] == "completed"


def test_a_pause_starts_and_ends_on_the_clock_and_moves_the_renewal(frozen, admin):
    default_card(frozen)
    made = order(frozen, ("monthly", 1))
    paused = frozen.post("/subscription-pauses", {
        "subscriptionId": made["id"], "effectiveTime": "2030-02-10T10:00:00Z",
        "endTime": "2030-02-20T10:00:00Z"})
    assert paused.status_code == 201, paused.get_json()

    assert advance(admin, days=12)["pauses"] == 1
    assert read(frozen, made["id"])["status"] == "paused"
    assert advance(admin, days=10)["pauses"] == 1
    after = read(frozen, made["id"])
    assert (after["status"], after["renewalTime"]) == ("active", "2030-03-10T10:00:00+00:00")
    assert advance(admin, days=20)["renewals"] == 1


def test_a_pending_order_starts_at_its_start_time_or_is_abandoned(frozen, admin):
    default_card(frozen)
    later = order(frozen, ("monthly", 1), startTime="2030-02-05T00:00:00Z")
    assert (later["status"], later["billingStatus"]) == ("pending", "paid")
    unpaid = order(frozen, ("monthly", 1), autopay=False,
                   abandonTime="2030-02-03T00:00:00Z")

    made_by = advance(admin, days=10)

    assert (made_by["activations"], made_by["abandoned"]) == (1, 1)
    started = read(frozen, later["id"])
    assert (started["status"], started["activationTime"]) == (
        "active", "2030-02-05T00:00:00+00:00")
    assert read(frozen, unpaid["id"])["status"] == "abandoned"
    assert invoices_of(frozen, unpaid["id"])[0]["status"] == "voided"


def test_two_namespaces_advance_independently(frozen, admin, client):
    default_card(frozen)
    made = order(frozen, ("monthly", 1))
    other_admin = admin.with_key(OTHER_KEY)
    other = client.with_key(OTHER_KEY)
    assert other_admin.post("/clock", {"action": "freeze", "time": START}).status_code == 200
    assert put(other, "/customers/cus_bob", {"firstName": "Bob"}).status_code == 201

    assert advance(other_admin, days=100)["renewals"] == 0
    assert read(frozen, made["id"])["rebillNumber"] == 1
    assert advance(admin, days=31)["renewals"] == 1


def test_each_renewal_is_stamped_with_its_own_time(frozen, admin):
    default_card(frozen)
    made = order(frozen, ("monthly", 1))
    advance(admin, days=100)

    stamps = [(bill["createdTime"], bill["issuedTime"]) for bill in
              invoices_of(frozen, made["id"])[1:]]
    assert all(created == issued for created, issued in stamps)
    assert [datetime.fromisoformat(issued).day for _, issued in stamps] == [28, 31, 30]


@pytest.mark.slow
def test_a_year_over_a_thousand_monthly_orders_makes_every_renewal_once(admin, client):
    """Its time is the benchmark's (make bench); here, that every step happens once."""
    assert admin.post("/clock", {"action": "freeze", "time": START}).status_code == 200
    assert admin.post("/fixtures", orders_fixture_set(1000)).status_code == 201

    made_by = advance(admin, days=365)

    assert (made_by["renewals"], made_by["payments"], made_by["declines"]) == (
        12000, 12000, 0)
    assert client.get("/subscriptions?filter=rebillNumber:13&limit=1").headers[
        "Pagination-Total"] == "1000"
    assert client.get("/invoices?filter=type:renewal&limit=1").headers[
        "Pagination-Total"] == "12000"


def served_monthly_order(sandbox) -> dict:
    """Over HTTP, in the plugin's namespace: a monthly plan, a customer whose default card
    approves, and a monthly order on it (paid at once); the order."""
    def call(method: str, path: str, body: dict) -> dict:
        answer = requests.request(method, f"{sandbox.url}{path}", headers=sandbox.headers,
                                  json=body, timeout=10)
        assert answer.status_code < 300, answer.text
        return answer.json()

    call("PUT", "/products/pro", {"name": "Pro"})
    call("PUT", "/plans/monthly", {"name": "Monthly", "productId": "pro", "currency": "USD",
                                   "pricing": {"formula": "fixed-fee", "price": 30},
                                   "recurringInterval": {"unit": "month", "length": 1}})
    call("PUT", "/customers/cus_ann", {"firstName": "Ann", "paymentToken": call(
        "POST", "/tokens", {"method": "payment-card", "paymentInstrument": {
            "pan": APPROVED, "expMonth": 12, "expYear": 2040, "cvv": "123"},
            "billingAddress": {"firstName": "Ann", "lastName": "Lee"}})["id"]})
    return call("POST", "/subscriptions", {"orderType": "subscription-order",
                                           "customerId": "cus_ann", "websiteId": "web_shop",
                                           "items": [{"plan": {"id": "monthly"}}]})


@pytest.mark.served
def test_the_plugins_sandbox_fixture_advances_a_month_of_billing(sandbox):
    sandbox.freeze_clock()
    sandbox.set_clock("2030-01-31T10:00:00Z")  # a frozen clock stays frozen where it is set
    served_monthly_order(sandbox)

    moved = sandbox.advance(days=31, hours=1)

    assert moved["now"] == "2030-03-03T11:00:00+00:00"
    assert (moved["billing"]["renewals"], moved["billing"]["payments"]) == (1, 1)


@pytest.mark.served
def test_the_webhook_receiver_gets_an_orders_events_in_order(sandbox, webhook_receiver):
    names = ["subscription-created", "invoice-created", "invoice-issued", "invoice-paid",
             "subscription-activated", "renewal-invoice-issued", "subscription-renewed"]
    webhook_receiver.register(sandbox, events=names)
    sandbox.freeze_clock("2030-01-31T10:00:00Z")
    made = served_monthly_order(sandbox)
    sandbox.advance(days=29)

    [_, renewal_paid] = webhook_receiver.wait_for("invoice-paid", count=2, timeout=10)
    assert renewal_paid["_embedded"]["invoice"]["type"] == "renewal"
    received = [request.json()["eventType"] for request in webhook_receiver.requests]
    assert received == names[:5] + ["invoice-created", "invoice-issued", "renewal-invoice-issued",
                                    "subscription-renewed", "invoice-paid"]
    [renewed] = webhook_receiver.wait_for("subscription-renewed")
    assert renewed["_embedded"]["subscription"]["rebillNumber"] == 2
    [issued] = [request.json() for request in webhook_receiver.requests
                if request.json()["eventType"] == "renewal-invoice-issued"]
    assert (issued["subscriptionId"], issued["invoiceId"]) == (
        made["id"], issued["_embedded"]["invoice"]["id"])


def test_a_prorated_change_bills_the_difference_on_the_next_renewal(frozen, admin):
    default_card(frozen)
    for plan_id, price in (("thirty", 30), ("sixty", 60)):
        assert put(frozen, f"/plans/{plan_id}", {
            "name": plan_id.capitalize(), "productId": "pro", "currency": "USD",
            "pricing": {"formula": "fixed-fee", "price": price},
            "recurringInterval": {"unit": "day", "length": 30}}).status_code == 201
    made = order(frozen, ("thirty", 1))
    advance(admin, days=10)

    changed = frozen.post(f"/subscriptions/{made['id']}/change-items", {
        "items": [{"plan": {"id": "sixty"}}], "renewalPolicy": "retainRecurring",
        "prorated": True})

    assert changed.status_code == 201, changed.get_json()
    assert [(line["type"], line["price"]) for line in changed.get_json()["lineItems"]] == [
        ("credit", 20), ("debit", 40)]
    assert changed.get_json()["lineItemSubtotal"] == 20
    upcoming = frozen.get(f"/subscriptions/{made['id']}/upcoming-invoice").get_json()
    assert (upcoming["amount"], [line["isInterim"] for line in upcoming["items"]]) == (
        80, [False, True, True])
    advance(admin, days=20)
    renewal = invoices_of(frozen, made["id"])[-1]
    assert (renewal["subtotalAmount"], renewal["status"]) == (80, "paid")
    assert read(frozen, made["id"])["lineItems"] == []


def test_an_upcoming_invoice_issued_early_is_the_one_the_renewal_charges(frozen, admin):
    default_card(frozen)
    made = order(frozen, ("monthly", 1))
    upcoming = frozen.get(f"/subscriptions/{made['id']}/upcoming-invoice").get_json()

    issued = frozen.post(f"/subscriptions/{made['id']}/upcoming-invoice/issue", {})

    assert issued.status_code == 201, issued.get_json()
    assert (issued.get_json()["id"], issued.get_json()["amount"]) == (upcoming["id"], 30)
    again = frozen.post(f"/subscriptions/{made['id']}/upcoming-invoice/issue", {})
    assert again.status_code == 409
    bill = frozen.get(f"/invoices/{upcoming['id']}").get_json()
    assert (bill["type"], bill["status"], bill["issuedTime"]) == ("renewal", "unpaid", START)
    assert read(frozen, made["id"])["rebillNumber"] == 1  # the renewal is still ahead

    made_by = advance(admin, days=29)

    assert (made_by["renewals"], made_by["invoices"], made_by["payments"]) == (1, 0, 1)
    assert frozen.get(f"/invoices/{upcoming['id']}").get_json()["status"] == "paid"
    assert len(invoices_of(frozen, made["id"])) == 2


def test_an_invoice_unpaid_at_its_delinquency_time_ends_the_order(frozen, admin, app):
    listen(frozen)
    default_card(frozen)
    made = order(frozen, ("monthly", 1), delinquencyPeriod="P2D")
    assert admin.post("/faults", {"on": "renewal-payment"}).status_code == 201
    before = len(deliveries(app))

    made_by = advance(admin, days=40)

    assert (made_by["retries"], made_by["churned"]) == (1, 1)
    renewal = invoices_of(frozen, made["id"])[-1]
    assert (renewal["status"], renewal["delinquencyTime"]) == (
        "past-due", "2030-03-02T11:00:00+00:00")
    after = read(frozen, made["id"])
    assert (after["status"], after["cancelCategory"], after["churnTime"]) == (
        "churned", "delinquency", "2030-03-02T11:00:00+00:00")
    written = [entry["eventType"] for entry in deliveries(app)[before:]]
    assert written[-3:] == ["order-delinquency-reached", "subscription-canceled",
                            "subscription-churned"]


def test_a_move_of_the_global_clock_renews_every_namespace_that_follows_it(shop, admin, client):
    everyone = admin.with_key(None)
    assert everyone.post("/clock", {"action": "freeze", "time": START}).status_code == 200
    default_card(shop)
    order(shop, ("monthly", 1))
    other = client.with_key(OTHER_KEY)
    assert put(other, "/customers/cus_ann", {"firstName": "Ann"}).status_code == 201
    assert put(other, "/products/pro", {"name": "Pro"}).status_code == 201
    assert put(other, "/plans/monthly", {"name": "Monthly", "productId": "pro",
                                         "currency": "USD",
                                         "pricing": {"formula": "fixed-fee", "price": 30},
                                         "recurringInterval": {"unit": "month", "length": 1}}
               ).status_code == 201
    default_card(other)
    order(other, ("monthly", 1))

    moved = everyone.post("/clock", {"action": "advance", "seconds": 31 * DAY})

    assert moved.status_code == 200, moved.get_json()
    assert (moved.get_json()["scope"], moved.get_json()["billing"]["renewals"]) == ("global", 2)
