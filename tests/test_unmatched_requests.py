"""Requests no route takes (404, 405) are journaled and shown like any other request, and a fault
rule whose path no route takes says so when it is made."""

from __future__ import annotations

import pytest
from helpers import API_KEY, OTHER_KEY

pytest_plugins = ["pytester"]


def journal(client, key: str = API_KEY) -> list[dict]:
    response = client.with_key(key).get("/__admin/requests")
    assert response.status_code == 200
    return response.get_json()


def test_a_404_with_a_credential_is_journaled_under_its_namespace(client):
    response = client.post("/payment-method", {"method": "payment-card"})
    assert response.status_code == 404

    entries = journal(client)

    assert [(entry["method"], entry["path"], entry["status"]) for entry in entries] == [
        ("POST", "/payment-method", 404)]
    assert '"payment-card"' in entries[0]["body"]
    assert journal(client, OTHER_KEY) == []


def test_a_405_is_journaled_with_its_method(client):
    assert client.request("PATCH", "/customers").status_code == 405

    assert [(entry["method"], entry["status"]) for entry in journal(client)] == [("PATCH", 405)]


def test_a_404_under_an_organization_prefix_and_with_a_publishable_key_is_journaled(client):
    publishable = API_KEY.replace("sk_", "pk_", 1)
    client.get("/organizations/org_1/web-sites/web_1")
    client.with_key(None).get("/nothing", headers={"Authorization": publishable})

    assert [entry["path"] for entry in journal(client)] == [
        "/nothing", "/organizations/org_1/web-sites/web_1"]


@pytest.mark.parametrize("headers", [{}, {"REB-APIKEY": "sk_live_0123456789"}])
def test_a_404_without_a_usable_credential_is_answered_and_journaled_nowhere(app, client,
                                                                              headers):
    response = client.with_key(None).get("/nothing", headers=headers)

    assert response.status_code == 404
    assert response.get_json()["status"] == 404
    assert journal(client) == []


def test_admin_404s_are_not_journaled(client):
    assert client.get("/__admin/nothing").status_code == 404

    assert journal(client) == []


def test_the_dashboard_shows_a_404(app, client):
    client.get("/web-sites/web_1")
    namespace = app.extensions["sandbox"].namespace_for(API_KEY).id

    page = app.test_client().get(f"/__admin/?namespace={namespace}").get_data(as_text=True)
    requests_section = page[page.index('id="requests"'):page.index('id="faults"')]

    assert "/web-sites/web_1" in requests_section
    assert '<span class="pill status-4xx">404</span>' in requests_section


@pytest.mark.parametrize("match", [
    {"path": "/payment-methods"},
    {"path": "/customers", "method": "PATCH"},
    {"path": "/organizations/org_1/nothing/here"},
])
def test_a_fault_rule_no_route_can_take_is_made_with_a_warning(client, match):
    response = client.post("/__admin/faults", {"match": match, "status": 503})

    assert response.status_code == 201
    assert "can never fire" in response.get_json()["warning"]
    assert match["path"] in response.get_json()["warning"]


@pytest.mark.parametrize("match", [
    {"path": "/customers"},
    {"path": "/customers/"},
    {"path": "/customers/cus_1", "method": "PUT"},
    {"path": "/organizations/org_1/tokens", "method": "POST"},
    {"path": "/customers/*"},
    {"method": "POST"},
])
def test_a_fault_rule_a_route_takes_has_no_warning(client, match):
    response = client.post("/__admin/faults", {"match": match, "status": 503})

    assert response.status_code == 201
    assert "warning" not in response.get_json()


def test_a_failing_tests_report_lists_its_404(pytester):
    pytester.makepyfile("""
import requests

def test_fails(sandbox):
    requests.post(f"{sandbox.url}/payment-method", json={"method": "payment-card"},
                  headers=sandbox.headers, timeout=5)
    assert False, "the checkout broke"
""")

    result = pytester.runpytest("-p", "no:randomly")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*- rebilly-sandbox requests -*",
                                 "POST /payment-method -> 404*"])
