"""The store: TinyDB-compatible files, write-ahead log replay, torn records, rollback, locking,
threads."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from tinydb import TinyDB

from rebilly_sandbox.store import DuplicateId, StorageError, Store

NS = "ns_test"


@pytest.fixture(params=["memory", "file"])
def store(request, tmp_path: Path):
    store = Store(None if request.param == "memory" else tmp_path / "db.json")
    yield store
    store.close()


def insert(store: Store, *ids: str, kind: str = "customers") -> None:
    with store.transaction() as tx:
        for doc_id in ids:
            tx.insert(NS, kind, {"id": doc_id, "name": f"name-{doc_id}"})


def test_documents_are_copied_in_and_out(store):
    document = {"id": "a", "nested": {"value": 1}}
    with store.transaction() as tx:
        tx.insert(NS, "customers", document)
    document["nested"]["value"] = 2
    fetched = store.get(NS, "customers", "a")
    fetched["nested"]["value"] = 3

    assert store.get(NS, "customers", "a") == {"id": "a", "nested": {"value": 1}}


def test_a_document_read_in_place_keeps_what_it_read_after_writes(store):
    with store.transaction() as tx:
        tx.insert(NS, "customers", {"id": "a", "nested": {"value": 1}})
    with store.transaction() as tx:
        read = tx.read(NS, "customers", "a")
        assert tx.read(NS, "customers", "missing") is None
    with store.transaction() as tx:
        changed = tx.get(NS, "customers", "a")
        changed["nested"]["value"] = 2
        tx.put(NS, "customers", changed)
    with store.transaction() as tx:
        tx.delete(NS, "customers", "a")

    assert read == {"id": "a", "nested": {"value": 1}}


def test_update_replaces_top_level_members_and_leaves_the_old_version_as_read(store):
    with store.transaction() as tx:
        tx.insert(NS, "customers", {"id": "a", "count": 1, "nested": {"value": 1}})
    with store.transaction() as tx:
        before = tx.read(NS, "customers", "a")
        changes = {"count": 2, "money": {"amount": 5}}
        updated = tx.update(NS, "customers", "a", changes)
        changes["money"]["amount"] = 6  # the caller's dict is not what is stored
        assert tx.update(NS, "customers", "missing", {"count": 1}) is None
        with pytest.raises(ValueError):
            tx.update(NS, "customers", "a", {"id": "b"})

    assert before == {"id": "a", "count": 1, "nested": {"value": 1}}
    assert updated == store.get(NS, "customers", "a") == {
        "id": "a", "count": 2, "nested": {"value": 1}, "money": {"amount": 5}}


def test_a_failed_update_is_rolled_back(store):
    with store.transaction() as tx:
        tx.insert(NS, "customers", {"id": "a", "count": 1})
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.update(NS, "customers", "a", {"count": 2})
        raise RuntimeError("the service fails after the update")

    assert store.get(NS, "customers", "a") == {"id": "a", "count": 1}


def test_stored_documents_refuse_changes_in_place_while_copies_take_them(store):
    # The suite runs with guard_stored_documents() on (conftest.py): a service that changes a
    # document it read in place, instead of a copy, fails its test.
    with store.transaction() as tx:
        tx.insert(NS, "customers", {"id": "a", "tags": [{"name": "vip"}], "count": 1})
        tx.update(NS, "customers", "a", {"count": 2})
        stored = tx.read(NS, "customers", "a")
        for change in (lambda: stored.update(count=3), lambda: stored.pop("count"),
                       lambda: stored["tags"].append({}), lambda: stored["tags"][0].clear(),
                       lambda: stored.__setitem__("count", 3)):
            with pytest.raises(TypeError, match="read-only"):
                change()
        assert next(iter(tx.view(NS, "customers"))) is stored
        copy = tx.get(NS, "customers", "a")
        copy["tags"].append({"name": "new"})
        copy["count"] = 3
        tx.put(NS, "customers", copy)

    assert store.get(NS, "customers", "a") == {
        "id": "a", "tags": [{"name": "vip"}, {"name": "new"}], "count": 3}


def test_duplicate_ids_are_refused(store):
    insert(store, "a")

    with pytest.raises(DuplicateId):
        insert(store, "a")
    assert store.count(NS, "customers") == 1


def test_a_failed_transaction_changes_nothing(store):
    insert(store, "a")

    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            tx.put(NS, "customers", {"id": "a", "name": "changed"})
            tx.insert(NS, "customers", {"id": "b"})
            tx.delete(NS, "customers", "a")
            raise RuntimeError("boom")

    assert store.get(NS, "customers", "a") == {"id": "a", "name": "name-a"}
    assert store.get(NS, "customers", "b") is None
    assert store.count(NS, "customers") == 1
    insert(store, "b")
    assert store.count(NS, "customers") == 2


def test_namespaces_are_separate_tables(store):
    insert(store, "a", "b")
    with store.transaction() as tx:
        tx.insert("ns_other", "customers", {"id": "a"})

    assert store.clear_namespace(NS) == {"customers": 2}
    assert store.get(NS, "customers", "a") is None
    assert store.get("ns_other", "customers", "a") == {"id": "a"}
    assert store.clear_namespace(NS) == {}


def test_snapshot_and_restore_of_a_namespace(store):
    insert(store, "a", "b")
    insert(store, "t1", kind="tags")
    assert store.save_snapshot(NS, "before") == {"customers": 2, "tags": 1}
    insert(store, "c")
    with store.transaction() as tx:
        tx.delete(NS, "customers", "a")

    assert store.restore_snapshot(NS, "before") == {"customers": 2, "tags": 1}
    assert sorted(doc["id"] for doc in _all(store)) == ["a", "b"]
    assert store.snapshots(NS) == ["before"]
    assert store.restore_snapshot(NS, "missing") is None
    assert store.delete_snapshot(NS, "before") is True
    assert store.snapshots(NS) == []


def test_an_empty_snapshot_restores_to_empty(store):
    store.save_snapshot(NS, "empty")
    insert(store, "a")

    assert store.restore_snapshot(NS, "empty") == {}
    assert store.count(NS, "customers") == 0


def _all(store: Store) -> list[dict]:
    with store.transaction() as tx:
        return tx.all(NS, "customers")


def test_sixteen_threads_creating_at_once_lose_nothing(store):
    def writer(worker: int) -> None:
        for number in range(500):
            insert(store, f"w{worker}-{number}")

    threads = [threading.Thread(target=writer, args=(worker,)) for worker in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    documents = _all(store)
    assert len(documents) == 8000
    assert len({doc["id"] for doc in documents}) == 8000


def test_closed_file_opens_with_stock_tinydb(tmp_path):
    path = tmp_path / "db.json"
    store = Store(path)
    insert(store, "a", "b")
    store.close()

    database = TinyDB(path)
    assert [doc["id"] for doc in database.table(f"{NS}/customers").all()] == ["a", "b"]
    database.close()


def test_unclosed_store_is_recovered_from_the_journal(tmp_path):
    path = tmp_path / "db.json"
    store = Store(path)
    insert(store, "a", "b")
    with store.transaction() as tx:
        tx.put(NS, "customers", {"id": "a", "name": "renamed"})
        tx.delete(NS, "customers", "b")
    store.abandon()  # as if the process were killed: no compaction

    reopened = Store(path)
    assert reopened.replayed == 2
    assert [doc for doc in _all(reopened)] == [{"id": "a", "name": "renamed"}]
    reopened.close()


def test_torn_final_journal_record_is_dropped(tmp_path):
    path = tmp_path / "db.json"
    store = Store(path)
    insert(store, "a")
    store.abandon()
    journal = tmp_path / "db.json.journal"
    with journal.open("ab") as handle:
        handle.write(b'[["put","ns_test/customers",2,{"id":"b"')

    reopened = Store(path)
    assert [doc["id"] for doc in _all(reopened)] == ["a"]
    insert(reopened, "c")
    reopened.abandon()
    again = Store(path)
    assert [doc["id"] for doc in _all(again)] == ["a", "c"]
    again.close()


def test_damaged_journal_line_in_the_middle_refuses_to_start(tmp_path):
    path = tmp_path / "db.json"
    store = Store(path)
    insert(store, "a")
    insert(store, "b")
    store.abandon()
    journal = tmp_path / "db.json.journal"
    lines = journal.read_bytes().split(b"\n")
    lines[1] = b"not json"
    journal.write_bytes(b"\n".join(lines))

    with pytest.raises(StorageError, match="line 2 is damaged"):
        Store(path)


def test_background_compactions_lose_no_write(tmp_path):
    path = tmp_path / "db.json"
    store = Store(path, compact_bytes=2000)
    for number in range(200):
        insert(store, f"c{number}")
    store.wait_for_compaction()
    assert store.wal.generation >= 1
    store.abandon()

    reopened = Store(path)
    assert reopened.count(NS, "customers") == 200
    reopened.close()
    database = TinyDB(path)
    assert len(database.table(f"{NS}/customers")) == 200
    database.close()


def test_crash_between_rotation_and_snapshot_is_recovered(tmp_path):
    path = tmp_path / "db.json"
    store = Store(path)
    insert(store, "a")
    store.wal.rotate()  # the old log is now waiting as .compacting
    insert(store, "b")
    store.abandon()

    assert (tmp_path / "db.json.journal.compacting").exists()
    reopened = Store(path)
    assert sorted(doc["id"] for doc in _all(reopened)) == ["a", "b"]
    assert not (tmp_path / "db.json.journal.compacting").exists()
    reopened.close()


def test_crash_after_snapshot_before_cleanup_replays_nothing_twice(tmp_path):
    path = tmp_path / "db.json"
    store = Store(path)
    insert(store, "a")
    store.save_snapshot(NS, "s")
    waiting = tmp_path / "db.json.journal.compacting"
    compacting = []

    def keep_compacting(step: str) -> None:
        if step == "snapshot.rename":  # rotated, snapshot written, not yet in place
            compacting.append(waiting.read_bytes())

    store.wal.before_step = keep_compacting
    assert store.compact() is True
    waiting.write_bytes(compacting[0])  # cleanup never happened
    with store.transaction() as tx:
        tx.delete(NS, "customers", "a")
    store.abandon()

    reopened = Store(path)
    assert _all(reopened) == []
    assert reopened.restore_snapshot(NS, "s") == {"customers": 1}
    reopened.close()


def test_a_second_process_is_refused(tmp_path):
    path = tmp_path / "db.json"
    store = Store(path)

    with pytest.raises(StorageError, match="already in use"):
        Store(path)
    store.close()
    Store(path).close()


def test_unreadable_snapshot_is_a_clear_error(tmp_path):
    path = tmp_path / "db.json"
    path.write_text("{not json")

    with pytest.raises(StorageError, match="cannot read the database"):
        Store(path)


def test_journal_lines_are_json_transactions(tmp_path):
    path = tmp_path / "db.json"
    store = Store(path)
    insert(store, "a", "b")
    lines = (tmp_path / "db.json.journal").read_text().splitlines()
    store.close()

    assert json.loads(lines[0]) == {"base": 0, "seq": 0}
    assert [change[0] for change in json.loads(lines[1])] == ["put", "put"]


def test_failed_snapshots_keep_every_record_until_one_succeeds(tmp_path):
    path = tmp_path / "db.json"
    blocker = tmp_path / "db.json.tmp"
    blocker.mkdir()  # every snapshot write fails while this is a folder
    store = Store(path, compact_bytes=1000, retry_seconds=0)
    for number in range(150):
        insert(store, f"c{number}")
        store.wait_for_compaction()
    assert store.wal.generation >= 2, "several compactions were tried"
    store.abandon()  # killed

    blocker.rmdir()
    reopened = Store(path)
    assert reopened.count(NS, "customers") == 150
    reopened.close()
    database = TinyDB(path)
    assert len(database.table(f"{NS}/customers")) == 150
    database.close()


def test_dropped_namespaces_leave_no_cached_tables():
    store = Store(None)
    for number in range(200):
        with store.transaction() as tx:
            tx.insert(f"ns_{number}", "customers", {"id": "a"})
        store.clear_namespace(f"ns_{number}")

    assert store.cached_tables() == set()
