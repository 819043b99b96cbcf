"""Routes Rebilly has that the sandbox does not simulate answer a 501 problem naming the route,
after authentication, and are journaled; unknown paths stay 404 and methods neither has 405."""

from __future__ import annotations

import configparser
from importlib import resources
from pathlib import Path

import pytest
from helpers import API_KEY, assert_problem
from test_js_sdk import NODE, SDK_INSTALLED, run_scenario

from rebilly_sandbox.api.routing import routed
from rebilly_sandbox.routelist import ROUTES_FILE, RouteList, shipped
from rebilly_sandbox.testing import LiveServer, new_api_key

NOT_SIMULATED = "GET /blocklists/{id} is a Rebilly route the sandbox does not simulate."


def journal(client) -> list[dict]:
    return client.get("/__admin/requests").get_json()


def test_a_rebilly_route_the_sandbox_lacks_is_a_501_naming_it(client):
    response = client.get("/blocklists/blk_1")

    assert response.status_code == 501
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json() == {"type": "about:blank", "title": "Not Implemented",
                                   "status": 501, "detail": NOT_SIMULATED,
                                   "instance": "/blocklists/blk_1"}


@pytest.mark.parametrize("path", ["/blocklists/blk_1/", "/organizations/org_1/blocklists/x",
                                  "/organizations/org_1/blocklists/x/"])
def test_the_501_holds_with_a_trailing_slash_and_under_the_organization_prefix(client, path):
    problem = assert_problem(client.get(path), 501, "Not Implemented")

    assert problem["detail"] == NOT_SIMULATED
    assert problem["instance"] == path


@pytest.mark.parametrize("method, path, detail", [
    ("POST", "/quotes", "POST /quotes"),
    ("PATCH", "/quotes/quo_1", "PATCH /quotes/{id}"),
    ("PATCH", "/service-credentials/webhook/cred_1", "PATCH /service-credentials/{type}/{id}"),
    ("GET", "/service-credentials/mailgun", "GET /service-credentials/{type}"),
    ("GET", "/customers/cus_1/timeline", "GET /customers/{id}/timeline"),
    ("PUT", "/custom-fields/customers/size", "PUT /custom-fields/{resource}/{name}"),
    ("GET", "/customers/cus_1/external-identifiers/crm",
     "GET /{resource}/{resourceId}/external-identifiers/{service}"),
    ("GET", "/organizations/org_1", "GET /organizations/{id}"),
])
def test_any_segment_value_matches_a_parameter_and_the_most_literal_route_is_named(
        client, method, path, detail):
    problem = assert_problem(client.request(method, path), 501)

    assert problem["detail"] == f"{detail} is a Rebilly route the sandbox does not simulate."


def test_a_head_of_a_get_route_is_a_501_without_a_body(client):
    response = client.request("HEAD", "/blocklists/blk_1")

    assert response.status_code == 501
    assert response.get_data() == b""


@pytest.mark.parametrize("headers", [{}, {"REB-APIKEY": "sk_live_0123456789"},
                                     {"Authorization": API_KEY.replace("sk_", "pk_", 1)}])
def test_without_a_usable_secret_credential_it_is_a_401_first(client, headers):
    response = client.with_key(None).get("/blocklists/blk_1", headers=headers)

    assert_problem(response, 401, "Unauthorized")


@pytest.mark.parametrize("method, path", [("GET", "/nothing"), ("GET", "/blocklist/blk_1"),
                                          ("GET", "/blocklists/blk_1/nothing"),
                                          ("GET", "/customers//timeline"),
                                          ("GET", "/organizations/org_1/nothing")])
def test_a_path_rebilly_lacks_too_stays_a_404(client, method, path):
    problem = assert_problem(client.request(method, path), 404, "Not Found")

    assert problem["detail"] == "No route matches this URL."


def test_the_admin_api_and_approval_page_are_never_rebilly_routes(client):
    for path in ("/__admin/x/external-identifiers/y", "/_sandbox/x/external-identifiers/y"):
        assert client.get(path).status_code == 404


@pytest.mark.parametrize("method, path, allowed", [
    ("PUT", "/tokens/tok_1", {"GET", "HEAD", "OPTIONS"}),
    ("PATCH", "/customers/cus_1", {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}),
    ("PATCH", "/blocklists/blk_1", {"GET", "HEAD", "PUT", "DELETE"}),
    ("POST", "/payment-methods", {"GET", "HEAD"}),
])
def test_a_method_neither_has_is_a_405_allowing_every_method_the_path_answers(
        client, method, path, allowed):
    response = client.request(method, path)

    assert_problem(response, 405, "Method Not Allowed")
    assert {item.strip() for item in response.headers["Allow"].split(",")} == allowed


def test_a_501_is_journaled_with_its_status(client):
    client.request("PATCH", "/organizations/org_1/quotes/quo_1")

    [entry] = journal(client)
    assert (entry["method"], entry["path"], entry["status"]) == (
        "PATCH", "/organizations/org_1/quotes/quo_1", 501)
    assert entry["headers"]["Reb-Apikey"] != API_KEY


def test_a_501_is_not_rate_limited_and_stores_nothing(client, app):
    response = client.post("/quotes", {"customerId": "cus_1"})

    assert response.status_code == 501
    assert "X-RateLimit-Remaining" not in response.headers
    assert client.post("/customers", {}).headers["X-RateLimit-Remaining"] == "2999"


def test_a_fault_rule_on_an_unsimulated_route_still_warns_that_it_never_fires(client):
    response = client.post("/__admin/faults", {"match": {"path": "/quotes"}, "status": 503})

    assert response.status_code == 201
    assert "can never fire" in response.get_json()["warning"]


def test_every_listed_route_is_served_or_a_501(app, client):
    """Each template of the shipped list, its parameters filled in, under both prefixes."""
    unsimulated = 0
    with app.test_request_context():
        for method, template in _listed():
            path = "/" + "/".join("x1" if part.startswith("{") else part
                                  for part in template.strip("/").split("/"))
            if routed(path, method):
                continue
            unsimulated += 1
            for prefix in ("", "/organizations/org_1"):
                response = client.request(method, prefix + path)
                assert response.status_code == 501, (method, prefix + path)
                assert response.get_json()["detail"].endswith(
                    "is a Rebilly route the sandbox does not simulate.")
    assert 500 < unsimulated < len(shipped())


def _shipped_text() -> str:
    return (resources.files("rebilly_sandbox") / ROUTES_FILE).read_text(encoding="utf-8")


def _listed() -> list[tuple[str, str]]:
    return [tuple(line.split(" ")) for line in _shipped_text().splitlines()
            if not line.startswith("#")]


def test_the_shipped_list_says_where_it_comes_from_and_is_read_whole():
    header, *lines = _shipped_text().splitlines()

    assert header.startswith("# Rebilly's API routes") and "Facts for routing only" in header
    assert len(lines) == len(shipped()) == 613
    assert all(line.split(" ")[0] in {"GET", "POST", "PUT", "PATCH", "DELETE"}
               and line.split(" ")[1].startswith("/") for line in lines)


def test_the_list_is_package_data():
    setup = configparser.ConfigParser()
    setup.read(Path(__file__).resolve().parent.parent / "setup.cfg")

    assert ROUTES_FILE in setup["options.package_data"]["rebilly_sandbox"].split()


def test_the_matcher_prefers_literal_segments_and_ignores_comments():
    routes = RouteList(["# a comment", "", "GET /{kind}/{id}", "GET /plans/{id}",
                        "DELETE /plans/{id}", "POST /plans"])

    assert len(routes) == 4
    assert routes.methods_at("/plans/p1") == {"GET": "/plans/{id}", "DELETE": "/plans/{id}"}
    assert routes.methods_at("/coupons/c1") == {"GET": "/{kind}/{id}"}
    assert routes.methods_at("/plans") == {"POST": "/plans"}
    assert routes.methods_at("/plans//") == {} == routes.methods_at("/")


def test_a_served_route_never_consults_the_list(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the route list was read for a served route")

    monkeypatch.setattr(RouteList, "methods_at", refuse)

    assert client.post("/customers", {}).status_code == 201
    assert client.get("/customers").status_code == 200
    assert client.get("/customers/nope").status_code == 404


@pytest.mark.served
@pytest.mark.skipif(NODE is None or not SDK_INSTALLED, reason="needs node and tests/sdk")
def test_the_js_sdk_sees_a_request_error_not_a_missing_record():
    with LiveServer() as server:
        results = run_scenario("unsimulated.mjs", server.url, new_api_key())

    for name in ("blocklist", "orgBlocklist"):
        assert results[name]["error"] == "RebillyRequestError"
        assert results[name]["status"] == 501
        assert "GET /blocklists/{id}" in results[name]["message"]
    assert results["missingCustomer"]["error"] == "RebillyNotFoundError"
