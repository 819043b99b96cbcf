"""GET /customers: bare array, pagination headers, paging, sort, filter, q, fields, isolation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from conftest import API_KEY, OTHER_KEY

from rebilly_sandbox.resources import CUSTOMERS
from rebilly_sandbox.schemas.list_query import load_list_query
from rebilly_sandbox.services import listing

START = datetime(2024, 1, 1, 12, 0, tzinfo=timezone.utc)


# -- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def clock(app):
    """Time frozen at START; each test advances it to give customers distinct createdTimes."""
    clock = app.extensions["sandbox"].clock
    clock.freeze(START)
    return clock


def create(client, **fields: Any) -> dict[str, Any]:
    response = client.post("/customers", fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def create_daily(client, clock, emails: list[str]) -> list[dict[str, Any]]:
    """One customer per email, a day apart, starting at START."""
    created = []
    for email in emails:
        created.append(create(client, email=email))
        clock.advance(timedelta(days=1))
    return created


def change_stored(app, customer_id: str, **changes: Any) -> None:
    """Set server-owned fields (counts, amounts) that no public endpoint writes yet."""
    store = app.extensions["sandbox"].store
    namespace = app.extensions["sandbox"].namespace_for(API_KEY).id
    with store.transaction() as tx:
        document = tx.get(namespace, "customers", customer_id)
        document.update(changes)
        tx.put(namespace, "customers", document)


def listed(client, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/customers{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def emails(client, query: str = "") -> list[str]:
    return [customer["email"] for customer in listed(client, query)]


def pagination(response) -> tuple[int, int, int]:
    headers = response.headers
    return (int(headers["Pagination-Total"]), int(headers["Pagination-Limit"]),
            int(headers["Pagination-Offset"]))


def invalid_fields(response) -> list[str]:
    assert response.status_code == 422, response.get_json()
    return [entry["field"] for entry in response.get_json()["invalidFields"]]


# -- the answer's shape -------------------------------------------------------------------------


def test_a_bare_array_with_pagination_headers(client):
    create(client, email="a@example.com")
    create(client, email="b@example.com")

    response = client.get("/customers")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.get_json()
    assert isinstance(body, list)
    assert [customer["email"] for customer in body] == ["a@example.com", "b@example.com"]
    assert pagination(response) == (2, 100, 0)


def test_an_empty_namespace_lists_nothing(client):
    response = client.get("/customers")

    assert response.get_json() == []
    assert pagination(response) == (0, 100, 0)


def test_each_customer_is_shown_as_get_by_id_shows_it(client):
    with_lead = create(client, email="lead@example.com", websiteId="web_1",
                       tags=[{"name": "vip", "type": "customer"}],
                       leadSource={"source": "google"})
    plain = create(client, email="plain@example.com")

    body = listed(client)

    assert body == [client.get(f"/customers/{with_lead['id']}").get_json(),
                    client.get(f"/customers/{plain['id']}").get_json()]
    lead_link = f"http://localhost/customers/{with_lead['id']}/lead-source"
    assert {"rel": "leadSource", "href": lead_link} in body[0]["_links"]


def test_a_list_copies_no_stored_document(client, app):
    for number in range(30):
        create(client, email=f"c{number}@example.com")
    state = app.extensions["sandbox"]
    namespace = state.namespace_for(API_KEY).id
    with state.store.transaction() as tx:
        stored = {id(document) for document in tx.view(namespace, "customers")}

    for query in ({"limit": "5", "offset": "3"},
                  {"limit": "5", "sort": "-email", "filter": "email:!c1@example.com"}):
        page = listing.list_documents(state.store, namespace, load_list_query(CUSTOMERS, query))
        assert len(page.documents) == 5
        assert {id(document) for document in page.documents} <= stored


# -- paging -------------------------------------------------------------------------------------


def test_paging_through_250_customers(client):
    created = [create(client, email=f"p{number:03}@example.com")["id"] for number in range(250)]

    seen: list[str] = []
    for offset, size in ((0, 100), (100, 100), (200, 50)):
        response = client.get(f"/customers?limit=100&offset={offset}")
        assert response.status_code == 200
        assert pagination(response) == (250, 100, offset)
        page = [customer["id"] for customer in response.get_json()]
        assert len(page) == size
        seen.extend(page)

    assert seen == created  # every customer once, in insertion order: no duplicates, no gaps


def test_limit_zero_answers_only_the_total(client):
    create(client, email="a@example.com")

    response = client.get("/customers?limit=0")

    assert response.get_json() == []
    assert pagination(response) == (1, 0, 0)


def test_an_offset_past_the_end_is_an_empty_page(client):
    for number in range(3):
        create(client, email=f"o{number}@example.com")

    response = client.get("/customers?offset=10&limit=5")

    assert response.status_code == 200
    assert response.get_json() == []
    assert pagination(response) == (3, 5, 10)


def test_the_largest_limit_and_offset_are_accepted(client):
    response = client.get("/customers?limit=1000&offset=1000")

    assert response.status_code == 200
    assert pagination(response) == (0, 1000, 1000)


@pytest.mark.parametrize("field", ["limit", "offset"])
@pytest.mark.parametrize("value", ["-1", "1001", "abc", "1.5", "", "1e2", "0x10"])
def test_a_bad_limit_or_offset_is_a_422_naming_it(client, field, value):
    response = client.get(f"/customers?{field}={value}")

    assert invalid_fields(response) == [field]
    assert response.get_json()["title"] == "Validation error"


def test_every_bad_parameter_is_named_at_once(client):
    response = client.get("/customers?limit=-1&offset=x&sort=nope&filter=nope:1")

    assert invalid_fields(response) == ["limit", "offset", "sort", "filter"]


# -- sort ---------------------------------------------------------------------------------------


def test_sort_on_email_both_ways_ignores_case(client):
    for email in ("b@example.com", "C@example.com", "a@example.com"):
        create(client, email=email)

    assert emails(client, "?sort=email") == ["a@example.com", "b@example.com", "C@example.com"]
    assert emails(client, "?sort=-email") == ["C@example.com", "b@example.com", "a@example.com"]
    assert emails(client, "?sort=%2Bemail") == emails(client, "?sort=email")


def test_sort_on_created_time_both_ways(client, clock):
    clock.advance(timedelta(days=5))
    create(client, email="middle@example.com")
    clock.set(START)
    create(client, email="oldest@example.com")
    clock.set(START + timedelta(days=9))
    create(client, email="newest@example.com")

    assert emails(client, "?sort=createdTime") == [
        "oldest@example.com", "middle@example.com", "newest@example.com"]
    assert emails(client, "?sort=-createdTime") == [
        "newest@example.com", "middle@example.com", "oldest@example.com"]


def test_sort_on_a_dotted_field(client, app):
    amounts = {"x@example.com": 50, "y@example.com": 7.5, "z@example.com": 300}
    for email, amount in amounts.items():
        customer = create(client, email=email)
        change_stored(app, customer["id"],
                      averageValue={"currency": "USD", "amount": amount, "amountUsd": amount})

    assert emails(client, "?sort=averageValue.amount") == [
        "y@example.com", "x@example.com", "z@example.com"]
    assert emails(client, "?sort=-averageValue.amount") == [
        "z@example.com", "x@example.com", "y@example.com"]


def test_multi_key_sort_and_repeated_sort_parameters(client):
    people = (("Ann", "Smith", "a2@example.com"), ("Bob", "Jones", "b@example.com"),
              ("Ann", "Smith", "a1@example.com"), ("Cid", "Adams", "c@example.com"))
    for first, last, email in people:
        create(client, firstName=first, lastName=last, email=email)

    expected = ["c@example.com", "b@example.com", "a2@example.com", "a1@example.com"]
    assert emails(client, "?sort=lastName,-email") == expected
    assert emails(client, "?sort=lastName&sort=-email") == expected


def test_ties_keep_insertion_order_and_missing_values_sort_first(client):
    create(client, email="with-site@example.com", websiteId="web_1")
    create(client, email="no-site-1@example.com")
    create(client, email="no-site-2@example.com")

    assert emails(client, "?sort=websiteId") == [
        "no-site-1@example.com", "no-site-2@example.com", "with-site@example.com"]
    assert emails(client, "?sort=-websiteId") == [
        "with-site@example.com", "no-site-1@example.com", "no-site-2@example.com"]


@pytest.mark.parametrize("sort", ["nope", "-nope", "email,primaryAddress", "customFields"])
def test_an_unknown_sort_field_is_a_422(client, sort):
    response = client.get(f"/customers?sort={sort}")

    assert invalid_fields(response) == ["sort"]
    assert "Cannot sort on" in response.get_json()["invalidFields"][0]["message"]


# -- filter -------------------------------------------------------------------------------------


@pytest.fixture
def three(client, clock) -> list[dict[str, Any]]:
    """Ann (2024-01-01, vip), Bob (2024-01-02, EDD), Cid (2024-01-03, vip + early)."""
    people = []
    for first, extra in (("Ann", {"tags": [{"name": "vip", "type": "customer"}]}),
                         ("Bob", {"isEddRequired": True}),
                         ("Cid", {"tags": [{"name": "VIP", "type": "customer"},
                                           {"name": "early", "type": "customer"}]})):
        people.append(create(client, firstName=first, lastName="Doe",
                             email=f"{first.lower()}@example.com", **extra))
        clock.advance(timedelta(days=1))
    return people


def firsts(client, filter_expression: str) -> list[str]:
    return [customer["firstName"] for customer in listed(client, f"?filter={filter_expression}")]


def test_filter_one_value_exactly_and_without_case(client, three):
    assert firsts(client, "email:BOB@example.com") == ["Bob"]
    assert firsts(client, "firstName:ann") == ["Ann"]
    assert firsts(client, "firstName:an") == []  # whole values, not substrings
    assert firsts(client, f"id:{three[2]['id']}") == ["Cid"]


def test_filter_values_are_ored_and_fields_are_anded(client, three):
    assert firsts(client, "firstName:Ann,Cid") == ["Ann", "Cid"]
    assert firsts(client, "firstName:Ann,Cid;email:cid@example.com") == ["Cid"]
    assert firsts(client, "lastName:Doe;firstName:Bob") == ["Bob"]


def test_filter_negation(client, three):
    assert firsts(client, "email:!ann@example.com") == ["Bob", "Cid"]
    assert firsts(client, "firstName:!Ann,Bob") == ["Cid"]  # a leading ! negates the whole list
    assert firsts(client, "lastName:Doe,!x;firstName:Ann,Bob,!Bob") == ["Ann"]


def test_filter_created_time_ranges(client, three):
    assert firsts(client, "createdTime:2024-01-02T00:00:00Z..2024-01-03T00:00:00Z") == ["Bob"]
    assert firsts(client, "createdTime:2024-01-02T12:00:00Z..") == ["Bob", "Cid"]
    assert firsts(client, "createdTime:..2024-01-02T12:00:00Z") == ["Ann", "Bob"]
    # A bare date is its whole UTC day, at either end.
    assert firsts(client, "createdTime:2024-01-01..2024-01-02") == ["Ann", "Bob"]
    assert firsts(client, "createdTime:2024-01-03") == ["Cid"]
    # An offset is honoured: 14:00+02:00 is 12:00Z.
    assert firsts(client, "createdTime:2024-01-01T14:00:00%2B02:00") == ["Ann"]
    assert firsts(client, "createdTime:2024-01-01T14:00:00+02:00") == ["Ann"]  # "+" sent raw
    assert firsts(client, "createdTime:!2024-01-02..;firstName:Ann,Bob") == ["Ann"]
    assert firsts(client, "updatedTime:2024-01-03T12:00:00Z..") == ["Cid"]


def test_filter_number_ranges(client, app, three):
    for customer, count in zip(three, (0, 3, 10), strict=True):
        change_stored(app, customer["id"], paymentCount=count)

    assert firsts(client, "paymentCount:3") == ["Bob"]
    assert firsts(client, "paymentCount:1..5") == ["Bob"]
    assert firsts(client, "paymentCount:3..") == ["Bob", "Cid"]
    assert firsts(client, "paymentCount:..3") == ["Ann", "Bob"]
    assert firsts(client, "paymentCount:0,10") == ["Ann", "Cid"]
    assert firsts(client, "paymentCount:!1..5") == ["Ann", "Cid"]
    assert firsts(client, "invoiceCount:0") == ["Ann", "Bob", "Cid"]


def test_filter_tags_by_name_without_case(client, three):
    assert firsts(client, "tags:vip") == ["Ann", "Cid"]
    assert firsts(client, "tags:EARLY") == ["Cid"]
    assert firsts(client, "tags:early,missing") == ["Cid"]
    assert firsts(client, "tags:!vip") == ["Bob"]


def test_filter_booleans_and_organization(client, three):
    assert firsts(client, "isEddRequired:true") == ["Bob"]
    assert firsts(client, "isEddRequired:FALSE") == ["Ann", "Cid"]
    organization = three[0]["organizationId"]
    assert firsts(client, f"organizationId:{organization}") == ["Ann", "Bob", "Cid"]
    assert firsts(client, "locale:en-GB") == []


def test_filter_combined_with_paging_counts_matches(client, three):
    response = client.get("/customers?filter=tags:vip&limit=1&offset=1")

    assert [customer["firstName"] for customer in response.get_json()] == ["Cid"]
    assert pagination(response) == (2, 1, 1)


def test_repeated_filter_parameters_are_anded(client, three):
    assert firsts(client, "tags:vip&filter=firstName:Cid") == ["Cid"]


@pytest.mark.parametrize("expression, problem", [
    ("nope:1", "Cannot filter on 'nope'"),
    ("customFields.plan:gold", "Cannot filter on"),
    ("email", "not a field:value expression"),
    (":value", "names no field"),
    ("email:", "no value"),
    ("email:!", "empty value"),
    ("createdTime:yesterday", "not an ISO 8601"),
    ("createdTime:2024-13-01..", "not an ISO 8601"),
    ("createdTime:..2024-01-01Tnoon", "not an ISO 8601"),
    ("paymentCount:many", "not a number"),
    ("paymentCount:..", "no bounds"),
    ("isEddRequired:yes", "true or false"),
    ("firstName:@myList", "not supported"),
])
def test_a_bad_filter_is_a_422_saying_why(client, expression, problem):
    response = client.get(f"/customers?filter={expression}")

    assert invalid_fields(response) == ["filter"]
    assert problem in response.get_json()["invalidFields"][0]["message"]


# -- q and fields -------------------------------------------------------------------------------


def test_q_is_a_partial_case_insensitive_search(client):
    create(client, email="jane@example.com", firstName="Jane", lastName="Roe")
    create(client, email="someone@example.com", firstName="Johnny", lastName="Smith")
    create(client, email="johnson@example.com", firstName="Ann", lastName="Lee")
    create(client, email="x@example.com", primaryAddress={"organization": "St. John Ltd"})
    create(client, email="nobody@example.com", firstName="Nobody")

    assert emails(client, "?q=JOHN") == [
        "someone@example.com", "johnson@example.com", "x@example.com"]
    assert emails(client, "?q=roe") == ["jane@example.com"]
    assert emails(client, "?q=") == emails(client)


def test_fields_keeps_only_what_was_asked_and_always_the_id(client):
    customer = create(client, email="f@example.com", firstName="Fay")

    assert listed(client, "?fields=email,firstName") == [
        {"id": customer["id"], "email": "f@example.com", "firstName": "Fay"}]
    assert listed(client, "?fields=email,nonsense") == [
        {"id": customer["id"], "email": "f@example.com"}]
    assert listed(client, "?fields=_links")[0]["_links"][0]["rel"] == "self"
    assert listed(client, "?fields=")[0] == listed(client)[0]


def test_expand_is_accepted_and_checked(client):
    create(client, email="e@example.com")

    assert len(listed(client, "?expand=website,leadSource")) == 1
    assert invalid_fields(client.get("/customers?expand=nope")) == ["expand"]


# -- namespaces, routes, the JS SDK -------------------------------------------------------------


def test_another_key_sees_an_empty_list(client):
    create(client, email="mine@example.com")

    response = client.with_key(OTHER_KEY).get("/customers")

    assert response.status_code == 200
    assert response.get_json() == []
    assert pagination(response) == (0, 100, 0)
    assert len(listed(client)) == 1


def test_listing_needs_a_credential(client):
    assert client.with_key(None).get("/customers").status_code == 401


@pytest.mark.parametrize("path, base", [
    ("/customers", "http://localhost"),
    ("/customers/", "http://localhost"),
    ("/organizations/org_TEST123/customers", "http://localhost/organizations/org_TEST123"),
    ("/organizations/org_TEST123/customers/", "http://localhost/organizations/org_TEST123"),
])
def test_every_route_form_lists(client, path, base):
    customer = create(client, email="r@example.com")

    response = client.get(f"{path}?limit=5")

    assert response.status_code == 200
    assert pagination(response) == (1, 5, 0)
    assert response.get_json()[0]["_links"][0] == {
        "rel": "self", "href": f"{base}/customers/{customer['id']}"}


def test_the_js_sdk_get_all_query(client, clock):
    for number in range(45):
        create(client, email=f"other{number}@example.com")
    create(client, email="john@example.com", firstName="John")

    response = client.get(
        "/customers?limit=20&offset=40&filter=email:john%40example.com&q=john"
        "&expand=defaultPaymentInstrument,website&fields=id,email&sort=-createdTime,email")

    assert response.status_code == 200
    assert response.get_json() == []  # one match, and the page starts at 40
    assert pagination(response) == (1, 20, 40)
    first_page = client.get("/customers?filter=email:john%40example.com&q=john&fields=id,email")
    assert [set(customer) for customer in first_page.get_json()] == [{"id", "email"}]
