"""Property-based fuzzing of POST /customers against the served sandbox.

Whatever the document, the answer is a 201 whose customer reads back identically through GET,
or a 4xx problem; never a 5xx, never a hang.
"""

from __future__ import annotations

import pytest
import requests
from conftest import API_KEY, LiveSandbox
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = [pytest.mark.served, pytest.mark.slow]

CUSTOMER_KEYS = ["email", "firstName", "lastName", "websiteId", "locale", "isEddRequired",
                 "personId", "preferredPayoutInstrumentId", "customFields", "notificationEmails",
                 "taxNumbers", "tags", "leadSource", "primaryAddress", "paymentToken",
                 "defaultPaymentInstrumentId", "id", "createdTime", "revision", "_links"]
CONTACT_KEYS = ["firstName", "lastName", "organization", "address", "address2", "city",
                "region", "country", "postalCode", "phoneNumbers", "emails", "dob", "jobTitle"]

json_scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=80))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                           max_leaves=12)
good_text = st.text(st.characters(min_codepoint=32, max_codepoint=0xFFFF,
                                  exclude_categories=("Cs",)), min_size=1, max_size=40)
contacts = st.fixed_dictionaries({}, optional={
    "firstName": good_text, "lastName": good_text, "city": good_text,
    "country": st.sampled_from(["GB", "US", "gb", "USA", ""]),
    "emails": st.lists(st.fixed_dictionaries({"label": good_text, "value": st.emails()}),
                       max_size=2),
    "dob": st.dates().map(str) | good_text,
})
right_keys_wrong_values = st.dictionaries(st.sampled_from(CUSTOMER_KEYS), json_values, max_size=6)
right_keys_right_values = st.fixed_dictionaries({}, optional={
    "email": st.emails(), "firstName": good_text, "locale": st.sampled_from(["en-GB", "fr", "x"]),
    "isEddRequired": st.booleans(), "customFields": st.dictionaries(good_text, json_scalars),
    "primaryAddress": contacts | st.dictionaries(st.sampled_from(CONTACT_KEYS), json_values),
    "tags": st.lists(st.fixed_dictionaries({"name": good_text, "type": st.just("customer")}),
                     max_size=3),
})
wrong_keys_right_values = st.dictionaries(good_text, st.emails() | good_text | st.booleans(),
                                          max_size=5)
documents = right_keys_wrong_values | right_keys_right_values | wrong_keys_right_values


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    sandbox = LiveSandbox(str(tmp_path_factory.mktemp("fuzz") / "db.json"),
                          "--rate-limit", "0", "--no-request-faults").start()
    yield sandbox
    sandbox.stop()


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(document=documents)
def test_a_customer_document_is_stored_whole_or_refused_with_a_4xx(server, document):
    session = requests.Session()
    response = session.post(f"{server.url}/customers", json=document,
                            headers={"REB-APIKEY": API_KEY}, timeout=30)

    assert response.status_code < 500, response.text
    assert response.headers["Content-Type"] == "application/json"
    if response.status_code == 201:
        created = response.json()
        fetched = session.get(f"{server.url}/customers/{created['id']}",
                              headers={"REB-APIKEY": API_KEY}, timeout=30)
        assert fetched.status_code == 200
        assert fetched.json() == created
    else:
        problem = response.json()
        assert 400 <= problem["status"] < 500 and problem["status"] == response.status_code
        assert problem["detail"]
