"""Requests that could cost the one server process seconds are bounded: sort keys, filter terms,
``q``, ``fields`` and tags per request. Each bound is a 422 naming the parameter above it and an
answer at it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from rebilly_sandbox.resources import CUSTOMERS
from rebilly_sandbox.schemas import list_query as listing
from rebilly_sandbox.schemas.contact import MAX_CONTACT_ITEMS
from rebilly_sandbox.schemas.customer import MAX_LIST_ITEMS, MAX_TAGS

START = datetime(2024, 1, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"rate_limit": "0"}


def invalid_fields(response) -> list[str]:
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["status"] == 422 and body["title"]
    return [entry["field"] for entry in body["invalidFields"]]


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [customer["id"] for customer in response.get_json()]


@pytest.fixture
def daily_customers(app, client) -> list[dict[str, Any]]:
    """Six customers a day apart, with repeating first names to give sorts ties to break."""
    clock = app.extensions["sandbox"].clock
    clock.freeze(START)
    created = []
    for first, email in [("Ann", "f@x.io"), ("Bob", "e@x.io"), ("Ann", "d@x.io"),
                         ("Cid", "c@x.io"), ("Bob", "b@x.io"), (None, "a@x.io")]:
        response = client.post("/customers", {"email": email, "firstName": first})
        assert response.status_code == 201, response.get_json()
        created.append(response.get_json())
        clock.advance(timedelta(days=1))
    return created


# -- sort ---------------------------------------------------------------------------------------


def test_a_field_repeated_thousands_of_times_sorts_as_once(client, daily_customers):
    repeated = ",".join(["-email"] * 2600)
    once = ids(client.get("/customers?sort=-email"))
    assert ids(client.get(f"/customers?sort={repeated}")) == once


def test_a_repeated_field_keeps_its_first_direction(client, daily_customers):
    first_direction = ids(client.get("/customers?sort=email"))
    assert ids(client.get("/customers?sort=email,-email")) == first_direction


def test_more_sort_fields_than_the_cap_is_a_422_on_sort(client, daily_customers):
    fields = list(CUSTOMERS.sortable)[:listing.MAX_SORT_KEYS + 1]
    assert invalid_fields(client.get(f"/customers?sort={','.join(fields)}")) == ["sort"]


def test_sort_at_the_cap_is_answered(client, daily_customers):
    fields = list(CUSTOMERS.sortable)[:listing.MAX_SORT_KEYS]
    assert len(ids(client.get(f"/customers?sort={','.join(fields)}"))) == len(daily_customers)


def test_mixed_direction_keys_sort_together_with_missing_values_at_the_ends(
        client, daily_customers):
    by_id = {customer["id"]: customer for customer in daily_customers}
    ascending = [(by_id[i]["firstName"], by_id[i]["email"])
                 for i in ids(client.get("/customers?sort=firstName,-createdTime"))]
    assert ascending == [(None, "a@x.io"), ("Ann", "d@x.io"), ("Ann", "f@x.io"),
                         ("Bob", "b@x.io"), ("Bob", "e@x.io"), ("Cid", "c@x.io")]
    descending = [(by_id[i]["firstName"], by_id[i]["email"])
                  for i in ids(client.get("/customers?sort=-firstName,email"))]
    assert descending == [("Cid", "c@x.io"), ("Bob", "b@x.io"), ("Bob", "e@x.io"),
                          ("Ann", "d@x.io"), ("Ann", "f@x.io"), (None, "a@x.io")]


def test_full_ties_keep_insertion_order(client, daily_customers):
    expected = [customer["id"] for customer in daily_customers]
    assert ids(client.get("/customers?sort=paymentCount,invoiceCount")) == expected


# -- filter, q, fields -------------------------------------------------------------------------


def test_more_filter_clauses_than_the_cap_is_a_422_on_filter(client):
    clauses = ";".join(["email:a@x.io"] * (listing.MAX_FILTER_CLAUSES + 1))
    assert invalid_fields(client.get(f"/customers?filter={clauses}")) == ["filter"]


def test_filter_clauses_at_the_cap_are_answered(client, daily_customers):
    clauses = ";".join(["email:a@x.io,b@x.io"] * listing.MAX_FILTER_CLAUSES)
    assert len(ids(client.get(f"/customers?filter={clauses}"))) == 2


def test_more_filter_values_than_the_cap_is_a_422_on_filter(client):
    values = ",".join(f"{n}@x.io" for n in range(listing.MAX_FILTER_VALUES + 1))
    assert invalid_fields(client.get(f"/customers?filter=email:{values}")) == ["filter"]


def test_filter_values_at_the_cap_are_answered(client, daily_customers):
    values = ",".join(["a@x.io", "c@x.io"] + [f"{n}@x.io" for n in range(
        listing.MAX_FILTER_VALUES - 2)])
    assert len(ids(client.get(f"/customers?filter=email:{values}"))) == 2


def test_many_ranges_on_one_field_match_as_each_would(client, daily_customers):
    """Closed, overlapping, empty and open-ended ranges together; days 0..5 from START."""
    day = [customer["createdTime"][:10] for customer in daily_customers]
    ranges = [f"..{day[0]}", f"{day[2]}..{day[2]}", f"{day[3]}..{day[1]}",  # the last one is empty
              f"{day[2]}..{day[3]}", f"{day[5]}.."]
    expected = [daily_customers[n]["id"] for n in (0, 2, 3, 5)]
    assert ids(client.get(f"/customers?filter=createdTime:{','.join(ranges)}")) == expected
    excluded = [daily_customers[n]["id"] for n in (1, 4)]
    assert ids(client.get(f"/customers?filter=createdTime:!{','.join(ranges)}")) == excluded


def test_clauses_on_one_field_all_apply(client, daily_customers):
    day = [customer["createdTime"][:10] for customer in daily_customers]
    query = f"createdTime:{day[1]}..;createdTime:..{day[3]};createdTime:!{day[2]}"
    assert ids(client.get(f"/customers?filter={query}")) == [
        daily_customers[1]["id"], daily_customers[3]["id"]]


def test_q_longer_than_the_cap_is_a_422_on_q(client):
    assert invalid_fields(client.get(f"/customers?q={'a' * (listing.MAX_Q_LENGTH + 1)}")) == ["q"]


def test_q_at_the_cap_is_answered(client, daily_customers):
    assert ids(client.get(f"/customers?q={'a' * listing.MAX_Q_LENGTH}")) == []


def test_more_fields_than_the_cap_is_a_422_on_fields(client):
    names = ",".join(f"f{n}" for n in range(listing.MAX_FIELDS + 1))
    assert invalid_fields(client.get(f"/customers?fields={names}")) == ["fields"]


def test_fields_at_the_cap_are_answered(client, daily_customers):
    names = ",".join(["email"] + [f"f{n}" for n in range(listing.MAX_FIELDS - 1)])
    response = client.get(f"/customers?fields={names}")
    assert response.status_code == 200
    assert all(set(body) == {"id", "email"} for body in response.get_json())


# -- tags ---------------------------------------------------------------------------------------


def tag_list(count: int, prefix: str = "t") -> list[dict[str, str]]:
    return [{"name": f"{prefix}{n}", "type": "customer"} for n in range(count)]


@pytest.mark.parametrize("count", [MAX_TAGS + 1, 12000])
def test_more_tags_than_the_cap_is_a_422_on_tags(client, count):
    response = client.post("/customers", {"tags": tag_list(count)})
    assert invalid_fields(response) == ["tags"]
    replaced = client.request("PUT", "/customers/too-many", json={"tags": tag_list(count)})
    assert invalid_fields(replaced) == ["tags"]


def test_tags_at_the_cap_are_stored_and_reused_by_name(client):
    first = client.post("/customers", {"tags": tag_list(MAX_TAGS)})
    assert first.status_code == 201, first.get_json()
    first_ids = {tag["name"].casefold(): tag["id"] for tag in first.get_json()["tags"]}
    assert len(first_ids) == MAX_TAGS

    second = client.post("/customers", {"tags": tag_list(MAX_TAGS // 2, "T")
                                        + tag_list(MAX_TAGS // 2, "new")})
    assert second.status_code == 201, second.get_json()
    tags = second.get_json()["tags"]
    assert [tag["name"] for tag in tags[:MAX_TAGS // 2]] == [f"t{n}" for n in range(MAX_TAGS // 2)]
    assert all(tag["id"] == first_ids[tag["name"].casefold()] for tag in tags[:MAX_TAGS // 2])
    assert not {tag["id"] for tag in tags[MAX_TAGS // 2:]} & set(first_ids.values())


def test_a_name_repeated_in_one_request_makes_one_tag(client):
    response = client.post("/customers", {"tags": [{"name": "VIP", "type": "customer"},
                                                   {"name": "vip", "type": "customer"}]})
    assert response.status_code == 201
    assert [tag["name"] for tag in response.get_json()["tags"]] == ["VIP"]


def test_the_openapi_document_states_the_tag_bound():
    from rebilly_sandbox.openapi import build_spec

    tags = build_spec()["components"]["schemas"]["Customer"]["properties"]["tags"]
    assert tags["maxItems"] == MAX_TAGS


# -- other lists of a customer or token write -------------------------------------------------

EMAIL = {"label": "main", "value": "ann@example.com"}
PHONE = {"label": "main", "value": "+1 555 0100"}
TAX_NUMBER = {"type": "other", "value": "123"}
TOKEN = {"method": "payment-card",
         "paymentInstrument": {"pan": "4111111111111111", "expMonth": 1, "expYear": 2030}}

LISTS = {
    "primaryAddress.emails": ("/customers", lambda n: {"primaryAddress": {"emails": [EMAIL] * n}},
                              MAX_CONTACT_ITEMS),
    "primaryAddress.phoneNumbers": ("/customers", lambda n: {"primaryAddress": {
        "phoneNumbers": [PHONE] * n}}, MAX_CONTACT_ITEMS),
    "taxNumbers": ("/customers", lambda n: {"taxNumbers": [TAX_NUMBER] * n}, MAX_LIST_ITEMS),
    "notificationEmails": ("/customers", lambda n: {"notificationEmails": [EMAIL["value"]] * n},
                           MAX_LIST_ITEMS),
    "billingAddress.emails": ("/tokens", lambda n: {**TOKEN, "billingAddress": {
        "emails": [EMAIL] * n}}, MAX_CONTACT_ITEMS),
}


@pytest.mark.parametrize("field", LISTS)
def test_a_list_past_its_cap_is_refused_before_it_is_read(client, field):
    path, body, cap = LISTS[field]
    assert client.post(path, body(cap)).status_code == 201
    assert invalid_fields(client.post(path, body(cap + 1))) == [field]
    assert invalid_fields(client.post(path, body(20_000))) == [field]


def test_the_openapi_document_states_the_list_bounds():
    from rebilly_sandbox.openapi import build_spec

    schemas = build_spec()["components"]["schemas"]
    customer = schemas["Customer"]["properties"]
    assert customer["taxNumbers"]["maxItems"] == MAX_LIST_ITEMS
    assert customer["notificationEmails"]["maxItems"] == MAX_LIST_ITEMS
    contact = next(schema for name, schema in schemas.items() if name.startswith("Contact"))
    assert contact["properties"]["emails"]["maxItems"] == MAX_CONTACT_ITEMS
    assert contact["properties"]["phoneNumbers"]["maxItems"] == MAX_CONTACT_ITEMS
