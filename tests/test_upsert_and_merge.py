"""PUT /customers/{id} (upsert), the JS SDK's create-with-id, expand, and merge-and-delete."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest


@pytest.fixture
def clock(app):
    clock = app.extensions["sandbox"].clock
    clock.freeze(datetime(2030, 1, 1, tzinfo=timezone.utc))
    return clock


def test_put_creates_a_customer_with_the_chosen_id(client):
    response = client.request("PUT", "/customers/ben-1706", json={"email": "ben@example.com"})

    assert response.status_code == 201
    assert response.headers["Location"] == "http://localhost/customers/ben-1706"
    assert response.headers["X-RateLimit-Limit"] == "3000"
    customer = response.get_json()
    assert customer["id"] == "ben-1706"
    assert customer["revision"] == 1
    assert client.get("/customers/ben-1706").get_json() == customer


def test_put_on_an_existing_customer_replaces_writable_fields(client, clock):
    created = client.request("PUT", "/customers/cust-1", json={
        "email": "old@example.com", "locale": "en-GB", "customFields": {"a": 1},
        "tags": [{"name": "vip", "type": "customer"}]}).get_json()
    clock.advance(timedelta(minutes=5))

    response = client.request("PUT", "/customers/cust-1", json={"email": "new@example.com"})

    assert response.status_code == 200
    assert "Location" not in response.headers
    updated = response.get_json()
    assert updated["email"] == "new@example.com"
    assert updated["locale"] is None, "omitted writable fields fall back to their defaults"
    assert updated["customFields"] == {}
    assert updated["tags"] == created["tags"], "tags are kept unless sent"
    assert updated["createdTime"] == created["createdTime"]
    assert updated["updatedTime"] == "2030-01-01T00:05:00+00:00"
    assert updated["revision"] == 2
    assert client.get("/customers/cust-1").get_json() == updated


def test_put_with_tags_replaces_them(client):
    client.request("PUT", "/customers/c2", json={"tags": [{"name": "a", "type": "customer"}]})

    updated = client.request("PUT", "/customers/c2",
                             json={"tags": [{"name": "b", "type": "customer"}]}).get_json()

    assert [tag["name"] for tag in updated["tags"]] == ["b"]


@pytest.mark.parametrize("customer_id", ["has space", "x" * 51, "semi;colon", "émile"])
def test_put_refuses_ids_rebilly_refuses(client, customer_id):
    response = client.request("PUT", f"/customers/{customer_id}", json={})

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["field"] == "id"


@pytest.mark.parametrize("customer_id", ["a", "@~-._", "x" * 50, "cus_01ABC"])
def test_put_accepts_url_safe_ids(client, customer_id):
    assert client.request("PUT", f"/customers/{customer_id}", json={}).status_code == 201


def test_js_sdk_create_with_id_is_get_then_put(client):
    """customers.create({id, data}): GET /customers/{id}, then PUT on a 404."""
    missing = client.get("/customers/cus_new1")
    assert missing.status_code == 404

    created = client.request("PUT", "/customers/cus_new1", json={
        "websiteId": "web_0YV7DE4Z26DQSA1AC92FBJ7SEG",
        "primaryAddress": {"firstName": "John", "lastName": "Doe",
                           "emails": [{"label": "main", "value": "john.doe@example.com",
                                       "primary": True}]}},
        headers={"Content-Type": "application/json"})
    assert created.status_code == 201
    assert client.get("/customers/cus_new1").status_code == 200


def test_put_with_a_token_sets_the_default_instrument(client):
    token = client.post("/tokens", {"method": "payment-card", "paymentInstrument": {
        "pan": "5555555555554444", "expMonth": 1, "expYear": 2031}}).get_json()
    client.request("PUT", "/customers/p1", json={})

    updated = client.request("PUT", "/customers/p1", json={"paymentToken": token["id"]}).get_json()

    instrument_id = updated["defaultPaymentInstrument"]["paymentInstrumentId"]
    again = client.request("PUT", "/customers/p1",
                           json={"defaultPaymentInstrumentId": instrument_id})
    assert again.status_code == 200
    assert again.get_json()["defaultPaymentInstrument"]["paymentInstrumentId"] == instrument_id
    kept = client.request("PUT", "/customers/p1", json={}).get_json()
    assert kept["defaultPaymentInstrument"] == updated["defaultPaymentInstrument"]
    cleared = client.request("PUT", "/customers/p1",
                             json={"defaultPaymentInstrumentId": None}).get_json()
    assert cleared["defaultPaymentInstrument"] is None


def test_default_instrument_of_another_customer_is_422(client):
    token = client.post("/tokens", {"method": "payment-card", "paymentInstrument": {
        "pan": "4111111111111111", "expMonth": 1, "expYear": 2031}}).get_json()
    owner = client.post("/customers", {"paymentToken": token["id"]}).get_json()
    client.request("PUT", "/customers/other", json={})

    response = client.request("PUT", "/customers/other", json={
        "defaultPaymentInstrumentId": owner["defaultPaymentInstrument"]["paymentInstrumentId"]})

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["field"] == "defaultPaymentInstrumentId"


def test_expand_lead_source_and_no_embedded_without_expand(client):
    created = client.post("/customers", {"leadSource": {"source": "google", "medium": "cpc"}})
    customer_id = created.get_json()["id"]

    assert "_embedded" not in created.get_json()
    assert {"rel": "leadSource", "href": f"http://localhost/customers/{customer_id}/lead-source"} \
        in created.get_json()["_links"]
    expanded = client.get(f"/customers/{customer_id}?expand=leadSource,website").get_json()
    assert expanded["_embedded"]["leadSource"]["source"] == "google"
    assert "website" not in expanded["_embedded"]
    linked = client.get(f"/customers/{customer_id}/lead-source")
    assert linked.status_code == 200
    assert linked.get_json()["medium"] == "cpc"
    assert client.get(f"/customers/{client.post('/customers', {}).get_json()['id']}/lead-source"
                      ).status_code == 404


def test_unknown_expand_is_422(client):
    response = client.post("/customers?expand=website,friends", {})

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["field"] == "expand"


def test_delete_merges_into_the_target(client):
    token = client.post("/tokens", {"method": "payment-card", "paymentInstrument": {
        "pan": "4111111111111111", "expMonth": 1, "expYear": 2031}}).get_json()
    source = client.post("/customers", {"paymentToken": token["id"],
                                        "tags": [{"name": "a", "type": "customer"}]}).get_json()
    target = client.post("/customers", {"tags": [{"name": "b", "type": "customer"}]}).get_json()

    merge_into = f"targetCustomerId={target['id']}"
    response = client.request("DELETE", f"/customers/{source['id']}?{merge_into}")

    assert response.status_code == 204
    assert response.headers["X-RateLimit-Remaining"]
    assert client.get(f"/customers/{source['id']}").status_code == 404
    merged = client.get(f"/customers/{target['id']}?expand=defaultPaymentInstrument").get_json()
    assert sorted(tag["name"] for tag in merged["tags"]) == ["a", "b"]
    assert merged["defaultPaymentInstrument"] == source["defaultPaymentInstrument"]
    assert merged["_embedded"]["defaultPaymentInstrument"]["customerId"] == target["id"]
    assert merged["revision"] == 2


@pytest.mark.parametrize("query", ["", "?targetCustomerId=", "?targetCustomerId=SELF",
                                   "?targetCustomerId=nobody"])
def test_delete_without_a_usable_target_is_422(client, query):
    customer = client.post("/customers", {}).get_json()
    query = query.replace("SELF", customer["id"])

    response = client.request("DELETE", f"/customers/{customer['id']}{query}")

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["field"] == "targetCustomerId"
    assert client.get(f"/customers/{customer['id']}").status_code == 200


def test_delete_of_an_unknown_customer_is_404(client):
    response = client.request("DELETE", "/customers/nobody?targetCustomerId=x")

    assert response.status_code == 404


def test_rate_limit_refuses_with_429_and_retry_after(client, clock):
    limiter = client.client.application.extensions["sandbox"].rate_limiter
    limiter.limit = 2
    assert client.post("/customers", {}).status_code == 201
    assert client.post("/customers", {}).headers["X-RateLimit-Remaining"] == "0"

    refused = client.post("/customers", {})

    assert refused.status_code == 429
    assert refused.get_json()["title"] == "Rate Limit Exceeded"
    retry_after = int(refused.headers["X-RateLimit-Retry-After"])
    assert retry_after == int(clock.now().timestamp()) + 600
    assert refused.headers["Retry-After"] == "600"
    assert client.get("/customers/anything").status_code == 404, "GETs are not limited"
    clock.advance(timedelta(seconds=600))
    assert client.post("/customers", {}).status_code == 201
