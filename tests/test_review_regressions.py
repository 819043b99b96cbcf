"""Inputs that once produced a 500, or behaviour that once disagreed with the README."""

from __future__ import annotations

import json

import pytest
from conftest import API_KEY

from rebilly_sandbox import create_app
from rebilly_sandbox.config import ConfigError


@pytest.mark.parametrize("method, path", [
    ("PUT", "/organizations/x%0Ay/customers/abc"),
    ("POST", "/organizations/x%0d%0aSet-Cookie:%20a=b/customers"),
    ("POST", "/organizations/x%0Ay/tokens"),
    ("POST", "/organizations/" + "o" * 51 + "/customers"),
    ("POST", "/organizations/%E2%82%AC/customers"),
])
def test_impossible_organization_ids_are_a_404_and_store_nothing(app, client, method, path):
    response = client.request(method, path, json={})

    assert response.status_code == 404
    assert response.get_json()["status"] == 404
    assert [ns for ns in app.extensions["sandbox"].store.namespaces() if ns.startswith("ns_")] == []


@pytest.mark.parametrize("header", ["delay=5;afterCommit=true", "status=101", "status=204",
                                    "status=304"])
def test_fault_headers_that_cannot_answer_are_a_400(client, header):
    assert client.post("/customers", {}, headers={"X-Sandbox-Fault": header}).status_code == 400


@pytest.mark.parametrize("header, status", [("status=599", 599), ("status=499", 499)])
def test_unnamed_statuses_get_a_generic_title(client, header, status):
    response = client.post("/customers", {}, headers={"X-Sandbox-Fault": header})

    assert response.status_code == status
    assert response.get_json()["title"] == "Error"


def test_a_magic_email_without_an_answer_is_an_ordinary_create(client):
    response = client.post("/customers", {"email": "fault.aftercommit.delay.5@example.com"})

    assert response.status_code == 201


@pytest.mark.parametrize("emails", [5, True, "x", {"a": 1}])
def test_odd_emails_next_to_a_fault_looking_address_are_a_422(client, emails):
    response = client.post("/customers", {"email": "fault.x@example.com",
                                          "primaryAddress": {"emails": emails}})

    assert response.status_code == 422


@pytest.mark.parametrize("headers, field", [
    ({"X-A": "a\r\nb"}, "headers"), ({"X-U": "€"}, "headers"), ({"Bad Name:": "x"}, "headers"),
    ({"Content-Length": "5"}, "headers"),
])
def test_fault_rule_headers_are_checked(app, headers, field):
    response = app.test_client().post("/__admin/faults", headers={"REB-APIKEY": API_KEY},
                                      json={"status": 503, "headers": headers})

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["field"].startswith(field)


def test_a_get_under_an_after_commit_rule_is_not_marked_stored(app, client):
    admin = app.test_client()
    admin.post("/__admin/faults", headers={"REB-APIKEY": API_KEY},
               json={"match": {"method": "GET"}, "status": 503, "afterCommit": True})

    assert client.get("/customers").status_code == 503
    entry = admin.get("/__admin/requests", headers={"REB-APIKEY": API_KEY}).get_json()[0]
    assert entry["stored"] is False


@pytest.mark.parametrize("query", ["limit=" + "0" * 5000, "filter=paymentCount:" + "1" * 5000,
                                   "filter=createdTime:10000-01-01"])
def test_extreme_list_parameters_are_a_422(client, query):
    assert client.get(f"/customers?{query}").status_code == 422


@pytest.mark.parametrize("body", [
    {"action": "freeze", "time": "9999-12-31T23:59:00Z"},
    {"action": "set", "time": "0001-01-01T00:00:00Z"},
    {"action": "advance", "seconds": 315_360_000},
    {"action": "advance", "seconds": -315_360_000},
])
def test_the_clock_stays_where_dates_can_be_computed(app, body):
    admin = app.test_client()
    headers = {"REB-APIKEY": API_KEY}
    start = "8999-06-01T00:00:00Z" if body.get("seconds", 0) > 0 else "1971-01-01T00:00:00Z"
    assert admin.post("/__admin/clock", json={"action": "freeze", "time": start},
                      headers=headers).status_code == 200

    response = admin.post("/__admin/clock", json=body, headers=headers)

    assert response.status_code == 422
    assert admin.post("/tokens", headers=headers, json={
        "method": "payment-card", "paymentInstrument": {
            "pan": "4111111111111111", "expMonth": 1, "expYear": 2030}}).status_code == 201


def test_card_numbers_and_cvvs_never_reach_the_journal(app, client):
    client.post("/tokens", {"method": "payment-card", "paymentInstrument": {
        "pan": "4111111111111111", "cvv": "123", "expMonth": 1, "expYear": 2030}})

    entries = app.test_client().get("/__admin/requests", headers={"REB-APIKEY": API_KEY})
    text = json.dumps(entries.get_json())
    assert "4111111111111111" not in text and '\\"123\\"' not in text
    assert "************1111" in text


@pytest.mark.parametrize("app_config", [{"api_keys": ("sk_sandbox_only_this_one",)}])
def test_publishable_keys_obey_the_key_list(app, app_config):
    body = {"method": "payment-card", "paymentInstrument": {
        "pan": "4111111111111111", "expMonth": 1, "expYear": 2030}}
    client = app.test_client()

    assert client.post("/tokens", json=body, headers={
        "Authorization": "pk_sandbox_anything_else"}).status_code == 401
    assert client.post("/tokens", json=body, headers={
        "Authorization": "pk_sandbox_only_this_one"}).status_code == 201


def test_an_unknown_start_up_fixture_set_is_refused_at_start():
    with pytest.raises(ConfigError, match="no set named 'nope'"):
        create_app({"db": "memory", "fixtures": "nope"})


def test_an_unknown_log_level_is_refused():
    with pytest.raises(ConfigError, match="log_level"):
        create_app({"db": "memory", "log_level": "verbose"})


def test_doubled_slashes_are_a_problem_not_a_redirect(client):
    response = client.post("/customers//", {})

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("section", [{}, 0, False, "x"])
def test_fixture_sections_must_be_lists(app, section):
    response = app.test_client().post("/__admin/fixtures", json={"customers": section},
                                      headers={"REB-APIKEY": API_KEY})

    assert response.status_code == 422


def test_keyless_fault_clearing_touches_global_rules_only(app):
    admin = app.test_client()
    admin.post("/__admin/faults", headers={"REB-APIKEY": API_KEY}, json={"status": 503})
    admin.post("/__admin/faults", json={"status": 504, "global": True})

    assert admin.delete("/__admin/faults").get_json() == {"removed": 1}
    rules = admin.get("/__admin/faults", headers={"REB-APIKEY": API_KEY}).get_json()
    assert [rule["status"] for rule in rules] == [503]


def test_rule_paths_only_know_the_star(app, client):
    admin = app.test_client()
    admin.post("/__admin/faults", headers={"REB-APIKEY": API_KEY},
               json={"match": {"path": "/customers/[abc]"}, "status": 503})

    assert client.get("/customers/a").status_code == 404, "brackets are literal"
    assert client.get("/customers/[abc]").status_code == 503
