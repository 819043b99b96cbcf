"""CORS for browser origins, and the admin API's refusal of anything another origin could send."""

from __future__ import annotations

import pytest
from helpers import API_KEY, assert_problem

from rebilly_sandbox.cors import ALLOWED_HEADERS, EXPOSED_HEADERS, origin_allowed

SHOP = "http://localhost:5173"
PUBLISHABLE_KEY = "pk_" + API_KEY.removeprefix("sk_")
CARD = {"method": "payment-card",
        "paymentInstrument": {"pan": "4111111111111111", "expMonth": 12, "expYear": 2035}}


def preflight(client, path: str, origin: str = SHOP, headers: str = "authorization,content-type"):
    return client.with_key(None).request("OPTIONS", path, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": headers})


@pytest.mark.parametrize("path", ["/tokens", "/customers", "/organizations/org-1/tokens",
                                  "/transactions/txn_1/refund"])
def test_a_preflight_from_a_local_page_is_answered_without_a_credential(client, path):
    answer = preflight(client, path)

    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == SHOP
    allowed = {name.strip().lower()
               for name in answer.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "reb-apikey", "content-type", "reb-api-consumer"} <= allowed
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in answer.headers
    assert client.get("/__admin/requests").json == []  # nobody's request: journaled nowhere


def test_a_preflight_from_an_origin_not_allowed_is_refused(client):
    answer = preflight(client, "/tokens", origin="https://shop.example.com")

    assert_problem(answer, 403)
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert "--cors-origins" in answer.json["detail"]


@pytest.mark.parametrize("path", ["/__admin/reset", "/__admin/requests", "/__admin/"])
def test_the_admin_api_answers_no_preflight(client, path):
    answer = preflight(client, path)

    assert_problem(answer, 403)
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_answers_to_an_allowed_origin_expose_location_and_paging(client):
    created = client.post("/customers", {}, headers={"Origin": SHOP})
    listed = client.get("/customers", headers={"Origin": SHOP})

    for answer in (created, listed):
        assert answer.headers["Access-Control-Allow-Origin"] == SHOP
        exposed = answer.headers["Access-Control-Expose-Headers"].split(", ")
        assert {"Location", "Pagination-Total", "Pagination-Limit", "Pagination-Offset"} <= set(
            exposed)
        assert "Origin" in answer.headers["Vary"]
    assert created.status_code == 201 and "Pagination-Total" in listed.headers


def test_errors_are_readable_by_the_page_too(client):
    answer = client.with_key(None).post("/tokens", CARD, headers={"Origin": SHOP})

    assert_problem(answer, 401)
    assert answer.headers["Access-Control-Allow-Origin"] == SHOP


def test_framepays_publishable_key_in_authorization_makes_a_token(client):
    answer = client.with_key(None).post("/tokens", CARD, headers={
        "Origin": SHOP, "Authorization": PUBLISHABLE_KEY})

    assert answer.status_code == 201
    assert answer.headers["Access-Control-Allow-Origin"] == SHOP


def test_a_publishable_key_after_bearer_works_where_a_bare_one_does(client):
    token = client.with_key(None).post("/tokens", CARD, headers={
        "Authorization": f"Bearer {PUBLISHABLE_KEY}"})
    customers = client.with_key(None).get("/customers", headers={
        "Authorization": f"Bearer {PUBLISHABLE_KEY}"})

    assert token.status_code == 201
    assert client.get(f"/tokens/{token.json['id']}").status_code == 200  # the same namespace
    assert_problem(customers, 401)
    assert "only works for payment tokens" in customers.json["detail"]


def test_another_origin_gets_no_cors_header_and_admin_answers_none(client):
    elsewhere = client.get("/customers", headers={"Origin": "https://evil.example"})
    admin = client.get("/__admin/requests", headers={"Origin": SHOP})

    assert elsewhere.status_code == 200  # the browser, not the server, withholds it
    assert "Access-Control-Allow-Origin" not in elsewhere.headers
    assert "Access-Control-Allow-Origin" not in admin.headers


@pytest.mark.parametrize(("origin", "patterns", "allowed"), [
    ("http://localhost:5173", ("http://localhost:*",), True),
    ("http://localhost", ("http://localhost:*",), True),
    ("http://LOCALHOST:3000", ("http://localhost:*",), True),
    ("http://[::1]:8000", ("http://[::1]:*",), True),
    ("http://localhost.evil.com", ("http://localhost:*",), False),
    ("http://localhost:1.evil.com", ("http://localhost:*",), False),
    ("https://localhost:5173", ("http://localhost:*",), False),
    ("http://127.0.0.1:80", ("http://127.0.0.1:8080",), False),
    ("http://127.0.0.1:8080", ("http://127.0.0.1:8080",), True),
    ("https://shop.example.com", ("*",), True),
    ("null", ("*",), False),
    ("http://localhost:5173", (), False),
])
def test_origin_patterns(origin, patterns, allowed):
    assert origin_allowed(origin, patterns) is allowed


@pytest.mark.parametrize("app_config", [{"cors_origins": "https://shop.example.com"}])
def test_the_setting_names_the_origins(client):
    assert preflight(client, "/tokens", origin="https://shop.example.com").status_code == 204
    assert preflight(client, "/tokens").status_code == 403


def test_the_header_lists_are_what_the_docs_say():
    assert "REB-API-CONSUMER" in ALLOWED_HEADERS and "Location" in EXPOSED_HEADERS


# -- the admin API and pages the developer happens to visit ----------------------------------

def customers(client) -> int:
    return len(client.get("/customers").json)


@pytest.mark.parametrize("headers", [
    {"Origin": SHOP},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
])
def test_an_admin_write_another_page_could_send_is_refused(client, headers):
    client.post("/customers", {})

    answer = client.request("POST", "/__admin/reset", headers=headers, data="")

    assert_problem(answer, 403)
    assert customers(client) == 1


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "text/plain"])
def test_a_form_body_without_a_key_is_refused_with_one_it_is_curl(client, content_type):
    client.post("/customers", {})

    answer = client.with_key(None).request("POST", "/__admin/reset", data="",
                                           headers={"Content-Type": content_type})
    assert_problem(answer, 403)
    assert customers(client) == 1
    freeze = client.request("POST", "/__admin/clock", headers={"Content-Type": content_type},
                            data='{"action": "freeze", "time": "2030-01-01T00:00:00Z"}')
    assert freeze.status_code == 200  # `curl -d` with REB-APIKEY, as the docs show

    assert_problem(answer, 403)
    assert customers(client) == 1


def test_an_admin_write_from_the_sandboxs_own_origin_or_no_browser_works(client):
    client.post("/customers", {})
    own = client.request("POST", "/__admin/reset",
                         headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 200 and customers(client) == 0

    client.post("/customers", {})
    plain = client.post("/__admin/reset", None)
    assert plain.status_code == 200 and customers(client) == 0


def test_admin_reads_are_not_refused(client):
    assert client.get("/__admin/requests", headers={"Origin": SHOP}).status_code == 200
