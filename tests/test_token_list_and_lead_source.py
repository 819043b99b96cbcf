"""GET /tokens lists the key's own payment tokens as GET /tokens/{id} shows them, with limit and
offset; PUT and DELETE /customers/{id}/lead-source write a customer's lead source."""

from __future__ import annotations

import pytest
from helpers import API_KEY, OTHER_KEY, assert_problem
from test_js_sdk import NODE, SDK_INSTALLED, run_scenario
from test_openapi import assert_conforms

from rebilly_sandbox.testing import LiveServer, new_api_key

PANS = ("4111111111111111", "5555555555554444", "378282246310005")


def token_request(pan: str) -> dict:
    return {"method": "payment-card",
            "paymentInstrument": {"pan": pan, "cvv": "123", "expMonth": 12, "expYear": 2030},
            "billingAddress": {"firstName": "Ada", "lastName": "Byron", "country": "GB"}}


@pytest.fixture
def token_ids(client) -> list[str]:
    ids = []
    for pan in PANS:
        response = client.post("/tokens", token_request(pan))
        assert response.status_code == 201
        ids.append(response.get_json()["id"])
    return ids


@pytest.fixture
def customer_id(client) -> str:
    response = client.post("/customers", {})
    assert response.status_code == 201
    return response.get_json()["id"]


# -- GET /tokens --------------------------------------------------------------------------------


def test_the_list_is_the_keys_tokens_oldest_first_as_get_shows_them(client, token_ids):
    response = client.get("/tokens")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert (response.headers["Pagination-Total"], response.headers["Pagination-Limit"],
            response.headers["Pagination-Offset"]) == ("3", "100", "0")
    listed = response.get_json()
    assert [token["id"] for token in listed] == token_ids
    assert listed == [client.get(f"/tokens/{token_id}").get_json() for token_id in token_ids]
    assert [token["paymentInstrument"]["last4"] for token in listed] == ["1111", "4444", "0005"]


def test_no_card_number_or_cvv_is_ever_listed(client, token_ids):
    response = client.get("/tokens")
    text = response.get_data(as_text=True)

    assert response.status_code == 200 and len(response.get_json()) == len(PANS)
    for pan in PANS:
        assert pan not in text
    assert "cvv" not in text and "pan" not in text


def test_limit_and_offset_page_the_list_and_other_parameters_are_ignored(client, token_ids):
    response = client.get("/tokens?limit=1&offset=1&sort=-createdTime&filter=bin:555555")

    assert [token["id"] for token in response.get_json()] == token_ids[1:2]
    assert (response.headers["Pagination-Total"], response.headers["Pagination-Limit"],
            response.headers["Pagination-Offset"]) == ("3", "1", "1")


@pytest.mark.parametrize("query, field", [("?limit=1001", "limit"), ("?offset=x", "offset")])
def test_a_bad_limit_or_offset_is_a_422(client, query, field):
    response = client.get(f"/tokens{query}")

    assert response.status_code == 422
    assert [item["field"] for item in response.get_json()["invalidFields"]] == [field]


def test_a_key_lists_only_its_own_namespaces_tokens(client, token_ids):
    other = client.with_key(OTHER_KEY)
    other.post("/tokens", token_request(PANS[0]))

    assert [token["id"] for token in client.get("/tokens").get_json()] == token_ids
    assert len(other.get("/tokens").get_json()) == 1
    assert other.get("/tokens").get_json()[0]["id"] not in token_ids


def test_the_list_under_an_organization_prefix_links_under_it(client, token_ids):
    listed = client.get("/organizations/org_1/tokens/").get_json()

    assert [token["id"] for token in listed] == token_ids
    assert listed[0]["_links"] == [
        {"rel": "self", "href": f"http://localhost/organizations/org_1/tokens/{token_ids[0]}"}]


@pytest.mark.parametrize("headers", [{}, {"Authorization": API_KEY.replace("sk_", "pk_", 1)}])
def test_listing_needs_a_secret_key_or_jwt(client, headers):
    assert_problem(client.with_key(None).get("/tokens", headers=headers), 401)


# -- PUT and DELETE /customers/{id}/lead-source ----------------------------------------------


def test_put_creates_the_lead_source_with_201_and_location(client, customer_id):
    response = client.request("PUT", f"/customers/{customer_id}/lead-source",
                              json={"source": "newsletter", "medium": "email"})

    assert response.status_code == 201
    url = f"http://localhost/customers/{customer_id}/lead-source"
    assert response.headers["Location"] == url
    assert response.headers["X-RateLimit-Remaining"]
    body = response.get_json()
    assert body == {"source": "newsletter", "medium": "email", "id": customer_id,
                    "customerId": customer_id, "createdTime": body["createdTime"],
                    "updatedTime": body["createdTime"],
                    "_links": [{"rel": "self", "href": url},
                               {"rel": "customer",
                                "href": f"http://localhost/customers/{customer_id}"}]}
    assert client.get(f"/customers/{customer_id}/lead-source").get_json() == body


def test_put_again_replaces_it_keeping_created_time_and_leaves_the_customer_alone(
        client, customer_id):
    path = f"/customers/{customer_id}/lead-source"
    first = client.request("PUT", path, json={"source": "newsletter", "campaign": "spring"})
    client.post("/__admin/clock", {"action": "advance", "seconds": 60})

    second = client.request("PUT", path, json={"source": "search"})

    assert second.status_code == 201
    body = second.get_json()
    assert (body["source"], "campaign" in body) == ("search", False)
    assert body["createdTime"] == first.get_json()["createdTime"] != body["updatedTime"]
    customer = client.get(f"/customers/{customer_id}").get_json()
    assert customer["revision"] == 1
    assert {"rel": "leadSource", "href": f"http://localhost{path}"} in customer["_links"]


def test_put_validates_the_body_as_a_customers_lead_source(client, customer_id):
    response = client.request("PUT", f"/customers/{customer_id}/lead-source",
                              json={"referrer": "not a url", "source": "x" * 513})

    assert response.status_code == 422
    assert sorted(item["field"] for item in response.get_json()["invalidFields"]) == [
        "referrer", "source"]
    assert_problem(client.get(f"/customers/{customer_id}/lead-source"), 404)


def test_put_for_a_customer_the_namespace_lacks_is_a_404(client):
    problem = assert_problem(client.request("PUT", "/customers/cus_nope/lead-source", json={}),
                             404)

    assert problem["detail"] == "Customer cus_nope was not found."


def test_delete_removes_it_with_204_and_a_second_delete_is_a_404(client, customer_id):
    path = f"/customers/{customer_id}/lead-source"
    client.request("PUT", path, json={"source": "newsletter"})

    response = client.request("DELETE", path)

    assert response.status_code == 204
    assert response.get_data() == b""
    assert response.headers["X-RateLimit-Remaining"]
    assert_problem(client.get(path), 404)
    links = client.get(f"/customers/{customer_id}").get_json()["_links"]
    assert all(link["rel"] != "leadSource" for link in links)
    problem = assert_problem(client.request("DELETE", path), 404)
    assert problem["detail"] == f"Customer {customer_id} has no lead source."


def test_another_key_cannot_write_or_delete_the_lead_source(client, customer_id):
    path = f"/customers/{customer_id}/lead-source"
    client.request("PUT", path, json={"source": "newsletter"})
    other = client.with_key(OTHER_KEY)

    assert other.request("PUT", path, json={"source": "x"}).status_code == 404
    assert other.request("DELETE", path).status_code == 404
    assert client.get(path).get_json()["source"] == "newsletter"


def test_the_answers_match_the_openapi_document(app, client, token_ids, customer_id):
    document = app.test_client().get("/__admin/openapi.json").get_json()
    lead_source = f"/customers/{customer_id}/lead-source"

    assert "PublishableKey" not in str(document["paths"]["/tokens"]["get"]["security"])
    assert_conforms(document, "/tokens", "GET", client.get("/tokens?limit=2"))
    assert_conforms(document, "/customers/{customer_id}/lead-source", "PUT",
                    client.request("PUT", lead_source, json={"source": "newsletter"}))
    assert_conforms(document, "/customers/{customer_id}/lead-source", "PUT",
                    client.request("PUT", lead_source, json={"referrer": "no"}))
    assert_conforms(document, "/customers/{customer_id}/lead-source", "DELETE",
                    client.request("DELETE", lead_source))
    assert_conforms(document, "/customers/{customer_id}/lead-source", "DELETE",
                    client.request("DELETE", lead_source))


@pytest.mark.served
@pytest.mark.skipif(NODE is None or not SDK_INSTALLED, reason="needs node and tests/sdk")
def test_the_js_sdk_lists_tokens_and_writes_lead_sources():
    with LiveServer() as server:
        results = run_scenario("tokens_and_lead_source.mjs", server.url, new_api_key())

    tokens = results["tokens"]
    assert (tokens["total"], tokens["limit"], tokens["offset"]) == (3, 2, 1)
    assert [item["paymentInstrument"]["last4"] for item in tokens["items"]] == ["4444", "0005"]
    created, updated = results["created"], results["updated"]
    assert created["status"] == 201 and updated["status"] == 201
    assert (created["fields"]["source"], created["fields"]["campaign"]) == ("newsletter",
                                                                           "spring")
    assert updated["fields"]["source"] == "search" and "campaign" not in updated["fields"]
    assert results["read"]["fields"] == updated["fields"]
    assert results["deleted"]["status"] == 204
    assert results["readAfterDelete"]["error"] == "RebillyNotFoundError"
