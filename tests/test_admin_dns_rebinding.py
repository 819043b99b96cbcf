"""A page that makes its own name resolve to 127.0.0.1 (DNS rebinding) is, for the browser, the
sandbox's own origin: the admin API answers a browser only when it came by an address,
localhost, or a name --admin-hosts lists. Test suites, curl and SDKs send no Sec-Fetch-* headers
and are not asked."""

from __future__ import annotations

import pytest
from conftest import API_KEY

from rebilly_sandbox import create_app

BROWSER = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "empty"}
REBOUND = "http://attacker.example:8080"


@pytest.fixture
def app():
    made = create_app({"db": "memory", "admin_hosts": ("sandbox.ci.internal", "*.dev.test")})
    yield made
    made.extensions["sandbox"].close()


def test_a_browser_by_a_rebound_name_cannot_reset_or_read_the_sandbox(app):
    http = app.test_client()

    reset = http.post("/__admin/reset", json={}, base_url=REBOUND,
                      headers={**BROWSER, "Origin": REBOUND})
    journal = http.get("/__admin/requests", base_url=REBOUND,
                       headers={**BROWSER, "REB-APIKEY": API_KEY})
    page = http.get("/__admin/", base_url=REBOUND, headers={**BROWSER, "Sec-Fetch-Mode":
                                                            "navigate"})

    for answer in (reset, journal, page):
        assert answer.status_code == 403
        assert answer.get_json()["status"] == 403
        assert "--admin-hosts" in answer.get_json()["detail"]


@pytest.mark.parametrize("base", ["http://127.0.0.1:8080", "http://localhost:8080",
                                  "http://[::1]:8080", "http://10.0.0.5", "http://app.localhost",
                                  "http://sandbox.ci.internal:8080", "http://x.dev.test"])
def test_a_browser_by_an_address_localhost_or_a_listed_name_is_served(app, base):
    answer = app.test_client().get("/__admin/requests", base_url=base,
                                   headers={**BROWSER, "REB-APIKEY": API_KEY})

    assert answer.status_code == 200


def test_clients_that_are_not_browsers_are_not_asked(app):
    answer = app.test_client().post("/__admin/reset", json={}, base_url=REBOUND)

    assert answer.status_code == 200


def test_the_api_itself_is_not_concerned(app):
    answer = app.test_client().get("/customers", base_url=REBOUND,
                                   headers={**BROWSER, "REB-APIKEY": API_KEY})

    assert answer.status_code == 200
