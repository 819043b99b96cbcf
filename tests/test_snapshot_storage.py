"""Saved snapshots on disk: bounded in number per namespace, exact after a restart, and a
shutdown with nothing new to fold leaves the database file alone."""

from __future__ import annotations

import errno
import os

import pytest
from conftest import API_KEY, OTHER_KEY, ApiClient

from rebilly_sandbox import create_app
from rebilly_sandbox.config import load_config
from rebilly_sandbox.store import Store

NS = "ns_snapshots"


@pytest.fixture
def app_config():
    return {"max_snapshots": 3}


def test_the_snapshot_limit_defaults_to_twenty():
    assert load_config({}, environ={})["max_snapshots"] == 20


def test_a_namespace_holds_at_most_max_snapshots(client):
    for name in ("a", "b", "c"):
        assert client.post(f"/__admin/snapshots/{name}").status_code == 201

    refused = client.post("/__admin/snapshots/d")

    assert refused.status_code == 422
    problem = refused.get_json()
    assert problem["invalidFields"][0]["field"] == "name"
    assert "--max-snapshots 3" in problem["invalidFields"][0]["message"]
    assert client.get("/__admin/snapshots").get_json() == ["a", "b", "c"]


def test_saving_over_a_name_or_after_a_delete_is_allowed(client):
    for name in ("a", "b", "c"):
        client.post(f"/__admin/snapshots/{name}")

    assert client.post("/__admin/snapshots/a").status_code == 201, "replacing adds nothing"
    assert client.request("DELETE", "/__admin/snapshots/b").status_code == 204
    assert client.post("/__admin/snapshots/d").status_code == 201
    assert client.get("/__admin/snapshots").get_json() == ["a", "c", "d"]


def test_the_limit_is_per_namespace(client):
    for name in ("a", "b", "c"):
        client.post(f"/__admin/snapshots/{name}")

    assert client.with_key(OTHER_KEY).post("/__admin/snapshots/a").status_code == 201


def test_a_bad_snapshot_limit_is_refused():
    from rebilly_sandbox.config import ConfigError

    with pytest.raises(ConfigError, match="max_snapshots"):
        load_config({"max_snapshots": "0"}, environ={})


def _email(store: Store, doc_id: str) -> str:
    with store.transaction() as tx:
        return tx.get(NS, "customers", doc_id)["email"]


def _put(store: Store, doc_id: str, email: str) -> None:
    with store.transaction() as tx:
        tx.put(NS, "customers", {"id": doc_id, "email": email})


def test_a_rotation_failing_part_way_does_not_change_a_saved_snapshot(tmp_path):
    path = tmp_path / "db.json"
    store = Store(path)
    _put(store, "c1", "first@example.com")
    store.save_snapshot(NS, "snap1")
    _put(store, "c1", "second@example.com")

    def fail_snapshot(step: str) -> None:
        if step == "snapshot.write":
            raise OSError(errno.ENOSPC, "No space left on device")

    store.wal.before_step = fail_snapshot
    assert store.compact() is False  # the records wait in .compacting
    _put(store, "c1", "third@example.com")

    def fail_after_merge(step: str) -> None:
        if step == "rotate.create":  # .compacting already holds a copy of the journal
            raise OSError(errno.EFBIG, "File too large")

    store.wal.before_step = fail_after_merge
    assert store.compact() is False
    _put(store, "c1", "fourth@example.com")
    store.abandon()  # killed

    again = Store(path)
    assert _email(again, "c1") == "fourth@example.com"
    assert again.restore_snapshot(NS, "snap1") == {"customers": 1}
    assert _email(again, "c1") == "first@example.com"
    again.close()


def test_a_shutdown_with_nothing_new_leaves_the_database_file_alone(tmp_path):
    path = tmp_path / "db.json"
    store = Store(path)
    _put(store, "c1", "a@example.com")
    for number in range(5):
        store.save_snapshot(NS, f"s{number}")
    store.close()
    written = os.stat(path)

    Store(path).close()

    unchanged = os.stat(path)
    assert (unchanged.st_ino, unchanged.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)


def test_snapshots_survive_a_restart_of_the_app(tmp_path):
    config = {"db": str(tmp_path / "db.json"), "max_snapshots": 2}
    app = create_app(config)
    api = ApiClient(app.test_client(), API_KEY)
    api.request("PUT", "/customers/c1", json={"email": "kept@example.com"})
    api.post("/__admin/snapshots/one")
    api.post("/__admin/snapshots/two")
    app.extensions["sandbox"].close()

    again = create_app(config)
    api = ApiClient(again.test_client(), API_KEY)
    try:
        assert api.get("/__admin/snapshots").get_json() == ["one", "two"]
        assert api.post("/__admin/snapshots/three").status_code == 422
        assert api.post("/__admin/snapshots/one/restore").status_code == 200
    finally:
        again.extensions["sandbox"].close()
