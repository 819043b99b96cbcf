"""GET /tracking/api and GET /tracking/api/{id}: the namespace's request journal in Rebilly's
API-log shape, listed with the shared list machinery, the credential redacted and card data
masked."""

from __future__ import annotations

import pytest
from helpers import API_KEY, OTHER_KEY, assert_problem
from test_js_sdk import NODE, SDK_INSTALLED, run_scenario
from test_openapi import assert_conforms

from rebilly_sandbox.testing import LiveServer, new_api_key

CARD = {"method": "payment-card",
        "paymentInstrument": {"pan": "4111111111111111", "cvv": "123", "expMonth": 12,
                              "expYear": 2030}}
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlc2lnbmF0dXJl"


@pytest.fixture
def requests_made(client) -> None:
    """Four requests a minute apart on the namespace's clock: a token, a customer under an
    organization prefix, a route the sandbox does not simulate, and an unknown path."""
    frozen = client.post("/__admin/clock", {"action": "freeze", "time": "2030-01-01T00:00:00Z"})
    assert frozen.status_code == 200
    for method, path, body in (("POST", "/tokens", CARD),
                               ("POST", "/organizations/org_shop/customers/", {}),
                               ("GET", "/blocklists/blk_1?limit=5", None),
                               ("GET", "/nothing", None)):
        client.request(method, path, json=body)
        client.post("/__admin/clock", {"action": "advance", "seconds": 60})


def logs(client, query: str = "") -> list[dict]:
    response = client.get(f"/tracking/api{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_list_is_the_journal_newest_first_with_pagination_headers(client, requests_made):
    response = client.get("/tracking/api")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert (response.headers["Pagination-Total"], response.headers["Pagination-Limit"],
            response.headers["Pagination-Offset"]) == ("4", "100", "0")
    assert [(log["method"], log["status"], log["route"]) for log in response.get_json()] == [
        ("GET", 404, None), ("GET", 501, "/blocklists/{id}"), ("POST", 201, "/customers"),
        ("POST", 201, "/tokens")]


def test_an_api_log_has_rebillys_members_and_null_for_what_the_journal_does_not_keep(
        client, requests_made):
    unsimulated = logs(client)[1]

    assert unsimulated == {
        "id": unsimulated["id"], "status": 501, "url": "http://localhost/blocklists/blk_1?limit=5",
        "route": "/blocklists/{id}", "method": "GET", "request": "", "response": None,
        "requestHeaders": unsimulated["requestHeaders"], "responseHeaders": None,
        "user": {"userId": None, "apiKeyId": None, "email": None, "firstName": None,
                 "lastName": None, "ipAddress": None, "fingerprint": None,
                 "userAgent": unsimulated["requestHeaders"]["User-Agent"], "isSupport": False},
        "ipAddress": None, "relatedResourceIds": [], "duration": unsimulated["duration"],
        "organizationId": unsimulated["organizationId"],
        "createdTime": "2030-01-01T00:02:00.000+00:00",
        "updatedTime": "2030-01-01T00:02:00.000+00:00",
        "_links": [{"rel": "self",
                    "href": f"http://localhost/tracking/api/{unsimulated['id']}"}]}
    assert unsimulated["organizationId"].startswith("org_")
    assert isinstance(unsimulated["duration"], int)


def test_the_organization_prefix_names_the_organization_and_is_not_part_of_the_route(
        client, requests_made):
    customer = logs(client, "?filter=route:/customers")[0]

    assert customer["organizationId"] == "org_shop"
    assert customer["url"] == "http://localhost/organizations/org_shop/customers/"


def test_the_credential_is_redacted(client, requests_made):
    client.with_key(None).get("/tracking/api", headers={"Authorization": f"Bearer {JWT}"})

    shown = str(logs(client)) + str(client.with_key(None).get(
        "/tracking/api", headers={"Authorization": f"Bearer {JWT}"}).get_json())

    assert API_KEY not in shown
    assert JWT not in shown
    assert logs(client)[0]["requestHeaders"]["Reb-Apikey"].endswith(API_KEY[-4:])


def test_card_data_is_masked(client, requests_made):
    token = logs(client, "?filter=route:/tokens")[0]

    assert "4111111111111111" not in str(token)
    assert '"pan": "************1111"' in token["request"]
    assert '"cvv": "***"' in token["request"]


def test_a_key_sees_only_its_own_namespace(client, requests_made):
    other = client.with_key(OTHER_KEY)
    mine = logs(client)[0]["id"]

    assert other.get("/tracking/api").get_json() == []
    assert_problem(other.get(f"/tracking/api/{mine}"), 404)


def test_one_log_by_id_and_an_unknown_id(client, requests_made):
    first = logs(client)[-1]

    response = client.get(f"/tracking/api/{first['id']}")
    assert response.status_code == 200
    assert response.get_json() == first
    problem = assert_problem(client.get("/tracking/api/999999"), 404, "Not Found")
    assert problem["detail"] == "No API log 999999."


@pytest.mark.parametrize("query, expected", [
    ("?limit=2", [("GET", 404), ("GET", 501)]),
    ("?limit=2&offset=3", [("POST", 201)]),
    ("?sort=createdTime", [("POST", 201), ("POST", 201), ("GET", 501), ("GET", 404)]),
    ("?sort=-status,method&limit=2", [("GET", 501), ("GET", 404)]),
    ("?filter=method:POST", [("POST", 201), ("POST", 201)]),
    ("?filter=status:400..599", [("GET", 404), ("GET", 501)]),
    ("?filter=createdTime:2030-01-01T00:01:00Z..2030-01-01T00:02:00Z",
     [("GET", 501), ("POST", 201)]),
    ("?q=BLOCKLISTS", [("GET", 501)]),
    ("?expand=organization&fields=id", [("GET", 404), ("GET", 501), ("POST", 201),
                                         ("POST", 201)]),
])
def test_limit_offset_sort_filter_and_q_work_as_on_every_list(client, requests_made, query,
                                                               expected):
    assert [(log["method"], log["status"]) for log in logs(client, query)] == expected


@pytest.mark.parametrize("query, field", [("?limit=1001", "limit"), ("?offset=-1", "offset"),
                                          ("?sort=request", "sort"), ("?filter=body:x", "filter"),
                                          ("?q=" + "x" * 256, "q")])
def test_bad_list_parameters_are_a_422_naming_them(client, query, field):
    response = client.get(f"/tracking/api{query}")

    assert response.status_code == 422
    assert response.get_json()["title"] == "Validation error"
    assert [item["field"] for item in response.get_json()["invalidFields"]] == [field]


def test_the_logs_own_reads_appear_in_later_pages(client):
    client.get("/tracking/api")

    assert [log["url"] for log in logs(client)] == ["http://localhost/tracking/api"]


def test_outbound_notifications_in_the_journal_are_not_api_requests(client, app):
    client.get("/customers")
    state = app.extensions["sandbox"]
    state.journal.record(state.namespace_for(API_KEY).id, time="2030-01-01T00:00:00.000+00:00",
                         method="POST", path="https://merchant.example/notify", query="",
                         headers=[], body=b"{}", status=200, duration_ms=3.0)

    assert [log["route"] for log in logs(client)] == ["/customers"]


def test_without_a_key_it_is_a_401(client):
    assert_problem(client.with_key(None).get("/tracking/api"), 401)
    assert_problem(client.with_key(None).get("/tracking/api/1"), 401)


def test_the_answers_match_the_openapi_document(app, client, requests_made):
    document = app.test_client().get("/__admin/openapi.json").get_json()
    first = logs(client)[-1]["id"]

    assert_conforms(document, "/tracking/api", "GET", client.get("/tracking/api"))
    assert_conforms(document, "/tracking/api", "GET", client.get("/tracking/api?limit=x"))
    assert_conforms(document, "/tracking/api/{log_id}", "GET", client.get(f"/tracking/api/{first}"))
    assert_conforms(document, "/tracking/api/{log_id}", "GET", client.get("/tracking/api/0"))


@pytest.mark.served
@pytest.mark.skipif(NODE is None or not SDK_INSTALLED, reason="needs node and tests/sdk")
def test_the_js_sdk_lists_and_reads_api_logs():
    with LiveServer() as server:
        results = run_scenario("api_logs.mjs", server.url, new_api_key())

    listed = results["logs"]
    assert (listed["total"], listed["limit"], listed["offset"]) == (2, 2, 0)
    assert [(item["method"], item["route"], item["status"]) for item in listed["items"]] == [
        ("GET", "/customers/{id}", 404), ("POST", "/tokens", 201)]
    assert "4111111111111111" not in str(listed)
    assert [(item["method"], item["status"]) for item in results["byStatus"]["items"]] == [
        ("GET", 404)]
    log = results["log"]
    assert log["status"] == 200
    assert log["fields"] == listed["items"][0]
