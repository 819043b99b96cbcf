"""/subscription-reactivations: a canceled order back within its paid time, a churned one with
a new period, refusals (409 for any other status), events, isolation and hostile bodies."""

from __future__ import annotations

import re

import pytest
from helpers import OTHER_KEY, assert_problem, stored
from test_openapi import assert_conforms
from test_order_cancellations import (
    NOW,
    RENEWAL,
    at,
    context,
    event_types,
    invalid_fields,
    make_order,
    messages,
    open_shop,
    order_of,
    payload,
    put,
)

from rebilly_sandbox.services import cancellations

REACTIVATION_ID = re.compile(r"^sub_rct_[0-9A-HJKMNP-TV-Z]{26}$")
CANCEL_MEMBERS = ("churnTime", "canceledTime", "canceledBy", "cancelCategory",
                  "cancelDescription")


@pytest.fixture
def shop(client):
    return open_shop(client)


def reactivate(client, path: str = "/subscription-reactivations", **body):
    return client.post(path, {"subscriptionId": "sub_1", **body})


def cancel(client, **body):
    response = client.post("/subscription-cancellations", {"subscriptionId": "sub_1", **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_canceled_order_is_active_again_and_its_cancellation_revoked(shop, app):
    make_order(app)
    cancellation = cancel(shop, churnTimePolicy="at-next-renewal", description="bye")

    response = reactivate(shop, description="Changed my mind",
                          effectiveTime="2030-01-12T00:00:00Z",
                          renewalTime="2030-06-01T00:00:00Z")

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert REACTIVATION_ID.match(body["id"])
    assert response.headers["Location"] == (
        f"http://localhost/subscription-reactivations/{body['id']}")
    assert {key: body[key] for key in ("subscriptionId", "cancellationId", "description",
                                       "renewalTime", "createdTime")} == {
        "subscriptionId": "sub_1", "cancellationId": cancellation["id"],
        "description": "Changed my mind", "renewalTime": RENEWAL, "createdTime": NOW}
    assert "effectiveTime" not in body and "paymentInstrumentId" not in body
    assert body["_links"] == [{"rel": "self", "href": response.headers["Location"]}]
    order = order_of(app)
    assert order["status"] == "active"
    assert {name: order[name] for name in CANCEL_MEMBERS} == dict.fromkeys(CANCEL_MEMBERS)
    assert (order["renewalTime"], order["currentPeriodStart"]) == (
        RENEWAL, "2030-01-01T00:00:00+00:00")
    revoked = shop.get(f"/subscription-cancellations/{cancellation['id']}").get_json()
    assert revoked["status"] == "revoked"
    assert event_types(app) == ["subscription-canceled", "subscription-reactivated"]
    reactivated = payload(app, "subscription-reactivated")
    assert reactivated["_embedded"]["subscription"]["status"] == "active"


def test_churn_after_a_reactivation_leaves_the_order_alone(shop, app):
    make_order(app)
    cancel(shop, churnTimePolicy="at-next-renewal")
    reactivate(shop)
    ctx = context(app)

    with ctx.store.transaction() as tx:
        cancellations.churn(tx, ctx, "sub_1", at(RENEWAL))

    assert order_of(app)["status"] == "active"


def test_a_churned_order_starts_a_plan_interval_at_the_effective_time(shop, app):
    make_order(app)
    cancellation = cancel(shop)

    body = reactivate(shop, effectiveTime="2030-01-31T00:00:00Z").get_json()

    assert body["cancellationId"] == cancellation["id"]
    assert body["renewalTime"] == "2030-02-28T00:00:00+00:00"
    order = order_of(app)
    assert {key: order[key] for key in ("status", "currentPeriodStart", "currentPeriodEnd",
                                        "renewalTime", "rebillNumber", "churnTime")} == {
        "status": "active", "currentPeriodStart": "2030-01-31T00:00:00+00:00",
        "currentPeriodEnd": "2030-02-28T00:00:00+00:00",
        "renewalTime": "2030-02-28T00:00:00+00:00", "rebillNumber": 2, "churnTime": None}
    assert shop.get(f"/subscription-cancellations/{cancellation['id']}").get_json()[
        "status"] == "completed"
    assert event_types(app) == ["subscription-canceled", "subscription-churned",
                                "subscription-reactivated"]


def test_a_churned_order_takes_the_renewal_time_sent(shop, app):
    make_order(app, status="churned")

    body = reactivate(shop, renewalTime="2030-03-01T00:00:00Z").get_json()

    assert body["cancellationId"] is None
    order = order_of(app)
    assert (order["currentPeriodStart"], order["renewalTime"]) == (
        NOW, "2030-03-01T00:00:00+00:00")


def test_without_a_plan_interval_the_last_period_length_is_kept(shop, app):
    make_order(app, status="churned", items=[{"plan": {"id": "gone"}, "quantity": 1}])

    reactivate(shop)

    assert order_of(app)["renewalTime"] == "2030-02-10T00:00:00+00:00"


def test_the_payment_instrument_sent_must_be_the_customers(shop, app):
    make_order(app, status="churned")
    assert put(shop, "/customers/cus_bob", {"firstName": "Bob"}).status_code == 201
    cards = {}
    for customer_id in ("cus_ann", "cus_bob"):
        response = shop.post("/payment-instruments", {
            "customerId": customer_id, "method": "payment-card", "pan": "4111111111111111",
            "expMonth": 12, "expYear": 2040, "cvv": "123",
            "billingAddress": {"firstName": "Ann", "lastName": "Lee", "country": "GB"}})
        assert response.status_code == 201, response.get_json()
        cards[customer_id] = response.get_json()["id"]

    for instrument_id in ("inst_none", cards["cus_bob"]):
        response = reactivate(shop, paymentInstrumentId=instrument_id)
        assert invalid_fields(response) == {"paymentInstrumentId"}
        assert order_of(app)["status"] == "churned"

    assert reactivate(shop, paymentInstrumentId=cards["cus_ann"]).status_code == 201
    assert order_of(app)["paymentInstrumentId"] == cards["cus_ann"]


def test_a_renewal_time_not_after_the_effective_time_is_a_422(shop, app):
    make_order(app, status="churned")

    response = reactivate(shop, effectiveTime="2030-02-01T00:00:00Z",
                          renewalTime="2030-02-01T00:00:00Z")

    assert invalid_fields(response) == {"renewalTime"}
    assert (order_of(app)["status"], stored(app, "subscription-reactivations")) == (
        "churned", 0)


@pytest.mark.parametrize("status", ["active", "paused", "pending", "voided", "completed"])
def test_any_other_status_is_a_409(shop, app, status):
    before = make_order(app, status=status)

    problem = assert_problem(reactivate(shop), 409)

    assert f"is {status}; only a canceled or churned order" in problem["detail"]
    assert stored(app, "subscription-reactivations") == 0
    assert order_of(app) == before


@pytest.mark.parametrize("order_id, message", [
    ("sub_2", "No subscription sub_1 exists"),
    ("sub_1", "one-time order, which cannot be reactivated"),
])
def test_an_unknown_or_one_time_order_is_a_422(shop, app, order_id, message):
    make_order(app, order_id, one_time=True, status="canceled")

    response = reactivate(shop)

    assert invalid_fields(response) == {"subscriptionId"}
    assert message in messages(response)


@pytest.mark.parametrize("body, fields", [
    ({"subscriptionId": None}, {"subscriptionId"}),
    ({"subscriptionId": {"id": "sub_1"}}, {"subscriptionId"}),
    ({"effectiveTime": "yesterday", "renewalTime": 5}, {"effectiveTime", "renewalTime"}),
    ({"description": "x" * 256}, {"description"}),
    ({"paymentInstrumentId": "inst 1"}, {"paymentInstrumentId"}),
])
def test_hostile_bodies_are_422_and_change_nothing(shop, app, body, fields):
    make_order(app, status="churned")

    assert invalid_fields(reactivate(shop, **body)) == fields
    assert stored(app, "subscription-reactivations") == 0


def test_the_route_takes_a_trailing_slash_and_reads_are_not_simulated(shop, app):
    make_order(app, status="churned")

    created = reactivate(shop, "/subscription-reactivations/")

    assert created.status_code == 201
    for path in ("/subscription-reactivations",
                 f"/subscription-reactivations/{created.get_json()['id']}"):
        assert shop.get(path).status_code == 501


def test_namespaces_do_not_reach_each_others_orders(shop, app):
    make_order(app, status="churned")
    other = shop.with_key(OTHER_KEY)

    assert invalid_fields(reactivate(other)) == {"subscriptionId"}
    assert order_of(app)["status"] == "churned"
    assert stored(app, "subscription-reactivations", OTHER_KEY) == 0


def test_answers_match_the_document(shop, app):
    document = app.test_client().get("/__admin/openapi.json").get_json()
    make_order(app, status="churned")

    assert_conforms(document, "/subscription-reactivations", "POST", reactivate(shop))
    assert_conforms(document, "/subscription-reactivations", "POST", reactivate(shop))
