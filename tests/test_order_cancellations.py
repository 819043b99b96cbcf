"""/subscription-cancellations: churn now or later, drafts, replacing a draft by id, the
``churn`` step the clock calls, refusals, lists, events in order, isolation and hostile bodies.

The helpers here (an order written for a test, the frozen clock, the events written) serve the
pause and reactivation tests too.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest
from helpers import API_KEY, OTHER_KEY, ApiClient, assert_problem, stored
from test_openapi import assert_conforms

from rebilly_sandbox.services import cancellations, events
from rebilly_sandbox.services.tables import ORDERS

CANCELLATION_ID = re.compile(r"^sub_cnl_[0-9A-HJKMNP-TV-Z]{26}$")
NOW = "2030-01-10T00:00:00+00:00"
PERIOD_START = "2030-01-01T00:00:00+00:00"
RENEWAL = "2030-02-01T00:00:00+00:00"
LATER = "2030-01-20T00:00:00+00:00"


def put(client, path, body):
    return client.request("PUT", path, json=body)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def move_clock(client, action: str = "freeze", time: str = NOW, seconds: float = 0) -> None:
    """Freeze or move the namespace's clock (the key's own), so times are exact."""
    body: dict[str, Any] = {"action": action}
    if action == "freeze":
        body["time"] = time
    elif action == "advance":
        body["seconds"] = seconds
    assert client.post("/__admin/clock", body).status_code == 200


@pytest.fixture
def shop(client):
    return open_shop(client)


def open_shop(client):
    """A customer, a website, a free monthly plan and a free one-time plan, the clock frozen at
    ``NOW``, and a webhook that wants every event (so events are written as deliveries)."""
    move_clock(client)
    assert put(client, "/customers/cus_ann", {"firstName": "Ann"}).status_code == 201
    assert put(client, "/websites/web_shop", {
        "name": "Shop", "url": "shop.test", "servicePhone": "1",
        "serviceEmail": "a@shop.test"}).status_code == 201
    assert put(client, "/products/gold", {"name": "Gold"}).status_code == 201
    for plan_id, interval in (("gold-monthly", {"unit": "month", "length": 1}),
                              ("gold-once", None)):
        assert put(client, f"/plans/{plan_id}", {
            "name": plan_id, "productId": "gold", "currency": "USD",
            "pricing": {"formula": "fixed-fee", "price": 0},
            "recurringInterval": interval}).status_code == 201
    assert client.post("/webhooks", {"method": "POST", "url": "https://hooks.example.com/in",
                                     "credentialHash": "crd_x"}).status_code == 201
    return client


def make_order(app, order_id: str = "sub_1", key: str = API_KEY, *, one_time: bool = False,
               **changes: Any) -> dict[str, Any]:
    """An order made through ``PUT /subscriptions`` at ``PERIOD_START`` (the clock then back at
    ``NOW``): a free monthly one is active at once and renews at ``RENEWAL``. ``changes`` (a
    status the API reaches only as time passes) are then written straight into the store."""
    client = ApiClient(app.test_client(), key)
    move_clock(client, time=PERIOD_START)
    body = {"orderType": "one-time-order" if one_time else "subscription-order",
            "customerId": "cus_ann", "websiteId": "web_shop",
            "items": [{"plan": {"id": "gold-once" if one_time else "gold-monthly"},
                       "quantity": 1}]}
    response = client.request("PUT", f"/subscriptions/{order_id}", json=body)
    assert response.status_code == 201, response.get_json()
    move_clock(client)
    return rewrite(app, order_id, key, **changes)


def rewrite(app, order_id: str = "sub_1", key: str = API_KEY, **changes: Any) -> dict[str, Any]:
    """The stored order with ``changes`` written straight into the store."""
    order = order_of(app, order_id, key)
    if changes:
        state = app.extensions["sandbox"]
        order = {**order, **changes}
        with state.store.transaction() as tx:
            tx.put(state.namespace_for(key).id, ORDERS, order)
    return order


def priced(app, price: float, order_id: str = "sub_1") -> dict[str, Any]:
    """The order's plan priced at ``price`` a period, as if it had been bought at that price."""
    [item] = order_of(app, order_id)["items"]
    return rewrite(app, order_id, items=[{**item, "plan": {
        **item["plan"], "pricing": {"formula": "fixed-fee", "price": price}}}])


def order_of(app, order_id: str = "sub_1", key: str = API_KEY) -> dict[str, Any]:
    state = app.extensions["sandbox"]
    return state.store.get(state.namespace_for(key).id, ORDERS, order_id)


def deliveries(app, key: str = API_KEY) -> list[dict[str, Any]]:
    state = app.extensions["sandbox"]
    with state.store.transaction() as tx:
        return tx.all(state.namespace_for(key).id, events.DELIVERIES)


#: The events cancellations, pauses and reactivations fire (those of making an order aside).
RECORD_EVENTS = frozenset({
    "subscription-canceled", "subscription-churned", "subscription-reactivated",
    "subscription-pause-created", "subscription-pause-modified", "subscription-pause-revoked",
    "subscription-paused", "subscription-resumed"})


def event_types(app, key: str = API_KEY) -> list[str]:
    """The events of cancellations, pauses and reactivations, in the order written."""
    return [delivery["eventType"] for delivery in deliveries(app, key)
            if delivery["eventType"] in RECORD_EVENTS]


def payload(app, event_type: str) -> dict[str, Any]:
    [found] = [json.loads(delivery["body"]) for delivery in deliveries(app)
               if delivery["eventType"] == event_type]
    return found


def context(app, key: str = API_KEY):
    state = app.extensions["sandbox"]
    return state.context(state.namespace_for(key).id)


def invalid_fields(response) -> set[str]:
    assert response.status_code == 422, response.get_json()
    return {entry["field"] for entry in response.get_json()["invalidFields"]}


def messages(response) -> str:
    assert response.status_code == 422, response.get_json()
    return " ".join(entry["message"] for entry in response.get_json()["invalidFields"])


def cancel(client, **body: Any):
    return client.post("/subscription-cancellations", {"subscriptionId": "sub_1", **body})


def test_a_cancellation_without_policy_or_time_churns_the_order_now(shop, app):
    before = make_order(app)

    response = shop.post("/subscription-cancellations/", {
        "subscriptionId": "sub_1", "description": "Too pricey", "reason": "too-expensive"})

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert CANCELLATION_ID.match(body["id"])
    assert response.headers["Location"] == (
        f"http://localhost/subscription-cancellations/{body['id']}")
    assert {key: body[key] for key in ("status", "churnTime", "canceledTime", "canceledBy",
                                       "reason", "churnTimePolicy", "prorated", "lineItems",
                                       "proratedInvoiceId", "appliedInvoiceId")} == {
        "status": "completed", "churnTime": NOW, "canceledTime": NOW, "canceledBy": "customer",
        "reason": "too-expensive", "churnTimePolicy": None, "prorated": False,
        "lineItems": [], "proratedInvoiceId": None, "appliedInvoiceId": None}
    assert body["_links"] == [{"rel": "self", "href": response.headers["Location"]}]
    assert shop.get(f"/subscription-cancellations/{body['id']}").get_json() == body
    order = order_of(app)
    assert {key: order[key] for key in ("status", "canceledTime", "canceledBy", "cancelCategory",
                                        "cancelDescription", "churnTime", "revision")} == {
        "status": "churned", "canceledTime": NOW, "canceledBy": "customer",
        "cancelCategory": "too-expensive", "cancelDescription": "Too pricey",
        "churnTime": NOW, "revision": before["revision"] + 2}
    assert event_types(app) == ["subscription-canceled", "subscription-churned"]
    churned = payload(app, "subscription-churned")
    assert churned["subscriptionId"] == "sub_1"
    assert churned["_embedded"]["subscription"]["status"] == "churned"
    assert payload(app, "subscription-canceled")["_embedded"]["subscription"]["status"] == (
        "canceled")


@pytest.mark.parametrize("policy", [
    {"churnTimePolicy": "now", "churnTime": LATER},
    {"churnTimePolicy": "null"},
    {"churnTimePolicy": None},
    {"churnTime": "2029-12-01T00:00:00Z"},
])
def test_now_null_and_past_times_all_churn_at_once(shop, app, policy):
    make_order(app)

    body = cancel(shop, **policy).get_json()

    assert (body["status"], body["churnTime"]) == ("completed", NOW)
    assert body["churnTimePolicy"] in ("now", None)
    assert (order_of(app)["status"], order_of(app)["churnTime"]) == ("churned", NOW)


def test_at_next_renewal_cancels_now_and_churns_at_the_renewal(shop, app):
    make_order(app)

    body = cancel(shop, churnTimePolicy="at-next-renewal", canceledBy="merchant").get_json()

    assert (body["status"], body["churnTime"], body["canceledTime"]) == (
        "confirmed", RENEWAL, NOW)
    order = order_of(app)
    assert (order["status"], order["churnTime"], order["canceledBy"]) == (
        "canceled", RENEWAL, "merchant")
    assert event_types(app) == ["subscription-canceled"]

    ctx = context(app)
    with ctx.store.transaction() as tx:
        cancellations.churn(tx, ctx, "sub_1", at(RENEWAL))

    assert (order_of(app)["status"], order_of(app)["churnTime"]) == ("churned", RENEWAL)
    assert shop.get(f"/subscription-cancellations/{body['id']}").get_json()["status"] == (
        "completed")
    assert event_types(app) == ["subscription-canceled", "subscription-churned"]


def test_a_future_churn_time_is_kept_until_churn_runs(shop, app):
    make_order(app)

    body = cancel(shop, churnTime="2030-01-20T00:00:00Z").get_json()

    assert (body["status"], body["churnTime"]) == ("confirmed", LATER)
    assert (order_of(app)["status"], order_of(app)["churnTime"]) == ("canceled", LATER)


def test_churn_leaves_an_order_that_is_not_canceled_alone(shop, app):
    make_order(app)
    ctx = context(app)

    with ctx.store.transaction() as tx:
        cancellations.churn(tx, ctx, "sub_1", at(LATER))

    assert order_of(app)["status"] == "active"
    assert event_types(app) == []


def test_a_draft_changes_nothing_on_the_order(shop, app):
    before = make_order(app)

    body = cancel(shop, status="draft", churnTimePolicy="at-next-renewal").get_json()

    assert (body["status"], body["churnTime"], body["canceledTime"]) == (
        "draft", RENEWAL, None)
    assert order_of(app) == before
    assert event_types(app) == []


def test_put_creates_by_id_replaces_a_draft_and_confirms_it(shop, app):
    """The SDK's create({id}) reads first (404), then PUTs: a new id is a 201."""
    make_order(app)
    path = "/subscription-cancellations/cancel-ann"
    assert_problem(shop.get(path), 404)

    created = put(shop, path, {"subscriptionId": "sub_1", "status": "draft"})
    assert created.status_code == 201
    assert created.headers["Location"] == f"http://localhost{path}"

    replaced = put(shop, path, {"subscriptionId": "sub_1", "status": "draft",
                                "description": "maybe"})
    assert replaced.status_code == 200
    assert replaced.get_json()["description"] == "maybe"
    assert replaced.get_json()["createdTime"] == created.get_json()["createdTime"]
    assert order_of(app)["status"] == "active"

    confirmed = put(shop, path, {"subscriptionId": "sub_1", "churnTimePolicy": "now"})
    assert confirmed.status_code == 200
    assert confirmed.get_json()["status"] == "completed"
    assert order_of(app)["status"] == "churned"

    problem = assert_problem(put(shop, path, {"subscriptionId": "sub_1", "status": "draft"}),
                             409)
    assert "only a draft" in problem["detail"]
    assert invalid_fields(put(shop, "/subscription-cancellations/" + "x" * 51,
                              {"subscriptionId": "sub_1"})) == {"id"}


def test_a_paused_order_can_be_canceled_and_its_pause_ends(shop, app):
    make_order(app)
    pause = shop.post("/subscription-pauses", {"subscriptionId": "sub_1"}).get_json()
    assert order_of(app)["status"] == "paused"

    assert cancel(shop).status_code == 201

    assert order_of(app)["status"] == "churned"
    assert shop.get(f"/subscription-pauses/{pause['id']}").get_json()["status"] == "finished"
    assert event_types(app)[-2:] == ["subscription-canceled", "subscription-churned"]


@pytest.mark.parametrize("changes, message", [
    ({"status": "pending"}, "is pending; only an active or paused order"),
    ({"status": "canceled"}, "is canceled; only an active or paused order"),
    ({"status": "churned"}, "is churned; only an active or paused order"),
    ({"one_time": True}, "one-time order, which cannot be canceled"),
])
def test_an_order_that_cannot_be_canceled_is_a_422(shop, app, changes, message):
    before = make_order(app, **changes)

    response = cancel(shop)

    assert invalid_fields(response) == {"subscriptionId"}
    assert message in messages(response)
    assert stored(app, "subscription-cancellations") == 0
    assert order_of(app) == before


def test_an_unknown_order_is_a_422(shop, app):
    assert "No subscription sub_1 exists" in messages(cancel(shop))


def test_a_prorated_cancellation_credits_the_unused_time_on_a_cancellation_invoice(shop, app):
    make_order(app)
    order = priced(app, 31)  # a 31-day period: 1.00 a day, 22 days unused from NOW

    body = cancel(shop, prorated=True, lineItems=[
        {"type": "debit", "unitPriceAmount": 10.005, "unitPriceCurrency": "USD", "quantity": 2,
         "description": "Early exit fee"},
        {"type": "credit", "unitPriceAmount": 5, "unitPriceCurrency": "USD", "quantity": 1,
         "periodStartTime": "2030-01-10T00:00:00Z"}]).get_json()

    assert body["lineItemSubtotal"] == {"amount": 15.01, "currency": "USD"}
    assert body["lineItems"][1] == {"type": "credit", "unitPriceAmount": 5,
                                    "unitPriceCurrency": "USD", "quantity": 1,
                                    "description": None, "periodStartTime": NOW,
                                    "periodEndTime": None}
    assert body["proratedInvoiceId"] == order["recentInvoiceId"]
    invoice = shop.get(f"/invoices/{body['appliedInvoiceId']}").get_json()
    assert (invoice["type"], invoice["subscriptionId"], invoice["status"]) == (
        "cancellation", "sub_1", "paid")
    assert [(line["type"], line["price"], line["description"], line["periodStartTime"],
             line["periodEndTime"]) for line in invoice["items"]] == [
        ("credit", 22, "Proration credit", NOW, RENEWAL),
        ("debit", 20.01, "Early exit fee", None, None),
        ("credit", 5, None, NOW, None)]
    assert (invoice["amount"], invoice["amountDue"]) == (-6.99, 0)
    written = [delivery["eventType"] for delivery in deliveries(app)]
    assert written[written.index("subscription-canceled"):] == [
        "subscription-canceled", "invoice-created", "invoice-issued", "invoice-paid",
        "subscription-churned"]


def test_extra_lines_alone_make_an_invoice_that_is_due(shop, app):
    make_order(app)

    body = cancel(shop, churnTimePolicy="at-next-renewal", lineItems=[
        {"type": "debit", "unitPriceAmount": 12.5, "unitPriceCurrency": "USD",
         "quantity": 1}]).get_json()

    assert body["proratedInvoiceId"] is None
    invoice = shop.get(f"/invoices/{body['appliedInvoiceId']}").get_json()
    assert (invoice["status"], invoice["amountDue"]) == ("unpaid", 12.5)


def test_no_invoice_without_lines_or_time_left_and_none_for_a_draft(shop, app):
    make_order(app)
    make_order(app, "sub_2")
    priced(app, 31)
    invoices = stored(app, "invoices")

    at_renewal = cancel(shop, prorated=True, churnTimePolicy="at-next-renewal").get_json()
    draft = cancel(shop, subscriptionId="sub_2", status="draft", lineItems=[
        {"type": "debit", "unitPriceAmount": 1, "unitPriceCurrency": "USD",
         "quantity": 3}]).get_json()

    assert at_renewal["appliedInvoiceId"] is None
    assert (draft["appliedInvoiceId"], draft["lineItemSubtotal"]) == (
        None, {"amount": 3, "currency": "USD"})
    assert stored(app, "invoices") == invoices


@pytest.mark.parametrize("body, fields", [
    ({}, {"subscriptionId"}),
    ({"subscriptionId": ["sub_1"]}, {"subscriptionId"}),
    ({"subscriptionId": "x" * 51}, {"subscriptionId"}),
    ({"subscriptionId": "sub 1"}, {"subscriptionId"}),
    ({"subscriptionId": "sub_1", "churnTimePolicy": "later"}, {"churnTimePolicy"}),
    ({"subscriptionId": "sub_1", "churnTime": "tomorrow"}, {"churnTime"}),
    ({"subscriptionId": "sub_1", "churnTime": "2030-01-20T00:00:00"}, {"churnTime"}),
    ({"subscriptionId": "sub_1", "status": "completed"}, {"status"}),
    ({"subscriptionId": "sub_1", "status": "revoked"}, {"status"}),
    ({"subscriptionId": "sub_1", "reason": "delinquency"}, {"reason"}),
    ({"subscriptionId": "sub_1", "canceledBy": "robot"}, {"canceledBy"}),
    ({"subscriptionId": "sub_1", "prorated": "yes"}, {"prorated"}),
    ({"subscriptionId": "sub_1", "description": "x" * 256}, {"description"}),
    ({"subscriptionId": "sub_1", "lineItems": [{"type": "debit"}]},
     {"lineItems.0.unitPriceAmount", "lineItems.0.unitPriceCurrency", "lineItems.0.quantity"}),
    ({"subscriptionId": "sub_1", "lineItems": [
        {"type": "gift", "unitPriceAmount": -1, "unitPriceCurrency": "usd", "quantity": 0}]},
     {"lineItems.0.type", "lineItems.0.unitPriceAmount", "lineItems.0.unitPriceCurrency",
      "lineItems.0.quantity"}),
    ({"subscriptionId": "sub_1", "lineItems": [
        {"type": "debit", "unitPriceAmount": 1, "unitPriceCurrency": "EUR", "quantity": 1}]},
     {"lineItems.0.unitPriceCurrency"}),
    ({"subscriptionId": "sub_1", "lineItems": [
        {"type": "debit", "unitPriceAmount": 1, "unitPriceCurrency": "USD", "quantity": 1}]
        * 101}, {"lineItems"}),
])
def test_hostile_bodies_are_422_and_change_nothing(shop, app, body, fields):
    make_order(app)

    assert invalid_fields(shop.post("/subscription-cancellations", body)) == fields
    assert stored(app, "subscription-cancellations") == 0
    assert order_of(app)["status"] == "active"


def test_a_non_object_body_is_a_400(shop, app):
    make_order(app)

    assert_problem(shop.post("/subscription-cancellations", data=b"[1]"), 400)
    assert stored(app, "subscription-cancellations") == 0


def test_the_list_filters_sorts_and_pages(shop, app):
    for order_id in ("sub_1", "sub_2", "sub_3"):
        make_order(app, order_id)
    first = cancel(shop, status="draft").get_json()
    second = cancel(shop, subscriptionId="sub_2").get_json()
    move_clock(shop, "advance", seconds=60)
    third = cancel(shop, subscriptionId="sub_3", churnTimePolicy="at-next-renewal").get_json()

    page = shop.get("/subscription-cancellations?limit=2&offset=1")
    assert [entry["id"] for entry in page.get_json()] == [second["id"], third["id"]]
    assert (page.headers["Pagination-Total"], page.headers["Pagination-Limit"],
            page.headers["Pagination-Offset"]) == ("3", "2", "1")
    drafts = shop.get("/subscription-cancellations?filter=status:draft").get_json()
    assert [entry["id"] for entry in drafts] == [first["id"]]
    by_order = shop.get("/subscription-cancellations?filter=subscriptionId:sub_3").get_json()
    assert [entry["id"] for entry in by_order] == [third["id"]]
    newest = shop.get("/subscription-cancellations?sort=-createdTime&limit=1").get_json()
    assert [entry["id"] for entry in newest] == [third["id"]]
    assert shop.get("/subscription-cancellations?sort=reason").status_code == 422
    assert shop.get("/subscription-cancellations?limit=1001").status_code == 422


def test_namespaces_do_not_see_each_others_cancellations(shop, app):
    make_order(app)
    body = cancel(shop, status="draft").get_json()
    other = shop.with_key(OTHER_KEY)

    assert_problem(other.get(f"/subscription-cancellations/{body['id']}"), 404)
    assert other.get("/subscription-cancellations").get_json() == []
    assert invalid_fields(other.post("/subscription-cancellations",
                                     {"subscriptionId": "sub_1"})) == {"subscriptionId"}
    assert stored(app, "subscription-cancellations", OTHER_KEY) == 0
    assert order_of(app)["status"] == "active"


def test_an_organization_prefix_is_kept_in_links(shop, app):
    make_order(app)

    response = shop.post("/organizations/org_shop/subscription-cancellations",
                         {"subscriptionId": "sub_1", "status": "draft"})

    assert response.status_code == 201
    assert response.headers["Location"].startswith(
        "http://localhost/organizations/org_shop/subscription-cancellations/")


def test_answers_match_the_document(shop, app):
    document = app.test_client().get("/__admin/openapi.json").get_json()
    make_order(app)
    created = cancel(shop, lineItems=[{"type": "debit", "unitPriceAmount": 1,
                                       "unitPriceCurrency": "USD", "quantity": 1}])
    assert_conforms(document, "/subscription-cancellations", "POST", created)
    member = "/subscription-cancellations/{cancellation_id}"
    assert_conforms(document, member, "GET",
                    shop.get(f"/subscription-cancellations/{created.get_json()['id']}"))
    assert_conforms(document, "/subscription-cancellations", "GET",
                    shop.get("/subscription-cancellations"))
    assert_conforms(document, member, "PUT", put(shop, f"/subscription-cancellations/"
                                                       f"{created.get_json()['id']}",
                                                 {"subscriptionId": "sub_1"}))
    assert_conforms(document, "/subscription-cancellations", "POST", cancel(shop))
