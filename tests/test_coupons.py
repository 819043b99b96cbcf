"""/coupons and /coupons-redemptions: create (POST, the SDK's trailing slash, PUT by code),
validation, lists, status by the namespace clock, expiration, redeeming and its refusals,
cancel, isolation and hostile bodies."""

from __future__ import annotations

import re

import pytest
from helpers import OTHER_KEY, assert_problem, stored
from test_openapi import assert_conforms

COUPON_ID = re.compile(r"^cpn_[0-9A-HJKMNP-TV-Z]{26}$")
REDEMPTION_ID = re.compile(r"^cpn_rdm_[0-9A-HJKMNP-TV-Z]{26}$")
NOW = "2030-01-01T00:00:00+00:00"
PAST, FUTURE = "2029-01-01T00:00:00+00:00", "2031-01-01T00:00:00+00:00"
PERCENT = {"type": "percent", "value": 10}


def put(client, path, body):
    return client.request("PUT", path, json=body)


def invalid_fields(response) -> set[str]:
    assert response.status_code == 422, response.get_json()
    return {entry["field"] for entry in response.get_json()["invalidFields"]}


def clock(client, action: str, **extra) -> None:
    assert client.post("/__admin/clock", {"action": action, **extra}).status_code == 200


@pytest.fixture
def shop(client):
    """The namespace's clock frozen at NOW, and a customer ``cus_ann``."""
    clock(client, "freeze", time=NOW)
    assert put(client, "/customers/cus_ann", {"firstName": "Ann"}).status_code == 201
    return client


def coupon(client, code: str, **body):
    response = put(client, f"/coupons/{code}", {"discount": PERCENT, "issuedTime": PAST, **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def redeem(client, code: str, customer: str = "cus_ann", **extra):
    return client.post("/coupons-redemptions", {"couponId": code, "customerId": customer,
                                                **extra})


def redeemed(client, code: str, customer: str = "cus_ann", **extra):
    response = redeem(client, code, customer, **extra)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def refusal(response) -> str:
    """The one invalid field's message of a 422 (what a shop shows its customer)."""
    assert response.status_code == 422, response.get_json()
    [field] = response.get_json()["invalidFields"]
    return field["message"]


# -- create, read, replace ------------------------------------------------------------------

def test_post_generates_the_code_and_answers_201_with_location(shop):
    response = shop.post("/coupons", {"discount": PERCENT, "issuedTime": PAST,
                                      "description": "Ten off"})

    assert response.status_code == 201
    body = response.get_json()
    assert COUPON_ID.match(body["id"])
    assert response.headers["Location"] == f"http://localhost/coupons/{body['id']}"
    assert body == {
        "id": body["id"], "discount": {**PERCENT, "context": "items"}, "restrictions": [],
        "description": "Ten off", "issuedTime": PAST, "expiredTime": None, "status": "issued",
        "redemptionsCount": 0, "revision": 1, "createdTime": NOW, "updatedTime": NOW,
        "_links": [{"rel": "self", "href": f"http://localhost/coupons/{body['id']}"}]}
    assert shop.get(f"/coupons/{body['id']}").get_json() == body


def test_the_sdk_posts_to_the_trailing_slash_path(shop):
    response = shop.post("/coupons/", {"discount": {"type": "fixed", "amount": 5,
                                                    "currency": "USD"}, "issuedTime": PAST})

    assert response.status_code == 201
    assert response.get_json()["discount"] == {"type": "fixed", "amount": 5, "currency": "USD",
                                               "context": "items"}


def test_put_chooses_the_code_then_replaces_it_until_redeemed(shop):
    created = put(shop, "/coupons/SUMMER10", {"discount": PERCENT, "issuedTime": PAST})
    assert created.status_code == 201
    assert created.headers["Location"] == "http://localhost/coupons/SUMMER10"

    replaced = put(shop, "/coupons/SUMMER10", {"discount": {"type": "percent", "value": 20},
                                               "issuedTime": PAST, "description": "Twenty"})
    assert replaced.status_code == 200
    body = replaced.get_json()
    assert (body["discount"]["value"], body["description"], body["revision"]) == (20, "Twenty", 2)
    assert body["createdTime"] == created.get_json()["createdTime"]

    redeemed(shop, "SUMMER10")
    conflict = assert_problem(put(shop, "/coupons/SUMMER10",
                                  {"discount": PERCENT, "issuedTime": PAST}), 409)
    assert "redeemed" in conflict["detail"]
    assert shop.get("/coupons/SUMMER10").get_json()["discount"]["value"] == 20


def test_status_follows_the_namespace_clock(shop):
    assert coupon(shop, "LATER", issuedTime=FUTURE)["status"] == "draft"
    assert coupon(shop, "SHORT", expiredTime="2030-01-02T00:00:00Z")["status"] == "issued"

    clock(shop, "set", time="2031-06-01T00:00:00Z")
    later = shop.get("/coupons/LATER").get_json()
    assert (later["status"], later["revision"], later["updatedTime"]) == ("issued", 2, FUTURE)
    listed = shop.get("/coupons?filter=status:expired").get_json()
    assert [body["id"] for body in listed] == ["SHORT"]
    assert listed[0]["updatedTime"] == "2030-01-02T00:00:00+00:00"


@pytest.mark.parametrize("body, fields", [
    ({}, {"discount", "issuedTime"}),
    ({"discount": {"type": "percent", "value": 0}, "issuedTime": PAST}, {"discount.value"}),
    ({"discount": {"type": "percent", "value": 100.5}, "issuedTime": PAST}, {"discount.value"}),
    ({"discount": {"type": "percent", "value": "10"}, "issuedTime": PAST}, {"discount.value"}),
    ({"discount": {"type": "fixed", "amount": 0, "currency": "USD"}, "issuedTime": PAST},
     {"discount.amount"}),
    ({"discount": {"type": "fixed", "amount": 5}, "issuedTime": PAST}, {"discount.currency"}),
    ({"discount": {"type": "free-lunch"}, "issuedTime": PAST}, {"discount.type"}),
    ({"discount": "10%", "issuedTime": PAST}, {"discount"}),
    ({"discount": {**PERCENT, "context": "everything"}, "issuedTime": PAST},
     {"discount.context"}),
    ({"discount": PERCENT, "issuedTime": "tomorrow"}, {"issuedTime"}),
    ({"discount": PERCENT, "issuedTime": PAST, "expiredTime": PAST}, {"expiredTime"}),
    ({"discount": PERCENT, "issuedTime": PAST,
      "restrictions": [{"type": "total-redemptions", "quantity": 1},
                       {"type": "total-redemptions", "quantity": 2}]}, {"restrictions"}),
    ({"discount": PERCENT, "issuedTime": PAST,
      "restrictions": [{"type": "total-redemptions", "quantity": 0}]},
     {"restrictions.0.quantity"}),
    ({"discount": PERCENT, "issuedTime": PAST,
      "restrictions": [{"type": "restrict-to-plans", "planIds": []}]},
     {"restrictions.0.planIds"}),
    ({"discount": PERCENT, "issuedTime": PAST,
      "restrictions": [{"type": "minimum-order-amount", "amount": 10}]},
     {"restrictions.0.currency"}),
    ({"discount": PERCENT, "issuedTime": PAST, "restrictions": [{"type": "bogus"}]},
     {"restrictions.0.type"}),
    ({"discount": PERCENT, "issuedTime": PAST, "restrictions": {"type": "total-redemptions"}},
     {"restrictions"}),
])
def test_invalid_coupons_are_422_naming_the_fields_and_store_nothing(shop, app, body, fields):
    assert invalid_fields(shop.post("/coupons", body)) == fields
    assert stored(app, "coupons") == 0


@pytest.mark.parametrize("kind", ["restrict-to-countries", "restrict-to-exclusive-application",
                                  "restrict-to-bxgy"])
def test_restrictions_the_sandbox_does_not_simulate_are_refused_by_name(shop, kind):
    response = shop.post("/coupons", {"discount": PERCENT, "issuedTime": PAST,
                                      "restrictions": [{"type": kind}]})

    assert "Not simulated" in refusal(response)


def test_hostile_bodies_and_ids_are_refused(shop, app):
    assert_problem(shop.post("/coupons", data=b"[1]"), 400)
    assert_problem(shop.post("/coupons", data=b'"text"'), 400)
    huge = {"discount": {"type": "fixed", "amount": 10**30, "currency": "USD"},
            "issuedTime": PAST, "description": "x" * 5000,
            "restrictions": [{"type": "restrict-to-customers",
                              "customerIds": ["c"] * 5000}]}
    assert invalid_fields(shop.post("/coupons", huge)) == {
        "discount.amount", "description", "restrictions.0.customerIds"}
    assert invalid_fields(put(shop, "/coupons/" + "x" * 51,
                              {"discount": PERCENT, "issuedTime": PAST})) == {"id"}
    assert invalid_fields(shop.post("/coupons", {"discount": PERCENT, "issuedTime": PAST,
                                                 "restrictions": [{}] * 21})) == {"restrictions"}
    assert_problem(shop.post("/coupons-redemptions", data=b"[]"), 400)
    assert invalid_fields(shop.post("/coupons-redemptions", {"couponId": 5,
                                                             "customerId": None})) == {
        "couponId", "customerId"}
    assert stored(app, "coupons") == stored(app, "coupons-redemptions") == 0


def test_unknown_coupons_and_redemptions_are_404(shop):
    assert_problem(shop.get("/coupons/NOPE"), 404)
    assert_problem(shop.post("/coupons/NOPE/expiration", {"expiredTime": None}), 404)
    assert_problem(shop.get("/coupons-redemptions/cpn_rdm_nope"), 404)
    assert_problem(shop.request("POST", "/coupons-redemptions/cpn_rdm_nope/cancel"), 404)


# -- lists --------------------------------------------------------------------------------------

def test_coupon_list_filters_sorts_and_pages(shop):
    for index, code in enumerate(("A1", "B2", "C3")):
        coupon(shop, code, issuedTime=f"202{index}-01-01T00:00:00Z")
    coupon(shop, "D4", issuedTime=FUTURE)

    page = shop.get("/coupons?sort=-issuedTime&limit=2&offset=1")
    assert [body["id"] for body in page.get_json()] == ["C3", "B2"]
    assert (page.headers["Pagination-Total"], page.headers["Pagination-Limit"],
            page.headers["Pagination-Offset"]) == ("4", "2", "1")
    drafts = shop.get("/coupons?filter=status:draft").get_json()
    assert [body["id"] for body in drafts] == ["D4"]
    assert [body["id"] for body in shop.get("/coupons?q=b2").get_json()] == ["B2"]
    assert invalid_fields(shop.get("/coupons?sort=discount")) == {"sort"}


def test_redemption_list_filters_by_coupon_and_customer(shop):
    put(shop, "/customers/cus_bob", {"firstName": "Bob"})
    coupon(shop, "A1")
    coupon(shop, "B2")
    first = redeemed(shop, "A1")
    redeemed(shop, "B2")
    redeemed(shop, "A1", "cus_bob")

    page = shop.get("/coupons-redemptions?filter=couponId:A1;customerId:cus_ann")
    assert [body["id"] for body in page.get_json()] == [first["id"]]
    assert page.headers["Pagination-Total"] == "1"
    assert len(shop.get("/coupons-redemptions?sort=-createdTime").get_json()) == 3


def test_namespaces_do_not_see_each_others_coupons(shop, app):
    coupon(shop, "A1")
    redemption = redeemed(shop, "A1")
    other = shop.with_key(OTHER_KEY)

    assert other.get("/coupons").get_json() == []
    assert other.get("/coupons-redemptions").get_json() == []
    assert_problem(other.get("/coupons/A1"), 404)
    assert_problem(other.get(f"/coupons-redemptions/{redemption['id']}"), 404)
    put(other, "/customers/cus_ann", {"firstName": "Ann"})
    assert "No coupon A1" in refusal(redeem(other, "A1"))
    assert stored(app, "coupons", OTHER_KEY) == 0


# -- expiration -----------------------------------------------------------------------------

def test_expiration_in_the_future_keeps_the_coupon_issued(shop):
    coupon(shop, "A1")

    response = shop.post("/coupons/A1/expiration", {"expiredTime": FUTURE})
    assert response.status_code == 201
    assert response.headers["Location"] == "http://localhost/coupons/A1"
    body = response.get_json()
    assert (body["expiredTime"], body["status"], body["revision"]) == (FUTURE, "issued", 2)


@pytest.mark.parametrize("expired_time", [None, ""])
def test_expiration_null_or_empty_expires_the_coupon_now(shop, expired_time):
    coupon(shop, "A1")

    body = shop.post("/coupons/A1/expiration", {"expiredTime": expired_time}).get_json()
    assert (body["expiredTime"], body["status"]) == (NOW, "expired")
    assert "expired" in refusal(redeem(shop, "A1"))


def test_expiration_refusals(shop):
    coupon(shop, "A1")
    assert invalid_fields(shop.post("/coupons/A1/expiration", {})) == {"expiredTime"}
    assert invalid_fields(shop.post("/coupons/A1/expiration",
                                    {"expiredTime": "2000-01-01T00:00:00Z"})) == {"expiredTime"}

    redeemed(shop, "A1")
    assert shop.post("/coupons/A1/expiration", {"expiredTime": None}).status_code == 201
    conflict = assert_problem(shop.post("/coupons/A1/expiration", {"expiredTime": FUTURE}), 409)
    assert "redeemed" in conflict["detail"]


def test_an_expired_coupon_never_redeemed_can_be_extended(shop):
    coupon(shop, "A1", expiredTime="2029-06-01T00:00:00Z")

    body = shop.post("/coupons/A1/expiration", {"expiredTime": FUTURE}).get_json()
    assert body["status"] == "issued"
    assert redeem(shop, "A1").status_code == 201


# -- redeem ---------------------------------------------------------------------------------

def test_redeem_answers_the_redemption_and_counts_it(shop):
    coupon(shop, "A1")

    response = redeem(shop, "A1")
    assert response.status_code == 201
    body = response.get_json()
    assert REDEMPTION_ID.match(body["id"])
    assert response.headers["Location"] == f"http://localhost/coupons-redemptions/{body['id']}"
    assert body == {
        "id": body["id"], "couponId": "A1", "customerId": "cus_ann",
        "additionalRestrictions": [], "canceledTime": None, "createdTime": NOW,
        "updatedTime": NOW, "_links": [
            {"rel": "self", "href": f"http://localhost/coupons-redemptions/{body['id']}"},
            {"rel": "customer", "href": "http://localhost/customers/cus_ann"},
            {"rel": "coupon", "href": "http://localhost/coupons/A1"}]}
    assert shop.get(f"/coupons-redemptions/{body['id']}").get_json() == body
    assert shop.get("/coupons/A1").get_json()["redemptionsCount"] == 1


def test_redeem_keeps_additional_restrictions(shop):
    coupon(shop, "A1")
    extra = [{"type": "discounts-per-redemption", "quantity": 1}]

    assert redeemed(shop, "A1", additionalRestrictions=extra)["additionalRestrictions"] == extra
    assert invalid_fields(redeem(shop, "A1", additionalRestrictions=[
        {"type": "total-redemptions", "quantity": 1}])) == {"additionalRestrictions.0.type"}
    assert invalid_fields(redeem(shop, "A1", additionalRestrictions=extra * 2)) == {
        "additionalRestrictions"}


def test_redeem_refuses_a_coupon_not_yet_issued_or_expired(shop):
    coupon(shop, "LATER", issuedTime=FUTURE)
    coupon(shop, "GONE", expiredTime="2029-06-01T00:00:00Z")

    assert "not issued yet" in refusal(redeem(shop, "LATER"))
    assert "expired" in refusal(redeem(shop, "GONE"))
    clock(shop, "set", time="2031-06-01T00:00:00Z")
    assert redeem(shop, "LATER").status_code == 201


def test_redeem_refuses_unknown_coupons_and_customers(shop, app):
    coupon(shop, "A1")

    assert refusal(redeem(shop, "NOPE")) == "No coupon NOPE exists."
    assert invalid_fields(redeem(shop, "A1", "cus_nobody")) == {"customerId"}
    assert stored(app, "coupons-redemptions") == 0
    assert shop.get("/coupons/A1").get_json()["redemptionsCount"] == 0


def test_redemption_limits_per_customer_and_in_total(shop):
    put(shop, "/customers/cus_bob", {"firstName": "Bob"})
    put(shop, "/customers/cus_cy", {"firstName": "Cy"})
    coupon(shop, "ONCE", restrictions=[{"type": "redemptions-per-customer", "quantity": 1},
                                       {"type": "total-redemptions", "quantity": 2}])

    first = redeemed(shop, "ONCE")
    assert "already redeemed coupon ONCE once" in refusal(redeem(shop, "ONCE"))
    redeemed(shop, "ONCE", "cus_bob")
    assert "limit of 2 times" in refusal(redeem(shop, "ONCE", "cus_cy"))

    assert shop.request("POST", f"/coupons-redemptions/{first['id']}/cancel").status_code == 201
    assert redeem(shop, "ONCE", "cus_cy").status_code == 201
    assert shop.get("/coupons/ONCE").get_json()["redemptionsCount"] == 3


def test_restrict_to_customers_and_customer_tags(shop):
    assert put(shop, "/customers/cus_bob", {"firstName": "Bob", "tags": [
        {"name": "VIP", "type": "customer"}]}).status_code == 201
    coupon(shop, "ANN", restrictions=[{"type": "restrict-to-customers",
                                       "customerIds": ["cus_ann"]}])
    coupon(shop, "VIP", restrictions=[{"type": "restrict-to-customer-tags", "tags": ["vip"]}])

    assert redeem(shop, "ANN").status_code == 201
    assert "restricted to other customers" in refusal(redeem(shop, "ANN", "cus_bob"))
    assert redeem(shop, "VIP", "cus_bob").status_code == 201
    assert "tagged" in refusal(redeem(shop, "VIP"))


# -- cancel ---------------------------------------------------------------------------------

def test_cancel_answers_201_once_then_422(shop):
    coupon(shop, "A1")
    redemption = redeemed(shop, "A1")
    path = f"/coupons-redemptions/{redemption['id']}"

    response = shop.request("POST", f"{path}/cancel")
    assert response.status_code == 201
    assert response.headers["Location"] == f"http://localhost{path}"
    assert response.get_json()["canceledTime"] == NOW
    assert shop.get(path).get_json()["canceledTime"] == NOW
    again = shop.request("POST", f"{path}/cancel")
    assert "already canceled" in refusal(again)


# -- the OpenAPI document -------------------------------------------------------------------

def test_coupon_answers_match_the_document(shop, app):
    document = app.test_client().get("/__admin/openapi.json").get_json()
    member, redemption_member = "/coupons/{coupon_id}", "/coupons-redemptions/{redemption_id}"
    assert_conforms(document, "/coupons", "POST",
                    shop.post("/coupons", {"discount": PERCENT, "issuedTime": PAST}))
    assert_conforms(document, "/coupons", "POST", shop.post("/coupons", {}))
    body = {"discount": PERCENT, "issuedTime": PAST,
            "restrictions": [{"type": "restrict-to-plans", "planIds": ["p"]}]}
    assert_conforms(document, member, "PUT", put(shop, "/coupons/A1", body))
    assert_conforms(document, member, "PUT", put(shop, "/coupons/A1", body))
    assert_conforms(document, member, "GET", shop.get("/coupons/A1"))
    assert_conforms(document, member, "GET", shop.get("/coupons/none"))
    assert_conforms(document, "/coupons", "GET", shop.get("/coupons"))
    redemption = redeem(shop, "A1")
    assert_conforms(document, "/coupons-redemptions", "POST", redemption)
    assert_conforms(document, member, "PUT", put(shop, "/coupons/A1", body))
    path = f"/coupons-redemptions/{redemption.get_json()['id']}"
    assert_conforms(document, redemption_member, "GET", shop.get(path))
    assert_conforms(document, "/coupons-redemptions", "GET", shop.get("/coupons-redemptions"))
    assert_conforms(document, f"{redemption_member}/cancel", "POST",
                    shop.request("POST", f"{path}/cancel"))
    assert_conforms(document, f"{redemption_member}/cancel", "POST",
                    shop.request("POST", f"{path}/cancel"))
    expiration = f"{member}/expiration"
    assert_conforms(document, expiration, "POST",
                    shop.post("/coupons/A1/expiration", {"expiredTime": None}))
    assert_conforms(document, expiration, "POST",
                    shop.post("/coupons/A1/expiration", {"expiredTime": None}))
    body = document["paths"]["/coupons"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/Coupon"}
