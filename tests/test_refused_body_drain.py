"""A body over --max-body-bytes is answered 413, and clients that send the whole body before
they read (Python's urllib and requests, most SDKs) see that answer rather than a reset: the
server reads and drops the rest of the body, up to a bound, before it closes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import requests

from rebilly_sandbox.testing import LiveServer, new_api_key

pytestmark = pytest.mark.served

KEY = new_api_key()
BIG = json.dumps({"email": "big@example.com", "customFields": {"note": "x" * 12_000_000}})


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with LiveServer({"max_body_bytes": 64 * 1024}) as live:
        yield live.url


def test_requests_sees_the_413_of_a_body_over_the_limit(url):
    answer = requests.post(f"{url}/customers", data=BIG, timeout=30,
                           headers={"REB-APIKEY": KEY, "Content-Type": "application/json"})

    assert answer.status_code == 413
    assert answer.headers["Content-Type"].startswith("application/")
    assert answer.json()["status"] == 413 and answer.json()["detail"]


def test_urllib_sees_the_413_of_a_body_over_the_limit(url):
    request = urllib.request.Request(f"{url}/customers", data=BIG.encode(), method="POST",
                                     headers={"REB-APIKEY": KEY,
                                              "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)

    assert refused.value.code == 413
    assert json.loads(refused.value.read())["status"] == 413


def test_nothing_was_stored_and_the_server_goes_on(url):
    listed = requests.get(f"{url}/customers", headers={"REB-APIKEY": KEY}, timeout=10)

    assert listed.status_code == 200 and listed.json() == []
