"""Links are made from each request's own host and scheme, also once the root URL of a host has
been worked out before (it is remembered per host, not per server)."""

from __future__ import annotations

from rebilly_sandbox.api import routing

BODY = {"email": "ada@example.com"}
HEADERS = {"REB-APIKEY": "sk_sandbox_root_url"}


def test_each_host_gets_links_to_itself_however_often_it_calls(app):
    http = app.test_client()
    locations = [
        http.post("/customers", json=BODY, headers=HEADERS, base_url=base).headers["Location"]
        for base in ("http://a.example:8080", "https://b.example", "http://a.example:8080",
                     "http://a.example:8080/prefix")]

    assert locations[0].startswith("http://a.example:8080/customers/cus_")
    assert locations[1].startswith("https://b.example/customers/cus_")
    assert locations[2].startswith("http://a.example:8080/customers/cus_")
    assert locations[3].startswith("http://a.example:8080/prefix/customers/cus_")


def test_the_remembered_root_urls_stay_bounded_under_endless_hosts(app):
    http = app.test_client()
    for number in range(routing._MAX_ROOT_URLS + 20):
        response = http.post("/customers", json=BODY, headers=HEADERS,
                             base_url=f"http://host{number}.example")
        assert response.headers["Location"].startswith(f"http://host{number}.example/")

    assert 0 < len(routing._ROOT_URLS) <= routing._MAX_ROOT_URLS
