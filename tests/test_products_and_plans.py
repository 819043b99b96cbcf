"""/products and /plans: the three kinds of plan, every pricing formula, the product a plan
needs, deletes refused while referred to, lists, isolation and hostile bodies."""

from __future__ import annotations

import re

import pytest
from helpers import API_KEY, OTHER_KEY, assert_problem, stored

PRODUCT_ID = re.compile(r"^prod_[0-9A-HJKMNP-TV-Z]{26}$")
PLAN_ID = re.compile(r"^plan_[0-9A-HJKMNP-TV-Z]{26}$")
BRACKETS = [{"maxQuantity": 4, "price": 10}, {"maxQuantity": 10, "price": 8},
            {"maxQuantity": None, "price": 5}]


def put(client, path, body):
    return client.request("PUT", path, json=body)


@pytest.fixture
def product(client):
    assert put(client, "/products/gold", {"name": "Gold"}).status_code == 201
    return "gold"


def plan(**extra):
    return {"name": "Gold monthly", "productId": "gold", "currency": "USD",
            "pricing": {"formula": "fixed-fee", "price": 30},
            "recurringInterval": {"unit": "month", "length": 1}, **extra}


def invalid_fields(response) -> set[str]:
    assert response.status_code == 422, response.get_json()
    return {entry["field"] for entry in response.get_json()["invalidFields"]}


def test_a_product_is_created_with_defaults(client):
    response = client.post("/products", {"name": "Seats", "options": ["color"],
                                         "recognition": {"debitAccountId": "1200"}})

    assert response.status_code == 201
    body = response.get_json()
    assert PRODUCT_ID.match(body["id"])
    assert response.headers["Location"] == f"http://localhost/products/{body['id']}"
    assert {key: body[key] for key in ("name", "unitLabel", "description", "requiresShipping",
                                       "options", "taxCategoryId", "accountingCode",
                                       "customFields")} == {
        "name": "Seats", "unitLabel": "unit", "description": None, "requiresShipping": False,
        "options": ["color"], "taxCategoryId": None, "accountingCode": None, "customFields": {}}
    assert body["recognition"] == {"debitAccountId": "1200", "creditAccountId": None}
    assert body["_links"] == [{"rel": "self", "href": response.headers["Location"]}]
    assert client.get(f"/products/{body['id']}").get_json() == body


def test_product_put_creates_then_replaces(client):
    assert put(client, "/products/gold", {"name": "Gold", "unitLabel": "seat"}).status_code == 201
    replaced = put(client, "/products/gold", {"name": "Gold 2"})

    assert replaced.status_code == 200
    assert (replaced.get_json()["name"], replaced.get_json()["unitLabel"]) == ("Gold 2", "unit")


@pytest.mark.parametrize("body, fields", [
    ({}, {"name"}),
    ({"name": "ab"}, {"name"}),
    ({"name": 12, "unitLabel": "", "requiresShipping": "no"},
     {"name", "unitLabel", "requiresShipping"}),
    ({"name": "Gold", "options": "color", "description": "x" * 513}, {"options", "description"}),
])
def test_a_bad_product_is_a_422_naming_each_field(app, client, body, fields):
    assert invalid_fields(client.post("/products", body)) == fields
    assert invalid_fields(put(client, "/products/p1", body)) == fields
    assert stored(app, "products") == 0


def test_a_subscription_plan(client, product):
    response = client.post("/plans", plan(setup={"price": 5},
                                          trial={"price": 0,
                                                 "period": {"unit": "day", "length": 14}}))

    assert response.status_code == 201
    body = response.get_json()
    assert PLAN_ID.match(body["id"])
    assert response.headers["Location"] == f"http://localhost/plans/{body['id']}"
    assert body["recurringInterval"] == {"unit": "month", "length": 1, "limit": None,
                                         "billingTiming": "prepaid"}
    assert body["trial"] == {"price": 0, "period": {"unit": "day", "length": 14}}
    assert body["setup"] == {"price": 5}
    assert body["pricing"] == {"formula": "fixed-fee", "price": 30}
    assert (body["isTrialOnly"], body["isActive"], body["revision"]) == (False, True, 1)
    assert (body["currency"], body["currencySign"]) == ("USD", "$")
    assert body["_links"] == [{"rel": "self", "href": response.headers["Location"]}]


def test_a_one_time_sale_plan_and_a_trial_only_plan(client, product):
    one_time = client.post("/plans", plan(recurringInterval=None)).get_json()
    assert (one_time["recurringInterval"], one_time["trial"], one_time["isTrialOnly"]) == (
        None, None, False)

    trial = {"price": 1, "period": {"unit": "week", "length": 1}}
    trial_only = client.post("/plans", {"name": "Try", "productId": "gold", "currency": "EUR",
                                        "trial": trial})
    assert trial_only.status_code == 201
    body = trial_only.get_json()
    assert body["isTrialOnly"] is True and "pricing" not in body
    assert (body["trial"], body["currencySign"]) == (trial, "€")


@pytest.mark.parametrize("pricing, stored_pricing", [
    ({"formula": "fixed-fee", "price": 30, "maxQuantity": 3},
     {"formula": "fixed-fee", "price": 30}),
    ({"formula": "flat-rate", "price": 0, "maxQuantity": 10},
     {"formula": "flat-rate", "price": 0, "minQuantity": None, "maxQuantity": 10}),
    ({"formula": "stairstep", "brackets": BRACKETS, "price": 4},
     {"formula": "stairstep", "brackets": BRACKETS, "minQuantity": None}),
    ({"formula": "tiered", "brackets": BRACKETS, "minQuantity": 2},
     {"formula": "tiered", "brackets": BRACKETS, "minQuantity": 2}),
    ({"formula": "volume", "brackets": [{"price": 7}]},
     {"formula": "volume", "brackets": [{"price": 7, "maxQuantity": None}], "minQuantity": None}),
])
def test_every_pricing_formula_is_stored_with_its_own_members(client, product, pricing,
                                                               stored_pricing):
    response = client.post("/plans", plan(pricing=pricing))

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["pricing"] == stored_pricing


@pytest.mark.parametrize("body, fields", [
    ({}, {"name", "productId", "currency", "pricing"}),
    (plan(pricing=None), {"pricing"}),
    (plan(recurringInterval=None, trial={"price": 0, "period": {"unit": "day", "length": 1}}),
     {"pricing"}),
    (plan(currency="usd", name=""), {"currency", "name"}),
    (plan(pricing={"formula": "per-seat", "price": 1}), {"pricing.formula"}),
    (plan(pricing={"formula": "flat-rate"}), {"pricing.price"}),
    (plan(pricing={"formula": "flat-rate", "price": 1, "minQuantity": 5, "maxQuantity": 2}),
     {"pricing.minQuantity"}),
    (plan(pricing={"formula": "tiered"}), {"pricing.brackets"}),
    (plan(pricing={"formula": "tiered", "brackets": []}), {"pricing.brackets"}),
    (plan(pricing={"formula": "volume", "brackets": [{"maxQuantity": None, "price": 1},
                                                     {"maxQuantity": 5, "price": 1}]}),
     {"pricing.brackets.0.maxQuantity"}),
    (plan(pricing={"formula": "stairstep", "brackets": [{"maxQuantity": 5, "price": 1},
                                                        {"maxQuantity": 5, "price": 2}]}),
     {"pricing.brackets.1.maxQuantity"}),
    (plan(pricing={"formula": "tiered", "brackets": [{"maxQuantity": 3}]}),
     {"pricing.brackets.0.price"}),
    (plan(recurringInterval={"unit": "fortnight", "length": 0, "limit": 70000}),
     {"recurringInterval.unit", "recurringInterval.length", "recurringInterval.limit"}),
    (plan(recurringInterval={"unit": "month", "length": 1, "billingTiming": "later"}),
     {"recurringInterval.billingTiming"}),
    (plan(trial={"price": 1}), {"trial.period"}),
    (plan(setup={}), {"setup.price"}),
    (plan(isActive="yes", productOptions={"color": 5}), {"isActive", "productOptions.color.value"}),
])
def test_a_bad_plan_is_a_422_naming_each_field(app, client, product, body, fields):
    assert invalid_fields(client.post("/plans", body)) == fields
    assert invalid_fields(put(client, "/plans/p1", body)) == fields
    assert stored(app, "plans") == 0


@pytest.mark.parametrize("value", ["10", True, None, 10**400, -1, 1e300, float("nan")])
def test_a_hostile_price_is_a_422(app, client, product, value):
    body = plan(pricing={"formula": "flat-rate", "price": value})
    response = client.post("/plans", body) if value == value else client.request(
        "POST", "/plans", data='{"name": "x", "pricing": {"formula": "flat-rate", "price": NaN}}',
        headers={"Content-Type": "application/json"})

    assert response.status_code in (400, 422)
    assert stored(app, "plans") == 0


@pytest.mark.parametrize("quantity", [0, 10**9, 10**30, 1.5, "3"])
def test_a_hostile_quantity_is_a_422(app, client, product, quantity):
    body = plan(pricing={"formula": "volume", "minQuantity": quantity,
                         "brackets": [{"maxQuantity": quantity, "price": 1}]})

    assert invalid_fields(client.post("/plans", body)) == {
        "pricing.minQuantity", "pricing.brackets.0.maxQuantity"}
    assert stored(app, "plans") == 0


def test_a_plan_needs_a_product_that_exists(app, client):
    response = client.post("/plans", plan(productId="nope"))

    assert invalid_fields(response) == {"productId"}
    assert "nope" in response.get_json()["invalidFields"][0]["message"]
    assert stored(app, "plans") == 0


def test_plan_put_creates_replaces_and_bumps_the_revision(client, product):
    created = put(client, "/plans/gold-monthly", plan())
    assert created.status_code == 201
    assert created.headers["Location"] == "http://localhost/plans/gold-monthly"

    replaced = put(client, "/plans/gold-monthly", plan(name="Gold, monthly", isActive=False))
    assert replaced.status_code == 200
    body = replaced.get_json()
    assert (body["revision"], body["name"], body["isActive"]) == (2, "Gold, monthly", False)
    assert body["createdTime"] == created.get_json()["createdTime"]
    assert invalid_fields(put(client, "/plans/" + "x" * 51, plan())) == {"id"}


def test_deleting_a_product_a_plan_refers_to_is_a_409(app, client, product):
    put(client, "/plans/gold-monthly", plan())

    problem = assert_problem(client.request("DELETE", "/products/gold"), 409, "Conflict")
    assert "gold-monthly" in problem["detail"]
    assert stored(app, "products") == 1
    assert client.request("DELETE", "/plans/gold-monthly").status_code == 204
    assert client.get("/plans/gold-monthly").status_code == 404
    assert client.request("DELETE", "/products/gold").status_code == 204
    assert_problem(client.request("DELETE", "/products/gold"), 404, "Not Found")
    assert_problem(client.request("DELETE", "/plans/gold-monthly"), 404, "Not Found")


def test_lists_page_sort_filter_and_search(client, product):
    put(client, "/plans/a", plan(name="Alpha", currency="USD"))
    put(client, "/plans/b", plan(name="Beta", currency="EUR",
                                 pricing={"formula": "tiered", "brackets": BRACKETS}))
    put(client, "/plans/c", plan(name="Gamma", currency="CAD", recurringInterval=None))

    by_currency = client.get("/plans?sort=currency&limit=2")
    assert [p["id"] for p in by_currency.get_json()] == ["c", "b"]
    assert by_currency.headers["Pagination-Total"] == "3"
    assert [p["id"] for p in client.get("/plans?filter=pricing.formula:tiered").get_json()] == [
        "b"]
    assert [p["id"] for p in client.get("/plans?filter=productId:gold;currency:USD,CAD")
            .get_json()] == ["a", "c"]
    assert [p["id"] for p in client.get("/plans?q=amm").get_json()] == ["c"]
    assert [p["id"] for p in client.get("/products?q=GOL").get_json()] == ["gold"]
    assert invalid_fields(client.get("/plans?sort=name")) == {"sort"}
    assert invalid_fields(client.get("/products?sort=currency")) == {"sort"}


def test_namespaces_are_isolated(app, client, product):
    put(client, "/plans/gold-monthly", plan())
    other = client.with_key(OTHER_KEY)

    assert other.get("/products/gold").status_code == 404
    assert other.get("/plans").get_json() == []
    assert invalid_fields(put(other, "/plans/gold-monthly", plan())) == {"productId"}
    assert stored(app, "plans", OTHER_KEY) == 0 and stored(app, "plans", API_KEY) == 1


def test_fixture_sets_load_products_and_plans_and_export_them_back(client):
    flask, headers = client.client, {"REB-APIKEY": API_KEY}
    assert flask.post("/__admin/fixtures/default", headers=headers).status_code == 201
    monthly = client.get("/plans/plan_default_monthly").get_json()
    assert monthly["pricing"]["formula"] == "tiered"
    assert monthly["trial"]["period"] == {"unit": "day", "length": 14}

    exported = flask.get("/__admin/export", headers=headers).get_json()
    assert [p["id"] for p in exported["products"]] == ["prod_default_membership"]
    assert [p["id"] for p in exported["plans"]] == ["plan_default_monthly",
                                                    "plan_default_lifetime"]
    other = {"REB-APIKEY": OTHER_KEY}
    assert flask.post("/__admin/fixtures", json=exported, headers=other).status_code == 201
    copy = client.with_key(OTHER_KEY).get("/plans/plan_default_monthly").get_json()
    assert {k: v for k, v in copy.items() if not k.endswith("Time")} == {
        k: v for k, v in monthly.items() if not k.endswith("Time")}


def test_a_fixture_plan_whose_product_is_missing_names_the_record(client):
    response = client.client.post("/__admin/fixtures", headers={"REB-APIKEY": API_KEY},
                                  json={"plans": [{"id": "p", **plan(productId="nope")}]})

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["field"] == "plans.0.productId"
