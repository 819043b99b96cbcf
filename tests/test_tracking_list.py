"""GET /tracking/webhooks is listed like every other list: limit, offset, sort, filter and q with
Rebilly's errors, newest first when no sort is given; and the machinery's newest-first order on
its own, by scan and by index."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import API_KEY

from rebilly_sandbox.resources import NUMBER, TEXT, WEBHOOK_TRACKING, ListedResource
from rebilly_sandbox.schemas.list_query import list_query_parameters, load_list_query
from rebilly_sandbox.services.listing import list_documents
from rebilly_sandbox.services.tracking import record_attempt
from rebilly_sandbox.store import Store

#: (event type, entity id, receiver status, initiatedTime), in the order the attempts were made.
#: The clock was moved back before the fourth, so insertion order and time order differ.
ATTEMPTS = [
    ("customer-created", "cus_A", 200, "2024-05-01T10:00:00Z"),
    ("transaction-processed", "txn_B", 500, "2024-05-01T10:02:00Z"),
    ("transaction-processed", "txn_B", 200, "2024-05-01T10:03:00Z"),
    ("customer-updated", "cus_A", 0, "2024-05-01T09:00:00Z"),
    ("transaction-refunded", "txn_C", 204, "2024-05-01T10:05:00Z"),
]


def _entry_id(number: int) -> str:
    return f"hook_log_{number}"


@pytest.fixture
def logged(client, app) -> list[str]:
    """The ATTEMPTS written to the key's tracking log; their ids in insertion order."""
    assert client.get("/tracking/webhooks").status_code == 200  # the namespace exists
    state = app.extensions["sandbox"]
    namespace = state.namespace_for(API_KEY).id
    ids = []
    with state.store.transaction() as tx:
        for number, (event_type, entity_id, status, initiated) in enumerate(ATTEMPTS):
            delivery = {"id": f"whd_{number}", "url": f"https://hooks.example/{event_type}",
                        "method": "POST", "entityId": entity_id, "eventType": event_type,
                        "webhookId": "hook_1", "organizationId": "org_1"}
            attempt = {"status": status, "duration": 10 * number, "initiatedTime": initiated,
                       "sentTime": initiated, "request": "{}", "response": "",
                       "requestHeaders": {}, "responseHeaders": {}, "attempt": 1}
            record_attempt(tx, namespace, _entry_id(number), delivery, attempt)
            ids.append(_entry_id(number))
    return ids


def _ids(client, query: str = "") -> list[str]:
    response = client.get(f"/tracking/webhooks{query}")
    assert response.status_code == 200, response.get_json()
    return [entry["id"] for entry in response.get_json()]


def test_no_sort_lists_the_newest_attempt_first(client, logged):
    assert _ids(client) == logged[::-1]


def test_a_filter_on_event_type_keeps_only_those_attempts(client, logged):
    assert _ids(client, "?filter=eventType:transaction-processed") == [logged[2], logged[1]]
    assert _ids(client, "?filter=eventType:customer-created,customer-updated") == [
        logged[3], logged[0]]


def test_a_filter_on_status_takes_numbers_and_ranges(client, logged):
    assert _ids(client, "?filter=status:200") == [logged[2], logged[0]]
    assert _ids(client, "?filter=status:500..") == [logged[1]]


def test_sort_on_initiated_time_both_ways(client, logged):
    assert _ids(client, "?sort=initiatedTime") == [logged[3], logged[0], logged[1], logged[2],
                                                   logged[4]]
    assert _ids(client, "?sort=-initiatedTime") == [logged[4], logged[2], logged[1], logged[0],
                                                    logged[3]]


def test_limit_and_offset_page_the_log_with_pagination_headers(client, logged):
    response = client.get("/tracking/webhooks?limit=2&offset=1")

    assert response.status_code == 200
    assert [entry["id"] for entry in response.get_json()] == [logged[3], logged[2]]
    assert response.headers["Pagination-Total"] == "5"
    assert response.headers["Pagination-Limit"] == "2"
    assert response.headers["Pagination-Offset"] == "1"


def test_a_filtered_page_counts_only_the_matches(client, logged):
    response = client.get("/tracking/webhooks?filter=entityId:txn_B&limit=1")

    assert [entry["id"] for entry in response.get_json()] == [logged[2]]
    assert response.headers["Pagination-Total"] == "2"


def test_q_searches_url_event_type_and_entity_id(client, logged):
    assert _ids(client, "?q=REFUNDED") == [logged[4]]
    assert _ids(client, "?q=cus_a") == [logged[3], logged[0]]
    assert _ids(client, "?q=hooks.example/customer-") == [logged[3], logged[0]]
    assert _ids(client, "?q=nowhere") == []


def test_the_entries_are_shown_whole(client, logged):
    [entry] = client.get("/tracking/webhooks?filter=id:hook_log_1").get_json()

    assert entry == client.get("/tracking/webhooks/hook_log_1").get_json()
    assert entry["status"] == 500 and entry["eventType"] == "transaction-processed"


def test_a_bad_filter_field_is_a_422_in_the_shape_other_lists_answer(client, logged):
    response = client.get("/tracking/webhooks?filter=colour:red")
    other = client.get("/webhooks?filter=colour:red").get_json()

    assert response.status_code == 422
    body = response.get_json()
    assert {key: body[key] for key in ("type", "title", "status")} == {
        key: other[key] for key in ("type", "title", "status")}
    assert body["invalidFields"] == [{"field": "filter", "message": (
        "Cannot filter on 'colour'; filterable fields: id, eventType, entityId, status, "
        "source, attempt, duration, url, method, webhookId, organizationId, initiatedTime, "
        "sentTime.")}]


@pytest.mark.parametrize("query, field", [
    ("?sort=request", "sort"),
    ("?limit=1001", "limit"),
    ("?offset=-1", "offset"),
    ("?filter=initiatedTime:soon", "filter"),
])
def test_bad_list_parameters_are_422s_naming_them(client, logged, query, field):
    response = client.get(f"/tracking/webhooks{query}")

    assert response.status_code == 422
    assert [item["field"] for item in response.get_json()["invalidFields"]] == [field]


def test_parameters_the_log_does_not_take_are_ignored(client, logged):
    assert _ids(client, "?eventType=customer-created&expand=nothing&fields=id") == (
        logged[::-1])


def test_the_openapi_document_lists_the_parameters_the_log_takes(app):
    document = app.test_client().get("/__admin/openapi.json").get_json()
    parameters = [parameter for parameter
                  in document["paths"]["/tracking/webhooks"]["get"]["parameters"]
                  if "$ref" not in parameter]

    assert [parameter["name"] for parameter in parameters] == [
        "limit", "offset", "sort", "filter", "q"]
    assert parameters == [parameter for parameter in list_query_parameters(WEBHOOK_TRACKING)
                          if parameter["name"] in ("limit", "offset", "sort", "filter", "q")]
    assert "url, eventType and entityId" in parameters[-1]["description"]


# -- the machinery's newest-first order, by scan and by index ------------------------------------

LOG = ListedResource(table="log", singular="line", plural="Lines",
                     sortable={"level": NUMBER}, filterable={"kind": TEXT, "level": NUMBER},
                     newest_first=True)
INDEXED_LOG = ListedResource(table="log", singular="line", plural="Lines",
                             sortable={"level": NUMBER}, filterable={"kind": TEXT, "level": NUMBER},
                             indexed=("kind", "level"), newest_first=True)


@pytest.fixture
def store() -> Store:
    store = Store()
    with store.transaction() as tx:
        for number, (kind, level) in enumerate([("a", 2), ("b", 1), ("a", 3), ("b", 2),
                                                ("a", 1)]):
            tx.insert("ns", "log", {"id": f"l{number}", "kind": kind, "level": level})
    return store


def _page(store: Store, resource: ListedResource, **args: Any) -> tuple[list[str], int]:
    page = list_documents(store, "ns", load_list_query(resource, args))
    return [document["id"] for document in page.documents], page.total


@pytest.mark.parametrize("resource", [LOG, INDEXED_LOG], ids=["scanned", "indexed"])
def test_a_newest_first_resource_lists_in_reverse_insertion_order_unless_sorted(store, resource):
    assert _page(store, resource) == (["l4", "l3", "l2", "l1", "l0"], 5)
    assert _page(store, resource, limit="2", offset="1") == (["l3", "l2"], 5)
    assert _page(store, resource, filter="kind:a") == (["l4", "l2", "l0"], 3)
    assert _page(store, resource, filter="kind:a", offset="1", limit="1") == (["l2"], 3)
    assert _page(store, resource, filter="level:2..") == (["l3", "l2", "l0"], 3)
    # A sort decides the order; ties keep insertion order, as on every list.
    assert _page(store, resource, sort="level") == (["l1", "l4", "l0", "l3", "l2"], 5)
