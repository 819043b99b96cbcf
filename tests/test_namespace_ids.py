"""Namespace ids are keyed with a random salt kept in each database, so an id shown on the
dashboard cannot be tested offline against guessed keys."""

from __future__ import annotations

import hashlib

from conftest import API_KEY, OTHER_KEY

from rebilly_sandbox import create_app
from rebilly_sandbox.auth import fingerprint, namespace_for
from rebilly_sandbox.store import Store

KEY = {"REB-APIKEY": API_KEY}


def _unsalted(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _open(db) -> object:
    app = create_app({"db": str(db)})
    app.config["TESTING"] = True
    return app


def test_two_databases_give_the_same_key_different_ids(tmp_path):
    first, second = _open(tmp_path / "a.json"), _open(tmp_path / "b.json")
    memory_one, memory_two = create_app({"db": "memory"}), create_app({"db": "memory"})
    try:
        ids = {app.extensions["sandbox"].namespace_for(API_KEY).id
               for app in (first, second, memory_one, memory_two)}
        assert len(ids) == 4
        assert namespace_for(API_KEY).id not in ids
    finally:
        for app in (first, second, memory_one, memory_two):
            app.extensions["sandbox"].close()


def test_the_same_database_keeps_its_ids_across_restarts(tmp_path):
    db = tmp_path / "db.json"
    app = _open(db)
    before = app.extensions["sandbox"].namespace_for(API_KEY).id
    created = app.test_client().post("/customers", json={"email": "a@example.com"}, headers=KEY)
    assert created.status_code == 201
    app.extensions["sandbox"].close()

    app = _open(db)
    try:
        assert app.extensions["sandbox"].namespace_for(API_KEY).id == before
        found = app.test_client().get(f"/customers/{created.get_json()['id']}", headers=KEY)
        assert found.status_code == 200
    finally:
        app.extensions["sandbox"].close()


def test_resetting_everything_keeps_the_salt(tmp_path):
    db = tmp_path / "db.json"
    app = _open(db)
    before = app.extensions["sandbox"].namespace_for(API_KEY).id
    reset = app.test_client().post("/__admin/reset")
    assert reset.status_code == 200 and reset.get_json()["removed"] == {}
    app.extensions["sandbox"].close()

    app = _open(db)
    try:
        assert app.extensions["sandbox"].namespace_for(API_KEY).id == before
    finally:
        app.extensions["sandbox"].close()


def test_a_database_made_before_salting_keeps_its_namespaces(tmp_path):
    db = tmp_path / "db.json"
    store = Store(db)
    with store.transaction() as tx:
        tx.insert(namespace_for(API_KEY).id, "customers", {"id": "cus_old", "email": "o@x.io"})
    store.close()

    for _ in range(2):  # and again after a restart
        app = _open(db)
        try:
            found = app.test_client().get("/customers/cus_old", headers=KEY)
            assert found.status_code == 200 and found.get_json()["email"] == "o@x.io"
        finally:
            app.extensions["sandbox"].close()


def test_the_unsalted_hash_of_a_key_is_in_no_admin_answer(app, client):
    client.post("/customers", {"email": "a@example.com"})
    client.with_key(OTHER_KEY).post("/customers", {})
    admin = app.test_client()
    admin.post("/__admin/faults", headers=KEY, json={"status": 503, "times": 1})
    admin.post("/__admin/snapshots/s", headers=KEY)
    salted = app.extensions["sandbox"].namespace_for(API_KEY).id

    answers = [admin.get(path, headers=KEY).get_data(as_text=True) for path in (
        "/__admin/", f"/__admin/?namespace={salted}", "/__admin/requests", "/__admin/export",
        "/__admin/faults", "/__admin/snapshots", "/__admin/clock", "/__admin/health")]
    answers.append(admin.post("/__admin/reset", headers=KEY).get_data(as_text=True))

    for key in (API_KEY, OTHER_KEY):
        unsalted = _unsalted(key)
        assert not any(unsalted[:12] in answer for answer in answers), key


def test_the_dashboard_shows_a_fingerprint_of_the_salted_id(app, client):
    client.post("/customers", {"email": "a@example.com"})
    salted = app.extensions["sandbox"].namespace_for(API_KEY).id

    page = app.test_client().get("/__admin/").get_data(as_text=True)

    assert f">{fingerprint(salted)}</a>" in page
    assert fingerprint(salted) == salted[3:15]
    assert "namespace=sandbox" not in page, "the database's own settings are no namespace"
