"""Webhook registration: service credentials and webhooks, at the paths the JS SDK calls."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import OTHER_KEY, assert_problem

CREDENTIAL = {"host": "hooks.example.com",
              "auth": {"type": "basic", "username": "shop", "password": "s3cret"}}


def webhook(**changes: Any) -> dict[str, Any]:
    return {"method": "POST", "url": "https://hooks.example.com/rebilly",
            "credentialHash": "crd_anything", **changes}


def fields_of(response) -> set[str]:
    assert response.status_code == 422
    return {entry["field"] for entry in response.get_json()["invalidFields"]}


# -- service credentials ------------------------------------------------------------------------

def test_a_credential_is_created_read_and_listed_without_its_password(client):
    created = client.post("/service-credentials/webhook", {**CREDENTIAL, "type": "webhook"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["id"].startswith("crd_") and body["hash"] == body["id"]
    assert body["auth"] == {"type": "basic", "username": "shop"}
    assert (body["host"], body["status"], body["type"]) == ("hooks.example.com", "active",
                                                            "webhook")
    assert created.headers["Location"].endswith(f"/service-credentials/webhook/{body['id']}")

    read = client.get(f"/service-credentials/webhook/{body['id']}")
    assert read.status_code == 200 and read.get_json() == body
    listed = client.get("/service-credentials/webhook?limit=10")
    assert listed.get_json() == [body] and listed.headers["Pagination-Total"] == "1"
    for response in (created, read, listed):
        assert b"s3cret" not in response.data


def test_an_identical_credential_is_a_303_to_the_first_and_a_different_one_is_new(client):
    first = client.post("/service-credentials/webhook", CREDENTIAL).get_json()
    again = client.post("/service-credentials/webhook",
                        {**CREDENTIAL, "host": "HOOKS.example.com"})
    assert again.status_code == 303
    assert again.headers["Location"].endswith(first["id"])
    other = client.post("/service-credentials/webhook",
                        {**CREDENTIAL, "auth": {**CREDENTIAL["auth"], "password": "other"}})
    assert other.status_code == 201 and other.get_json()["id"] != first["id"]


@pytest.mark.parametrize("body, field", [
    ({"auth": {"type": "none"}}, "host"),
    ({"host": "bad host/", "auth": {"type": "none"}}, "host"),
    ({"host": "h.example"}, "auth"),
    ({"host": "h.example", "auth": {"type": "oauth"}}, "auth.type"),
    ({"host": "h.example", "auth": {"type": "digest", "username": "u"}}, "auth.password"),
    ({"host": None, "auth": {"type": "none"}}, "host"),
    ({"host": "h.example", "auth": {"type": "none"}, "type": "email"}, "type"),
])
def test_a_bad_credential_is_a_422_naming_the_field(client, body, field):
    assert field in fields_of(client.post("/service-credentials/webhook", body))


def test_an_unknown_credential_is_a_404(client):
    assert_problem(client.get("/service-credentials/webhook/crd_nope"), 404)


# -- webhooks -------------------------------------------------------------------------------------

def test_post_with_the_sdk_trailing_slash_creates_a_webhook_with_its_defaults(client):
    created = client.post("/webhooks/", webhook())
    assert created.status_code == 201
    body = created.get_json()
    assert body["id"].startswith("hook_")
    assert created.headers["Location"].endswith(f"/webhooks/{body['id']}")
    assert {key: body[key] for key in ("eventsFilter", "status", "headers", "body", "filter")} \
        == {"eventsFilter": [], "status": "active", "headers": [], "body": None, "filter": None}
    assert body["_links"] == [{"rel": "self", "href": created.headers["Location"]}]
    assert client.get(f"/webhooks/{body['id']}").get_json() == body


def test_put_creates_then_replaces_keeping_created_time(client):
    created = client.request("PUT", "/webhooks/hook-orders",
                             json=webhook(eventsFilter=["transaction-processed"]))
    assert created.status_code == 201
    replaced = client.request("PUT", "/webhooks/hook-orders", json=webhook(
        status="inactive", headers=[{"name": "X-Shop-Secret", "value": "abc"}]))
    assert replaced.status_code == 200
    body = replaced.get_json()
    assert body["createdTime"] == created.get_json()["createdTime"]
    assert body["eventsFilter"] == [] and body["status"] == "inactive"
    assert body["headers"] == [{"name": "X-Shop-Secret", "value": "abc", "status": "active"}]


def test_delete_removes_a_webhook_and_a_second_delete_is_a_404(client):
    hook_id = client.post("/webhooks", webhook()).get_json()["id"]
    assert client.request("DELETE", f"/webhooks/{hook_id}").status_code == 204
    assert_problem(client.get(f"/webhooks/{hook_id}"), 404)
    assert_problem(client.request("DELETE", f"/webhooks/{hook_id}"), 404)


def test_the_list_pages_and_filters_and_ignores_sort_and_q(client):
    for status in ("active", "inactive", "active"):
        client.post("/webhooks", webhook(status=status))
    page = client.get("/webhooks?limit=1&offset=1&sort=-id&q=nothing")
    assert page.status_code == 200 and len(page.get_json()) == 1
    assert (page.headers["Pagination-Total"], page.headers["Pagination-Limit"],
            page.headers["Pagination-Offset"]) == ("3", "1", "1")
    inactive = client.get("/webhooks?filter=status:inactive").get_json()
    assert [hook["status"] for hook in inactive] == ["inactive"]
    assert "filter" in fields_of(client.get("/webhooks?filter=colour:red"))


@pytest.mark.parametrize("body, field", [
    ({"url": "https://h.example/x", "credentialHash": "c"}, "method"),
    (webhook(method="TRACE"), "method"),
    (webhook(url="ftp://h.example/x"), "url"),
    (webhook(url=None), "url"),
    (webhook(credentialHash=""), "credentialHash"),
    (webhook(credentialHash="c" * 51), "credentialHash"),
    (webhook(eventsFilter=["order-abandon-reminder"]), "eventsFilter.0"),
    (webhook(eventsFilter=None), "eventsFilter"),
    (webhook(status="paused"), "status"),
    (webhook(headers=[{"name": "Bad Name", "value": "v"}]), "headers.0.name"),
    (webhook(headers=[{"name": "X-A", "value": "a\r\nX-B: b"}]), "headers.0.value"),
    (webhook(filter="nosuchfield:1"), "filter"),
    (webhook(eventsFilter=["customer-created"], filter="result:approved"), "filter"),
])
def test_a_bad_webhook_is_a_422_naming_the_field(client, body, field):
    assert field in fields_of(client.post("/webhooks", body))
    assert client.get("/webhooks").get_json() == []


def test_nullable_body_and_filter_take_null(client):
    created = client.post("/webhooks", webhook(body=None, filter=None))
    assert created.status_code == 201


def test_the_26th_active_webhook_is_refused_by_post_put_and_reactivation(client):
    for _ in range(25):
        assert client.post("/webhooks", webhook()).status_code == 201
    refused = client.post("/webhooks", webhook())
    assert "status" in fields_of(refused)
    assert "25" in refused.get_json()["invalidFields"][0]["message"]
    assert "status" in fields_of(client.request("PUT", "/webhooks/hook-26", json=webhook()))
    assert client.request("PUT", "/webhooks/hook-26",
                          json=webhook(status="inactive")).status_code == 201
    assert "status" in fields_of(client.request("PUT", "/webhooks/hook-26", json=webhook()))
    some_active = client.get("/webhooks?limit=1").get_json()[0]["id"]
    # Replacing one of the 25 active ones keeps the count: allowed.
    assert client.request("PUT", f"/webhooks/{some_active}", json=webhook()).status_code == 200


def test_another_namespace_never_sees_the_webhooks_or_credentials(client):
    hook_id = client.post("/webhooks", webhook()).get_json()["id"]
    credential_id = client.post("/service-credentials/webhook", CREDENTIAL).get_json()["id"]
    other = client.with_key(OTHER_KEY)
    assert other.get("/webhooks").get_json() == []
    assert_problem(other.get(f"/webhooks/{hook_id}"), 404)
    assert_problem(other.request("DELETE", f"/webhooks/{hook_id}"), 404)
    assert_problem(other.get(f"/service-credentials/webhook/{credential_id}"), 404)
    assert other.get("/service-credentials/webhook").get_json() == []


def test_routes_are_served_under_an_organization_prefix(client):
    created = client.post("/organizations/org-1/webhooks", webhook())
    assert created.status_code == 201
    assert "/organizations/org-1/webhooks/" in created.headers["Location"]


def test_the_request_journal_never_keeps_a_credential_password(app, client):
    client.post("/service-credentials/webhook", CREDENTIAL)
    state = app.extensions["sandbox"]
    namespace = state.namespace_for(client.key).id
    [entry] = state.journal.entries(namespace)
    assert "s3cret" not in str(entry)
    assert '"***"' in str(entry["body"])
