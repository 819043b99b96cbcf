"""Lists answered from indexes give exactly the page and total a scan of every document gives.

Random documents (mixed-case text, shared and missing values, tags, equal and unparseable times)
are inserted, replaced and deleted, some in transactions that fail and roll back; then random
filters and sorts are listed both ways. Indexes are also checked to follow snapshot restores and
namespace resets, and to be what answers an indexed equality filter.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from rebilly_sandbox.resources import CUSTOMERS, PAYMENT_INSTRUMENTS, TRANSACTIONS, ListedResource
from rebilly_sandbox.schemas.list_query import load_list_query
from rebilly_sandbox.services.listing import index_specs, list_documents
from rebilly_sandbox.services.paging import select_page
from rebilly_sandbox.store import OrderIndex, Store

NAMESPACE = "ns_indexes"

WORDS = ["alpha", "Alpha", "ALPHA", "beta", "Beta", "gamma", "délta", "Straße", "STRASSE"]
TIMES = ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00+00:00", "2024-01-01T01:00:00+01:00",
         "2024-02-03T04:05:06Z", "2023-12-31T23:59:59Z", "not a time", None]
STATUSES = ["completed", "Completed", "declined", "pending", None, 7]


def random_customer(rng: random.Random, number: int) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": rng.choice([f"cus_{number}", f"CUS_{number}"]),
        "email": rng.choice(WORDS + [None, f"user{number}@example.com"]),
        "websiteId": rng.choice(["web_1", "WEB_1", "web_2", None]),
        "firstName": rng.choice(WORDS),
        "createdTime": rng.choice(TIMES),
        "tags": [{"name": rng.choice(WORDS), "type": "customer"}
                 for _ in range(rng.randint(0, 3))],
    }
    for key in [key for key in document if key != "id"]:
        if rng.random() < 0.05:
            del document[key]  # a field missing altogether
    return document


def random_transaction(rng: random.Random, number: int) -> dict[str, Any]:
    return {
        "id": f"txn_{number}",
        "customerId": rng.choice(["cus_1", "CUS_1", "cus_2", "cus_3"]),
        "websiteId": rng.choice(["web_1", "web_2"]),
        "status": rng.choice(STATUSES),
        "result": rng.choice(["approved", "declined", "Approved", None]),
        "amount": rng.choice([1, 2.5, 10, None]),
        "createdTime": rng.choice(TIMES),
    }


def random_instrument(rng: random.Random, number: int) -> dict[str, Any]:
    return {
        "id": f"inst_{number}",
        "customerId": rng.choice(["cus_1", "CUS_1", "cus_2", None]),
        "status": rng.choice(["active", "deactivated", "Active"]),
        "expYear": rng.choice([2020, 2030]),
        "createdTime": rng.choice(TIMES),
        "updatedTime": rng.choice(TIMES),
    }


def seen_instrument(document: dict[str, Any]) -> dict[str, Any]:
    """What filters see of an instrument: a status that depends on something besides the field,
    as a card's expiry on the sandbox clock does."""
    if document.get("expYear") == 2020 and document.get("status") != "deactivated":
        return {**document, "status": "expired"}
    return document


MAKERS = {"customers": random_customer, "transactions": random_transaction,
          "payment-instruments": random_instrument}
SEEN = {"payment-instruments": seen_instrument}


def random_filter(rng: random.Random, resource: ListedResource) -> str:
    clauses = []
    for _ in range(rng.randint(1, 2)):
        if resource is PAYMENT_INSTRUMENTS:
            name = rng.choice(["id", "customerId", "status", "createdTime"])
        elif resource is CUSTOMERS:
            name = rng.choice(["id", "email", "websiteId", "tags", "firstName", "createdTime"])
        else:
            name = rng.choice(["id", "customerId", "websiteId", "status", "result", "amount"])
        if name == "createdTime":
            values = [rng.choice(["2024-01-01", "2024-01-01T00:00:00Z", "2024-01-01..2024-02-28"])]
        elif name == "amount":
            values = [rng.choice(["1", "2.5", "2..10"])]
        elif name == "id":
            prefix = {"customers": "cus", "transactions": "txn"}.get(resource.table, "inst")
            values = [f"{rng.choice([prefix, prefix.upper()])}_{rng.randint(0, 60)}"
                      for _ in range(rng.randint(1, 3))]
        else:
            pool = WORDS + ["web_1", "WEB_2", "cus_1", "cus_3", "completed", "approved",
                            "declined", "Pending", "strasse", "expired", "active"]
            values = [rng.choice(pool) for _ in range(rng.randint(1, 3))]
        values = ["!" + value if rng.random() < 0.15 else value for value in values]
        clauses.append(f"{name}:{','.join(values)}")
    return ";".join(clauses)


def random_query(rng: random.Random, resource: ListedResource) -> dict[str, str]:
    args = {"limit": str(rng.choice([1, 3, 10, 100])), "offset": str(rng.choice([0, 0, 2, 7]))}
    if rng.random() < 0.7:
        args["filter"] = random_filter(rng, resource)
    if rng.random() < 0.6:
        names = {"customers": ["createdTime", "email", "id", "websiteId", "firstName"],
                 "transactions": ["createdTime", "id", "customerId", "amount"],
                 "payment-instruments": ["createdTime", "updatedTime"]}[resource.table]
        chosen = rng.sample(names, rng.randint(1, 2))
        args["sort"] = ",".join(rng.choice(["", "-"]) + name for name in chosen)
    if rng.random() < 0.15:
        args["q"] = rng.choice(["al", "a", "strasse", "web"])
    return args


def both_ways(store: Store, resource: ListedResource, args: dict[str, str]):
    query = load_list_query(resource, args)
    with store.transaction() as tx:
        documents = tx.view(NAMESPACE, resource.table)
        table = tx.indexed(NAMESPACE, resource.table, *index_specs(resource))
        seen = SEEN.get(resource.table)
        scanned = select_page(documents, query, seen=seen)
        indexed = select_page(documents, query, table, seen)
        return ([doc["id"] for doc in indexed[0]], indexed[1]), \
            ([doc["id"] for doc in scanned[0]], scanned[1])


def churn(store: Store, rng: random.Random, resource: ListedResource, size: int) -> None:
    """Insert ``size`` documents, then replace, delete and roll back at random."""
    make = MAKERS[resource.table]
    ids: list[str] = []
    for number in range(size):
        document = make(rng, number)
        with store.transaction() as tx:
            if not tx.exists(NAMESPACE, resource.table, document["id"]):
                tx.insert(NAMESPACE, resource.table, document)
                ids.append(document["id"])
        if number % 7 == 3:
            both_ways(store, resource, random_query(rng, resource))  # builds indexes midway
    for step in range(size):
        target = rng.choice(ids)
        action = rng.random()
        try:
            with store.transaction() as tx:
                if action < 0.4:
                    replacement = make(rng, step)
                    replacement["id"] = target
                    tx.put(NAMESPACE, resource.table, replacement)
                elif action < 0.55 and tx.delete(NAMESPACE, resource.table, target):
                    ids.remove(target)
                if rng.random() < 0.3:
                    raise RuntimeError("the transaction fails and rolls back")
        except RuntimeError:
            if action >= 0.4 and action < 0.55 and target not in ids:
                ids.append(target)  # the delete was undone


@pytest.mark.parametrize("resource", [CUSTOMERS, TRANSACTIONS, PAYMENT_INSTRUMENTS],
                         ids=lambda r: r.table)
@pytest.mark.parametrize("seed", range(6))
def test_random_lists_answer_from_indexes_exactly_as_the_scan_does(resource, seed, monkeypatch):
    if seed % 2:  # tiny blocks, so sorted indexes split and empty their blocks all the time
        monkeypatch.setattr(OrderIndex, "BLOCK", 2)
    rng = random.Random(seed)
    store = Store()
    churn(store, rng, resource, 60)
    for _ in range(150):
        args = random_query(rng, resource)
        indexed, scanned = both_ways(store, resource, args)
        assert indexed == scanned, args


def test_a_rolled_back_delete_keeps_the_document_in_its_place():
    store = Store()
    with store.transaction() as tx:
        for number in range(5):
            tx.insert(NAMESPACE, "customers", {"id": f"cus_{number}", "email": "same@x.io"})
    both_ways(store, CUSTOMERS, {"filter": "email:same@x.io"})
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.delete(NAMESPACE, "customers", "cus_1")
        raise RuntimeError("fails")
    with store.transaction() as tx:
        assert [doc["id"] for doc in tx.view(NAMESPACE, "customers")] == [
            f"cus_{number}" for number in range(5)]
    indexed, scanned = both_ways(store, CUSTOMERS, {"filter": "email:SAME@x.io"})
    assert indexed == scanned == ([f"cus_{number}" for number in range(5)], 5)


def test_indexes_follow_snapshot_restores_and_resets():
    store = Store()
    with store.transaction() as tx:
        tx.insert(NAMESPACE, "customers", {"id": "cus_a", "email": "a@x.io"})
    store.save_snapshot(NAMESPACE, "base")
    assert both_ways(store, CUSTOMERS, {"filter": "email:a@x.io"})[0] == (["cus_a"], 1)
    with store.transaction() as tx:
        tx.put(NAMESPACE, "customers", {"id": "cus_a", "email": "b@x.io"})
        tx.insert(NAMESPACE, "customers", {"id": "cus_b", "email": "a@x.io"})
    assert both_ways(store, CUSTOMERS, {"filter": "email:a@x.io"})[0] == (["cus_b"], 1)
    store.restore_snapshot(NAMESPACE, "base")
    assert both_ways(store, CUSTOMERS, {"filter": "email:a@x.io"})[0] == (["cus_a"], 1)
    assert both_ways(store, CUSTOMERS, {"filter": "email:b@x.io"})[0] == ([], 0)
    store.clear_namespace(NAMESPACE)
    query = load_list_query(CUSTOMERS, {"filter": "email:a@x.io", "sort": "-createdTime"})
    assert list_documents(store, NAMESPACE, query).total == 0
    assert store.cached_tables() == set()


class Unscannable(list):
    """Stored documents that refuse to be scanned: only the indexes can answer."""

    def __iter__(self):
        raise AssertionError("the list scanned every document")


@pytest.mark.parametrize("args", [
    {"filter": "email:Target@X.io", "sort": "-createdTime"},
    {"filter": "tags:vip"},
    {"sort": "-createdTime", "limit": "2"},
    {"sort": "createdTime,email", "limit": "2"},
])
def test_indexed_equality_filters_and_sorts_do_not_scan(args):
    store = Store()
    with store.transaction() as tx:
        for number in range(50):
            tx.insert(NAMESPACE, "customers", {
                "id": f"cus_{number}", "email": "target@x.io" if number % 10 == 0 else "o@x.io",
                "createdTime": f"2024-01-01T00:00:{number:02d}Z",
                "tags": [{"name": "VIP"}] if number in (3, 4) else []})
    query = load_list_query(CUSTOMERS, args)
    with store.transaction() as tx:
        table = tx.indexed(NAMESPACE, "customers", *index_specs(CUSTOMERS))
        page, total = select_page(Unscannable(), query, table)
        expected = select_page(list(tx.view(NAMESPACE, "customers")), query)
    assert ([doc["id"] for doc in page], total) == ([doc["id"] for doc in expected[0]],
                                                    expected[1])


def test_a_listed_page_keeps_what_it_read_after_the_document_changes():
    store = Store()
    with store.transaction() as tx:
        tx.insert(NAMESPACE, "customers", {
            "id": "cus_a", "email": "a@x.io", "createdTime": "2024-01-01T00:00:00Z",
            "tags": [{"name": "vip"}], "primaryAddress": {"emails": [{"value": "a@x.io"}]}})
    query = load_list_query(CUSTOMERS, {"filter": "tags:vip", "sort": "-createdTime"})
    page = list_documents(store, NAMESPACE, query).documents
    with store.transaction() as tx:
        changed = tx.get(NAMESPACE, "customers", "cus_a")
        changed["tags"][0]["name"] = "changed"
        changed["primaryAddress"]["emails"].append({"value": "b@x.io"})
        tx.put(NAMESPACE, "customers", changed)

    assert page[0]["tags"] == [{"name": "vip"}]
    assert page[0]["primaryAddress"] == {"emails": [{"value": "a@x.io"}]}
    assert list_documents(store, NAMESPACE, query).total == 0
