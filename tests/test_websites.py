"""/websites: create, upsert, read, list, delete (409 while named), links from customers and
transactions, isolation, hostile bodies, and the sandbox's machinery (faults, journal, fixtures,
snapshots, export)."""

from __future__ import annotations

import re

import pytest
from helpers import API_KEY, OTHER_KEY, assert_problem, card, new_customer, stored

WEBSITE_ID = re.compile(r"^web_[0-9A-HJKMNP-TV-Z]{26}$")


def website(**extra):
    return {"name": "Example Shop", "url": "shop.example.com", "servicePhone": "+1 555 0100",
            "serviceEmail": "help@shop.example.com", **extra}


def put(client, website_id, body):
    return client.request("PUT", f"/websites/{website_id}", json=body)


def test_create_answers_201_with_location_and_rebillys_fields(client):
    settings = {"amplitude": {"tracking": True, "apiKey": "a" * 20},
                "payoutRequest": {"pendingPeriodHours": 24, "automaticReadinessTime": "09:30Z"},
                "paymentForm": {"features": {"showCoupons": ["summary"]}},
                "depositForm": {"theme": {"colorPrimary": "ff0000"}}}
    response = client.post("/websites", website(customFields={"tier": "gold"},
                                                settings=settings, logoId="file_1"))

    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    body = response.get_json()
    assert WEBSITE_ID.match(body["id"])
    assert response.headers["Location"] == f"http://localhost/websites/{body['id']}"
    assert response.headers["X-RateLimit-Remaining"] == "2999"
    assert {key: body[key] for key in website()} == website()
    assert body["customFields"] == {"tier": "gold"}
    assert body["settings"]["amplitude"] == {"tracking": True, "apiKey": "a" * 20}
    assert body["settings"]["paymentForm"]["features"] == {
        "showCoupons": ["summary"], "fullPageRedirect": False,
        "skipRedirectOnPaymentComplete": False, "hideZeroAmountSummaryItems": False}
    assert body["logoId"] == "file_1" and body["logoUrl"] is None
    assert body["organizationId"].startswith("org_")
    assert body["createdTime"] == body["updatedTime"]
    assert body["_links"] == [{"rel": "self", "href": response.headers["Location"]}]
    assert client.get(f"/websites/{body['id']}").get_json() == body


def test_server_owned_members_sent_by_a_client_are_ignored(client):
    body = client.post("/websites", website(id="web_mine", logoUrl="http://x.test/l.png",
                                            createdTime="2000-01-01T00:00:00Z")).get_json()

    assert body["id"] != "web_mine" and body["logoUrl"] is None
    assert body["createdTime"] != "2000-01-01T00:00:00Z"


def test_put_creates_then_replaces(client):
    created = put(client, "web_shop", website())
    assert created.status_code == 201
    assert created.headers["Location"] == "http://localhost/websites/web_shop"

    replaced = put(client, "web_shop", website(name="Renamed", customFields={"a": "b"}))
    assert replaced.status_code == 200
    assert "Location" not in replaced.headers
    assert replaced.headers["X-RateLimit-Remaining"] == "2998"
    body = replaced.get_json()
    assert (body["id"], body["name"], body["customFields"]) == ("web_shop", "Renamed", {"a": "b"})
    assert body["createdTime"] == created.get_json()["createdTime"]
    replaced_again = put(client, "web_shop", website()).get_json()
    assert replaced_again["customFields"] == {}, "PUT replaces: a member left out is reset"
    assert stored(client_app(client), "websites") == 1


def client_app(client):
    return client.client.application


@pytest.mark.parametrize("body, fields", [
    ({}, {"name", "url", "servicePhone", "serviceEmail"}),
    (website(name=5, serviceEmail="not-an-email"), {"name", "serviceEmail"}),
    (website(url=None, servicePhone=["x"]), {"url", "servicePhone"}),
    (website(settings={"amplitude": {"apiKey": "short"}}), {"settings.amplitude.apiKey"}),
    (website(settings={"payoutRequest": {"pendingPeriodHours": 10**30,
                                         "automaticReadinessTime": "25:00"}}),
     {"settings.payoutRequest.pendingPeriodHours",
      "settings.payoutRequest.automaticReadinessTime"}),
    (website(settings={"depositForm": {"theme": {"colorPrimary": "red-ish"}}}),
     {"settings.depositForm.theme.colorPrimary"}),
    (website(settings={"paymentForm": {"features": {"fullPageRedirect": "yes"}}}),
     {"settings.paymentForm.features.fullPageRedirect"}),
    (website(customFields=[1, 2], logoId="x" * 51), {"customFields", "logoId"}),
])
def test_a_bad_body_is_a_422_naming_each_field_and_stores_nothing(app, client, body, fields):
    for response in (client.post("/websites", body), put(client, "web_bad", body)):
        assert response.status_code == 422
        problem = response.get_json()
        assert {entry["field"] for entry in problem["invalidFields"]} == fields
    assert stored(app, "websites") == 0


@pytest.mark.parametrize("body", [[website()], "website", 10**400, None])
def test_a_body_that_is_not_an_object_is_refused(app, client, body):
    response = client.post("/websites", body)

    assert response.status_code in (400, 422)
    assert stored(app, "websites") == 0


def test_a_malformed_id_is_a_422(app, client):
    response = put(client, "x" * 51, website())

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["field"] == "id"
    assert stored(app, "websites") == 0


def test_an_unknown_website_is_a_404(client):
    assert_problem(client.get("/websites/web_none"), 404, "Not Found")
    assert_problem(client.request("DELETE", "/websites/web_none"), 404, "Not Found")


def test_list_pages_sorts_filters_and_searches(client):
    for name in ("Alpha", "Beta", "Gamma"):
        put(client, f"web_{name.lower()}", website(name=name, url=f"{name.lower()}.test"))

    page = client.get("/websites?limit=2&offset=1&sort=createdTime")
    assert page.status_code == 200
    assert (page.headers["Pagination-Total"], page.headers["Pagination-Limit"],
            page.headers["Pagination-Offset"]) == ("3", "2", "1")
    assert [w["id"] for w in page.get_json()] == ["web_beta", "web_gamma"]
    assert page.get_json()[0]["_links"][0]["href"] == "http://localhost/websites/web_beta"
    assert [w["id"] for w in client.get("/websites?filter=name:Gamma").get_json()] == [
        "web_gamma"]
    assert [w["id"] for w in client.get("/websites?q=beta.te").get_json()] == ["web_beta"]


def test_a_bad_list_query_is_a_422(client):
    response = client.get("/websites?sort=name&limit=5000&filter=phone:1")

    assert response.status_code == 422
    assert {entry["field"] for entry in response.get_json()["invalidFields"]} == {
        "sort", "limit", "filter"}


def test_delete_answers_204_and_then_404(client):
    put(client, "web_gone", website())

    response = client.request("DELETE", "/websites/web_gone")
    assert response.status_code == 204
    assert response.data == b""
    assert response.headers["X-RateLimit-Remaining"] == "2998"
    assert client.get("/websites/web_gone").status_code == 404


def test_delete_is_a_409_while_a_customer_names_the_website(app, client):
    put(client, "web_shop", website())
    customer = new_customer(client)  # websiteId web_shop

    problem = assert_problem(client.request("DELETE", "/websites/web_shop"), 409, "Conflict")
    assert customer in problem["detail"]
    assert stored(app, "websites") == 1


def test_delete_is_a_409_while_a_transaction_names_the_website(app, client):
    put(client, "web_sales", website())
    customer = new_customer(client)
    sale = client.post("/transactions", {
        "type": "sale", "websiteId": "web_sales", "customerId": customer, "currency": "USD",
        "amount": 10, "paymentInstruction": card()})
    assert sale.status_code == 201
    [website_link] = [link for link in sale.get_json()["_links"] if link["rel"] == "website"]
    assert website_link["href"] == "http://localhost/websites/web_sales"
    assert client.get(website_link["href"]).status_code == 200

    problem = assert_problem(client.request("DELETE", "/websites/web_sales"), 409, "Conflict")
    assert sale.get_json()["id"] in problem["detail"]


def test_a_customer_links_to_its_website_route(client):
    put(client, "web_shop", website())
    customer = client.get(f"/customers/{new_customer(client)}").get_json()

    assert {"rel": "website", "href": "http://localhost/websites/web_shop"} in customer["_links"]
    embedded = client.get(f"/customers/{customer['id']}?expand=website").get_json()
    assert embedded["_embedded"]["website"]["name"] == "Example Shop"


def test_an_unknown_website_id_on_a_customer_stays_accepted(client):
    response = client.post("/customers", {"websiteId": "web_never_created"})

    assert response.status_code == 201
    assert {"rel": "website", "href": "http://localhost/websites/web_never_created"} in (
        response.get_json()["_links"])


def test_namespaces_are_isolated(app, client):
    put(client, "web_shop", website())
    other = client.with_key(OTHER_KEY)

    assert other.get("/websites/web_shop").status_code == 404
    assert other.get("/websites").get_json() == []
    assert put(other, "web_shop", website(name="Theirs")).status_code == 201
    assert client.get("/websites/web_shop").get_json()["name"] == "Example Shop"
    assert stored(app, "websites", OTHER_KEY) == stored(app, "websites", API_KEY) == 1


def test_the_organization_prefix_serves_the_same_routes(client):
    response = client.post("/organizations/org_1/websites/", website())

    assert response.status_code == 201
    assert response.headers["Location"].startswith("http://localhost/organizations/org_1/websites/")


def test_faults_and_the_request_journal_cover_the_routes(app, client):
    failed = client.post("/websites", website(), headers={"X-Sandbox-Fault": "status=503"})
    assert failed.status_code == 503
    assert stored(app, "websites") == 0
    put(client, "web_shop", website())

    journal = client.get("/__admin/requests").get_json()
    assert [(entry["method"], entry["path"], entry["status"]) for entry in journal][:2] == [
        ("PUT", "/websites/web_shop", 201), ("POST", "/websites", 503)]


def test_fixture_websites_are_served_and_exported_and_snapshots_keep_them(client):
    headers = {"REB-APIKEY": API_KEY}
    flask = client.client
    assert flask.post("/__admin/fixtures/default", headers=headers).status_code == 201
    listed = client.get("/websites").get_json()
    assert [w["name"] for w in listed] == ["Example Store", "Example Outlet"]
    assert listed[0]["servicePhone"] is None, "fixture sets need only an id"

    exported = flask.get("/__admin/export", headers=headers).get_json()
    assert exported["websites"][0] == {"id": "web_0YV7DE4Z26DQSA1AC92FBJ7SEG",
                                       "name": "Example Store", "url": "https://store.example.com",
                                       "customFields": {}}
    assert flask.post("/__admin/snapshots/before", headers=headers).status_code == 201
    put(client, "web_extra", website())
    assert flask.post("/__admin/snapshots/before/restore", headers=headers).status_code == 200
    assert client.get("/websites").headers["Pagination-Total"] == "2"
    assert flask.post("/__admin/reset", headers=headers).status_code == 200
    assert client.get("/websites").get_json() == []
