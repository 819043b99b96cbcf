"""Wire details and list edges: bodiless 204s, Retry-After on a 429, the start-up line, dates at
the end of the calendar, malformed sort keys, magic emails in a billing address, and journal
timings and dashboard colours for answers a network fault cut."""

from __future__ import annotations

import pytest
import requests
from helpers import API_KEY, LiveSandbox

CARD = {"pan": "4111111111111111", "cvv": "123", "expMonth": 12, "expYear": 2030}


# -- 204 and 429 ------------------------------------------------------------------------------

def test_a_204_names_no_content_type(client):
    customer = client.post("/customers", {}).get_json()
    other = client.post("/customers", {}).get_json()

    merged = client.request("DELETE", f"/customers/{customer['id']}?targetCustomerId={other['id']}")
    rule = client.post("/__admin/faults", {"status": 503, "match": {"path": "/tokens"}})
    deleted = client.request("DELETE", f"/__admin/faults/{rule.get_json()['id']}")

    for response in (merged, deleted):
        assert response.status_code == 204
        assert "Content-Type" not in response.headers


@pytest.mark.parametrize("app_config", [{"rate_limit": 1, "rate_window": 600}])
def test_a_429_carries_retry_after_in_seconds(client):
    assert client.post("/customers", {}).status_code == 201

    refused = client.post("/customers", {})

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 600
    assert int(refused.headers["X-RateLimit-Retry-After"]) > 1_000_000_000  # still Unix time


# -- list parameters --------------------------------------------------------------------------

@pytest.mark.parametrize("clause", ["createdTime:..9999-12-31", "createdTime:9999-12-31",
                                    "createdTime:0001-01-01..9999-12-31",
                                    "createdTime:..9999-12-31T23:59:59Z"])
def test_every_valid_date_is_a_filter_bound(client, clause):
    client.post("/customers", {})

    response = client.get(f"/customers?filter={clause}")

    assert response.status_code == 200, response.get_data(as_text=True)
    expected = 0 if clause == "createdTime:9999-12-31" else 1
    assert len(response.get_json()) == expected


@pytest.mark.parametrize("sort", ["--email", "-%2Bemail", "%2B-email", "-", "--"])
def test_a_sort_key_takes_one_sign_at_most(client, sort):
    response = client.get(f"/customers?sort={sort}")

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["field"] == "sort"


@pytest.mark.parametrize("sort", ["-email", "email", "%2Bemail", "+email"])
def test_a_sort_key_with_one_sign_is_accepted(client, sort):
    assert client.get(f"/customers?sort={sort}").status_code == 200


# -- magic emails in a billing address --------------------------------------------------------

def test_a_magic_email_in_a_tokens_billing_address_fires(client):
    token = {"method": "payment-card", "paymentInstrument": CARD,
             "billingAddress": {"firstName": "Ada", "emails": [
                 {"label": "main", "value": "fault.status.503@example.com"}]}}

    response = client.with_key(None).post("/tokens", token, headers={
        "Authorization": API_KEY.replace("sk_", "pk_", 1)})

    assert response.status_code == 503
    entry = client.get("/__admin/requests").get_json()[0]
    assert entry["fault"]["source"] == "email"
    assert entry["stored"] is False


# -- journal timings and the dashboard --------------------------------------------------------

def test_a_delay_is_in_the_journaled_duration(client):
    client.post("/customers", {}, headers={"X-Sandbox-Fault": "delay=300"})

    assert client.get("/__admin/requests").get_json()[0]["durationMs"] >= 300


@pytest.fixture
def served():
    sandbox = LiveSandbox("memory").start()
    yield sandbox
    sandbox.stop()


def test_a_hang_is_journaled_for_as_long_as_the_client_waited(served):
    rule = served.post("/__admin/faults", {"network": "hang", "hangSeconds": 1,
                                           "match": {"path": "/customers"}, "times": 1})
    assert rule.status_code == 201

    with pytest.raises(requests.ConnectionError):
        served.post("/customers", {})

    entry = served.get("/__admin/requests").json()[0]
    assert entry["fault"]["action"] == "network hang"
    assert entry["durationMs"] >= 1000


def test_the_start_up_line_names_the_store_once():
    output = LiveSandbox("memory").start().stop()

    assert "(store: memory)" in output
    assert "memory memory" not in output


def test_the_dashboard_shows_a_truncated_answer_as_cut_not_as_created(app, client):
    client.post("/customers", {}, headers={"X-Sandbox-Fault": "network=truncate"})
    client.post("/customers", {})
    namespace = app.extensions["sandbox"].namespace_for(API_KEY).id

    page = app.test_client().get(f"/__admin/?namespace={namespace}").get_data(as_text=True)
    journal = page[page.index('id="requests"'):page.index('id="faults"')]

    assert '<span class="pill status-network">201 cut</span>' in journal
    assert journal.count('<span class="pill status-2xx">201</span>') == 1
