"""The OpenAPI document at /__admin/openapi.json: valid, complete, and true to real answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import API_KEY, OTHER_KEY
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from payloads import full_customer
from test_checkout_fixtures import card, checkout_set, sale

from rebilly_sandbox.gateway import APPROVAL_TRIGGER_PAN

IGNORED_METHODS = {"HEAD", "OPTIONS"}
CARD = {"method": "payment-card",
        "paymentInstrument": {"pan": "4111111111111111", "cvv": "123", "expMonth": 12,
                              "expYear": 2030},
        "billingAddress": {"firstName": "Ada", "lastName": "Byron", "country": "GB"}}


@pytest.fixture
def document(app) -> dict[str, Any]:
    response = app.test_client().get("/__admin/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _template(rule: str) -> str:
    """``/customers/<customer_id>/`` -> ``/customers/{customer_id}`` (slash variants are one)."""
    path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)
    return path.rstrip("/") or "/"


def _documented(document: dict[str, Any]) -> dict[str, set[str]]:
    return {_template(path): {method.upper() for method in item if method != "parameters"}
            for path, item in document["paths"].items()}


def _routes(app) -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            routes.setdefault(_template(rule.rule), set()).update(rule.methods - IGNORED_METHODS)
    return routes


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` such as ``#/components/responses/NotFound``."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def assert_conforms(document: dict[str, Any], path: str, method: str, response,
                    *, default: bool = False) -> None:
    """The answer's status is documented for the operation and its body matches the schema."""
    responses = document["paths"][path][method.lower()]["responses"]
    status = str(response.status_code)
    assert default or status in responses, f"{method} {path} does not document {status}"
    described = resolve(document, responses.get(status) or responses["default"])
    if "content" not in described:
        assert not response.get_data(), f"{method} {path} {status} documents no body"
        return
    schema = described["content"]["application/json"]["schema"]
    assert_matches(document, schema, response.get_json())
    for header in described.get("headers", {}):
        assert header in response.headers, f"{method} {path} {status} lacks {header}"


def assert_matches(document: dict[str, Any], schema: dict[str, Any], body: Any) -> None:
    validator = Draft202012Validator({**schema, "components": document["components"]})
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
              for error in validator.iter_errors(body)]
    assert not errors, errors


def test_the_document_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "http://localhost"}]


def test_every_route_and_method_is_described_and_nothing_else(app, document):
    routes, documented = _routes(app), _documented(document)

    assert {path: methods for path, methods in routes.items()
            if documented.get(path) != methods} == {}
    assert set(documented) == set(routes)


def test_both_prefixes_and_the_security_schemes_are_described(document):
    paths = document["paths"]
    for path in ("/customers", "/customers/{customer_id}", "/tokens", "/tokens/{token_id}",
                 "/customers/{customer_id}/lead-source"):
        assert path in paths and f"/organizations/{{organization_id}}{path}" in paths

    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {**schemes["ApiKey"], "type": "apiKey", "in": "header",
                                 "name": "REB-APIKEY"}
    assert schemes["Jwt"]["scheme"] == "bearer" and schemes["Jwt"]["bearerFormat"] == "JWT"
    assert schemes["PublishableKey"]["name"] == "Authorization"
    assert {"PublishableKey": []} in paths["/tokens"]["post"]["security"]
    assert {"PublishableKey": []} not in paths["/customers"]["post"]["security"]
    assert {"AdminToken": []} in paths["/__admin/faults"]["post"]["security"]


def test_bodies_and_queries_come_from_the_validating_schemas(document):
    schemas = document["components"]["schemas"]
    body = document["paths"]["/customers"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/Customer"}
    assert schemas["Contact"]["properties"]["country"]["pattern"] == "^[A-Z]{2}$"
    assert schemas["Contact"]["properties"]["firstName"]["maxLength"] == 45
    assert set(schemas["FaultRule"]["properties"]) >= {"match", "status", "delay", "network",
                                                       "afterCommit", "global"}
    assert schemas["FaultRule"]["additionalProperties"] is False
    assert schemas["Clock"]["properties"]["action"]["enum"] == [
        "freeze", "set", "advance", "resume", "real"]
    journal = document["paths"]["/__admin/requests"]["get"]["parameters"]
    assert {p.get("name") for p in journal} >= {"method", "path", "status", "limit"}
    listing = {resolve(document, p)["name"]
               for p in document["paths"]["/customers"]["get"]["parameters"]}
    assert listing >= {"limit", "offset", "sort", "filter", "q", "fields", "expand"}


def test_customer_and_token_answers_match_the_document(app, client, document):
    app.test_client().post("/__admin/fixtures/default", headers={"REB-APIKEY": API_KEY})
    token = client.post("/tokens", CARD)
    assert_conforms(document, "/tokens", "POST", token)
    token_id = token.get_json()["id"]
    assert_conforms(document, "/tokens/{token_id}", "GET", client.get(f"/tokens/{token_id}"))

    body = {**full_customer(), "paymentToken": token_id}
    created = client.post("/customers?expand=defaultPaymentInstrument,website,leadSource", body)
    assert created.status_code == 201, created.get_json()
    assert_conforms(document, "/customers", "POST", created)
    assert set(created.get_json()["_embedded"]) == {"defaultPaymentInstrument", "website",
                                                    "leadSource"}
    customer_id = created.get_json()["id"]

    for path, template in ((f"/customers/{customer_id}", "/customers/{customer_id}"),
                           (f"/customers/{customer_id}/lead-source",
                            "/customers/{customer_id}/lead-source")):
        assert_conforms(document, template, "GET", client.get(path))
    assert_conforms(document, "/customers", "GET", client.get("/customers"))
    assert_conforms(document, "/customers", "GET", client.get("/customers?fields=email"))
    assert_conforms(document, "/customers/{customer_id}", "PUT",
                    client.request("PUT", "/customers/my-id", json={"email": "x@example.com"}))
    assert_conforms(document, "/customers/{customer_id}", "PUT",
                    client.request("PUT", "/customers/my-id", json={}))
    assert_conforms(document, "/organizations/{organization_id}/customers", "POST",
                    client.post("/organizations/org_1/customers", {}))
    merged = client.request("DELETE", f"/customers/{customer_id}?targetCustomerId=my-id")
    assert_conforms(document, "/customers/{customer_id}", "DELETE", merged)


def test_website_product_and_plan_answers_match_the_document(app, client, document):
    app.test_client().post("/__admin/fixtures/default", headers={"REB-APIKEY": API_KEY})
    website = {"name": "Shop", "url": "shop.test", "servicePhone": "1",
               "serviceEmail": "a@shop.test", "settings": {"amplitude": {"tracking": True}}}
    trial = {"price": 0, "period": {"unit": "day", "length": 7}}
    bodies = {
        "websites": (website, "website_id", "web_0YV7DE4Z26DQSA1AC92FBJ7SEG"),
        "products": ({"name": "Gold"}, "product_id", "prod_default_membership"),
        "plans": ({"name": "Try", "productId": "prod_default_membership", "currency": "USD",
                   "trial": trial}, "plan_id", "plan_default_monthly"),
    }
    for path, (body, id_name, fixture_id) in bodies.items():
        member = f"/{path}/{{{id_name}}}"
        created = client.post(f"/{path}", body)
        assert_conforms(document, f"/{path}", "POST", created)
        new_id = created.get_json()["id"]
        assert_conforms(document, f"/{path}", "GET", client.get(f"/{path}"))
        assert_conforms(document, member, "GET", client.get(f"/{path}/{fixture_id}"))
        assert_conforms(document, member, "PUT",
                        client.request("PUT", f"/{path}/{new_id}", json=body))
        assert_conforms(document, member, "GET", client.get(f"/{path}/none"))
        assert_conforms(document, f"/{path}", "POST", client.post(f"/{path}", {}))
        assert_conforms(document, member, "DELETE",
                        client.request("DELETE", f"/{path}/{new_id}"))
    for path in ("/websites/{website_id}", "/products/{product_id}"):
        in_use = client.request("DELETE", path.format(website_id="web_0YV7DE4Z26DQSA1AC92FBJ7SEG",
                                                      product_id="prod_default_membership"))
        assert in_use.status_code == 409
        assert_conforms(document, path, "DELETE", in_use)


def test_invoice_answers_match_the_document(client, document):
    client.request("PUT", "/customers/cus_ann", json={"firstName": "Ann"})
    client.request("PUT", "/websites/web_shop", json={
        "name": "Shop", "url": "shop.test", "servicePhone": "1", "serviceEmail": "a@shop.test"})
    body = {"customerId": "cus_ann", "websiteId": "web_shop", "currency": "USD",
            "tax": {"calculator": "manual", "items": [{"amount": 1, "description": "VAT"}]}}
    member = "/invoices/{invoice_id}"
    created = client.post("/invoices", body)
    assert_conforms(document, "/invoices", "POST", created)
    invoice_id = created.get_json()["id"]
    item = client.post(f"/invoices/{invoice_id}/items", {"type": "debit", "unitPrice": 2})
    assert_conforms(document, f"{member}/items", "POST", item)
    assert_conforms(document, f"{member}/items", "GET", client.get(f"/invoices/{invoice_id}/items"))
    assert_conforms(document, member, "PUT", client.request("PUT", "/invoices/in-1", json=body))
    assert_conforms(document, member, "PUT",
                    client.request("PUT", "/invoices/in-1", json={**body, "notes": "n"}))
    for action in ("issue", "abandon", "void"):
        assert_conforms(document, f"{member}/{action}", "POST",
                        client.request("POST", f"/invoices/{invoice_id}/{action}"))
    assert_conforms(document, "/invoices", "GET", client.get("/invoices"))
    assert_conforms(document, member, "GET", client.get(f"/invoices/{invoice_id}"))
    assert_conforms(document, member, "GET", client.get("/invoices/none"))
    assert_conforms(document, "/invoices", "POST", client.post("/invoices", {}))


def test_error_answers_match_the_one_problem_schema(client, document, app):
    assert_conforms(document, "/customers", "POST", client.post("/customers", data=b"{"))
    assert_conforms(document, "/customers", "POST", client.with_key(None).post("/customers", {}))
    assert_conforms(document, "/customers/{customer_id}", "GET", client.get("/customers/nope"))
    invalid = client.post("/customers", {"primaryAddress": {"country": "xx"}})
    assert_conforms(document, "/customers", "POST", invalid)
    assert invalid.get_json()["invalidFields"][0]["field"] == "primaryAddress.country"
    too_large = client.post("/customers", data=b" " * (2 * 1024 * 1024 + 1))
    assert_conforms(document, "/customers", "POST", too_large)
    faulted = client.post("/customers", {}, headers={"X-Sandbox-Fault": "status=503"})
    assert_conforms(document, "/customers", "POST", faulted, default=True)

    wrong_method = client.post("/customers/nope/lead-source", {})
    assert wrong_method.status_code == 405 and wrong_method.headers["Allow"]
    described = resolve(document, {"$ref": "#/components/responses/MethodNotAllowed"})
    assert_matches(document, described["content"]["application/json"]["schema"],
                   wrong_method.get_json())


@pytest.mark.parametrize("app_config", [{"rate_limit": 1}])
def test_a_rate_limited_answer_matches_the_document(client, document):
    client.post("/customers", {})
    limited = client.post("/customers", {})

    assert limited.status_code == 429
    assert_conforms(document, "/customers", "POST", limited)


def test_admin_answers_match_the_document(app, client, document):
    admin = app.test_client()
    key = {"REB-APIKEY": API_KEY}
    client.post("/customers", full_customer())
    client.with_key(OTHER_KEY).post("/customers", {"email": "other@example.com"})
    client.post("/customers", {}, headers={"X-Sandbox-Fault": "network=reset"})

    def check(method: str, path: str, template: str | None = None, **kwargs: Any):
        response = admin.open("/__admin" + path, method=method, **kwargs)
        assert_conforms(document, "/__admin" + (template or path), method, response)
        return response

    check("GET", "/health")
    check("GET", "/fixtures")
    check("POST", "/fixtures/default", "/fixtures/{name}", headers=key)
    check("POST", "/fixtures", headers=key, json=checkout_set(
        paymentInstruments=[card("cus_fx", "4111111111111111", "inst_fx_ok"),
                            card("cus_fx", APPROVAL_TRIGGER_PAN, "inst_fx_3ds")],
        transactions=[sale("txn_fx_sale", "inst_fx_ok", 30),
                      sale("txn_fx_3ds", "inst_fx_3ds", approval={"result": "approved"}),
                      {"id": "txn_fx_refund", "type": "refund",
                       "parentTransactionId": "txn_fx_sale", "amount": 5}]))
    exported = check("GET", "/export", headers=key).get_json()
    assert {"txn_fx_sale", "txn_fx_3ds", "txn_fx_refund"} <= {
        transaction["id"] for transaction in exported["transactions"]}
    check("POST", "/fixtures", headers=key, json=check("GET", "/export", headers=key).get_json())
    check("POST", "/snapshots/before", "/snapshots/{name}", headers=key)
    check("GET", "/snapshots", headers=key)
    check("POST", "/snapshots/before/restore", "/snapshots/{name}/restore", headers=key)
    check("DELETE", "/snapshots/before", "/snapshots/{name}", headers=key)
    check("GET", "/clock", headers=key)
    check("POST", "/clock", headers=key, json={"action": "freeze"})
    rule = check("POST", "/faults", headers=key,
                 json={"match": {"path": "/customers"}, "delay": {"min": 1, "max": 2},
                       "probability": 0.5, "seed": 7}).get_json()
    check("POST", "/faults", json={"status": 503, "times": 1, "global": True})
    check("GET", "/faults", headers=key)
    check("GET", f"/faults/{rule['id']}", "/faults/{rule_id}", headers=key)
    check("DELETE", f"/faults/{rule['id']}", "/faults/{rule_id}", headers=key)
    check("DELETE", "/faults", headers=key)
    entries = check("GET", "/requests?limit=5", "/requests", headers=key).get_json()
    assert any(entry["status"] is None and entry["fault"] for entry in entries)
    check("GET", "/requests?status=abc", "/requests", headers=key)
    check("DELETE", "/requests", headers=key)
    check("POST", "/reset", headers=key)
    check("GET", "/openapi.json")
