"""With ``--fixtures``, reads with ever-new keys keep a bounded number of seeded namespaces, and
every namespace still starts with the fixture set."""

from __future__ import annotations

import pytest
from conftest import API_KEY

from rebilly_sandbox import create_app, seeding

LIMIT = 5


@pytest.fixture
def app(monkeypatch, tmp_path):
    monkeypatch.setattr(seeding, "MAX_UNTOUCHED", LIMIT)
    app = create_app({"db": str(tmp_path / "db.json"), "fixtures": "default"})
    app.config["TESTING"] = True
    yield app
    app.extensions["sandbox"].close()


def _seeded(app) -> int:
    return sum(1 for kinds in app.extensions["sandbox"].store.namespaces().values()
               if seeding.SEEDED_KIND in kinds)


def _get(app, key: str, path: str = "/customers/cus_default_ben"):
    return app.test_client().get(path, headers={"REB-APIKEY": key})


def test_reads_with_new_keys_keep_a_bounded_number_of_namespaces(app):
    for number in range(40):
        assert _get(app, f"sk_sandbox_reader_{number}").status_code == 200

    assert _seeded(app) == LIMIT


def test_a_namespace_cleared_for_room_starts_with_the_fixture_set_again(app):
    assert _get(app, "sk_sandbox_first").status_code == 200
    for number in range(LIMIT + 3):
        _get(app, f"sk_sandbox_reader_{number}")

    again = _get(app, "sk_sandbox_first")

    assert again.status_code == 200 and again.get_json()["email"] == "ben.franklin@example.com"


def test_a_namespace_written_to_is_never_cleared(app):
    client = app.test_client()
    key = {"REB-APIKEY": API_KEY}
    assert _get(app, API_KEY).status_code == 200
    created = client.post("/customers", json={"email": "mine@example.com"}, headers=key)
    assert created.status_code == 201

    for number in range(LIMIT * 3):
        _get(app, f"sk_sandbox_reader_{number}")

    found = client.get(f"/customers/{created.get_json()['id']}", headers=key)
    assert found.status_code == 200
    assert _get(app, API_KEY).status_code == 200


def test_fixtures_loaded_by_the_admin_api_are_never_cleared(app):
    client = app.test_client()
    key = {"REB-APIKEY": API_KEY}
    loaded = client.post("/__admin/fixtures", headers=key,
                         json={"customers": [{"id": "cus_mine", "email": "mine@example.com"}]})
    assert loaded.status_code == 201

    for number in range(LIMIT * 3):
        _get(app, f"sk_sandbox_reader_{number}")

    assert client.get("/customers/cus_mine", headers=key).status_code == 200
    assert client.get("/customers/cus_default_ben", headers=key).status_code == 200


def test_after_a_restart_untouched_namespaces_still_count(tmp_path, monkeypatch):
    monkeypatch.setattr(seeding, "MAX_UNTOUCHED", LIMIT)
    config = {"db": str(tmp_path / "db.json"), "fixtures": "default"}
    for run in range(3):
        app = create_app(config)
        for number in range(LIMIT):
            assert _get(app, f"sk_sandbox_run{run}_{number}").status_code == 200
        app.extensions["sandbox"].close()

    app = create_app(config)
    try:
        _get(app, "sk_sandbox_last")
        assert _seeded(app) == LIMIT
    finally:
        app.extensions["sandbox"].close()


def test_reset_then_reads_see_the_fixture_set(app):
    client = app.test_client()
    key = {"REB-APIKEY": API_KEY}
    assert client.post("/__admin/reset", headers=key).status_code == 200

    listed = client.get("/customers", headers=key)

    assert {customer["id"] for customer in listed.get_json()} >= {"cus_default_ben",
                                                                  "cus_default_ada"}
