"""The /__admin API over HTTP and as Python calls: health, reset, fixtures, snapshots, export,
clock, request journal and the admin token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import API_KEY, OTHER_KEY

from rebilly_sandbox.admin import operations


class Admin:
    """Admin requests through the Flask test client, naming a namespace by its key."""

    def __init__(self, client, key: str | None = API_KEY, token: str | None = None):
        self.client, self.key, self.token = client, key, token

    def _headers(self) -> dict[str, str]:
        headers = {"REB-APIKEY": self.key} if self.key else {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def get(self, path: str, **kwargs):
        return self.client.get(f"/__admin{path}", headers=self._headers(), **kwargs)

    def post(self, path: str, json_body=None):
        return self.client.post(f"/__admin{path}", json=json_body, headers=self._headers())

    def delete(self, path: str):
        return self.client.delete(f"/__admin{path}", headers=self._headers())


@pytest.fixture
def admin(app):
    return Admin(app.test_client())


@pytest.fixture
def state(app):
    return app.extensions["sandbox"]


def test_health(admin):
    response = admin.get("/health")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["store"] == "memory"
    assert body["version"] and body["uptimeSeconds"] >= 0


def test_reset_of_one_namespace_leaves_another_untouched(client, admin):
    mine = client.post("/customers", {}).get_json()
    theirs = client.with_key(OTHER_KEY).post("/customers", {}).get_json()

    response = admin.post("/reset")

    assert response.status_code == 200
    assert response.get_json()["scope"] == "namespace"
    assert response.get_json()["removed"] == {"customers": 1}
    assert client.get(f"/customers/{mine['id']}").status_code == 404
    assert client.with_key(OTHER_KEY).get(f"/customers/{theirs['id']}").status_code == 200
    assert admin.post("/reset").get_json()["removed"] == {}, "reset is idempotent"
    assert client.post("/customers", {}).headers["X-RateLimit-Remaining"] == "2999"


def test_reset_without_a_namespace_resets_all(client, admin):
    client.post("/customers", {})
    client.with_key(OTHER_KEY).post("/customers", {})

    response = Admin(admin.client, key=None).post("/reset")

    assert response.get_json()["scope"] == "all"
    assert response.get_json()["removed"] == {"customers": 2}


def test_fixture_sets_are_listed(admin):
    sets = admin.get("/fixtures").get_json()

    default = next(entry for entry in sets if entry["name"] == "default")
    assert default["counts"] == {"websites": 2, "products": 1, "plans": 2, "tags": 2,
                                 "tokens": 2, "customers": 3, "paymentInstruments": 2,
                                 "transactions": 3}


def test_default_fixture_set_loads_every_kind(client, admin):
    response = admin.post("/fixtures/default")

    assert response.status_code == 201
    assert response.get_json()["loaded"] == {"websites": 2, "products": 1, "plans": 2,
                                             "tags": 2, "tokens": 2, "customers": 3,
                                             "paymentInstruments": 2, "transactions": 3}
    embedded = "website,leadSource,defaultPaymentInstrument"
    ben = client.get(f"/customers/cus_default_ben?expand={embedded}")
    assert ben.status_code == 200
    ben = ben.get_json()
    assert ben["_embedded"]["website"]["name"] == "Example Store"
    assert ben["_embedded"]["leadSource"]["source"] == "google"
    assert ben["_embedded"]["defaultPaymentInstrument"]["brand"] == "MasterCard"
    assert client.get("/tokens/tok_default_used").get_json()["isUsed"] is True
    assert client.get("/tokens/tok_default_valid").get_json()["isUsed"] is False
    assert client.post("/customers", {"paymentToken": "tok_default_valid"}).status_code == 201


def test_a_broken_fixture_loads_nothing(client, admin, state):
    inline = {"websites": [{"id": "web_1", "name": "ok"}],
              "customers": [{"id": "c1", "email": "good@example.com"},
                            {"id": "c2", "primaryAddress": {"country": "gb"}}]}

    response = admin.post("/fixtures", inline)

    assert response.status_code == 422
    assert response.get_json()["invalidFields"] == [{
        "field": "customers.1.primaryAddress.country",
        "message": "Must be an ISO 3166-1 alpha-2 country code in capitals, such as US or GB."}]
    assert [ns for ns in state.store.namespaces() if ns.startswith("ns_")] == []
    assert client.get("/customers/c1").status_code == 404


def test_an_inline_fixture_set_loads(client, admin):
    response = admin.post("/fixtures", {"customers": [{"id": "inline-1", "firstName": "In"}]})

    assert response.status_code == 201
    assert client.get("/customers/inline-1").get_json()["firstName"] == "In"


@pytest.mark.parametrize("payload, field", [
    ({"customers": [{"email": "no-id@example.com"}]}, "customers.0.id"),
    ({"customers": {"id": "x"}}, "customers"),
    ({"customers": ["x"]}, "customers.0"),
    ({"people": []}, "people"),
    ({"tokens": [{"id": "t1", "method": "payment-card",
                  "paymentInstrument": {"pan": "1234", "expMonth": 1, "expYear": 2030}}]},
     "tokens.0.paymentInstrument.pan"),
])
def test_fixture_errors_name_the_record(admin, payload, field):
    response = admin.post("/fixtures", payload)

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["field"] == field


@pytest.mark.parametrize("name", ["../setup", "..%2Fsetup", "missing", "default.json", "%2e%2e"])
def test_fixture_names_are_looked_up_never_used_as_paths(admin, name):
    response = admin.post(f"/fixtures/{name}")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"


def test_loading_fixtures_needs_a_namespace(app):
    response = Admin(app.test_client(), key=None).post("/fixtures/default")

    assert response.status_code == 400
    assert "REB-APIKEY" in response.get_json()["detail"]


def test_snapshot_mutate_restore_gives_back_the_saved_state(client, admin):
    admin.post("/fixtures/default")
    before = client.get("/customers/cus_default_ada").get_json()
    assert admin.post("/snapshots/clean").status_code == 201
    client.request("PUT", "/customers/cus_default_ada", json={"email": "changed@example.com"})
    created = client.post("/customers", {}).get_json()

    restored = admin.post("/snapshots/clean/restore")

    assert restored.status_code == 200
    assert client.get("/customers/cus_default_ada").get_json() == before
    assert client.get(f"/customers/{created['id']}").status_code == 404
    assert admin.get("/snapshots").get_json() == ["clean"]
    assert admin.delete("/snapshots/clean").status_code == 204
    assert admin.post("/snapshots/clean/restore").status_code == 404
    assert admin.post("/snapshots/bad name!").status_code in (400, 404)


def test_snapshots_belong_to_their_namespace(client, admin):
    client.post("/customers", {})
    admin.post("/snapshots/mine")

    assert Admin(admin.client, key=OTHER_KEY).post("/snapshots/mine/restore").status_code == 404


def test_export_is_a_fixture_set_that_loads_back(client, admin, state):
    admin.post("/fixtures/default")
    exported = admin.get("/export").get_json()
    assert [c["id"] for c in exported["customers"]] == [
        "cus_default_ben", "cus_default_ada", "cus_default_lead"]

    other = Admin(admin.client, key=OTHER_KEY)
    assert other.post("/fixtures", exported).status_code == 201
    original = client.get("/customers/cus_default_ada").get_json()
    copy = client.with_key(OTHER_KEY).get("/customers/cus_default_ada").get_json()
    for field in ("email", "primaryAddress", "locale", "taxNumbers", "websiteId"):
        assert copy[field] == original[field], field
    assert [t["name"] for t in copy["tags"]] == [t["name"] for t in original["tags"]]


def test_clock_freeze_advance_set_and_back_to_real_time(client, admin):
    frozen = admin.post("/clock", {"action": "freeze", "time": "2030-01-01T00:00:00+00:00"})
    assert frozen.status_code == 200
    assert {name: value for name, value in frozen.get_json().items() if name != "billing"} \
        == {"now": "2030-01-01T00:00:00+00:00", "frozen": True, "offsetSeconds": None,
            "scope": "namespace"}
    assert frozen.get_json()["billing"]["steps"] == 0
    assert client.post("/customers", {}).get_json()["createdTime"] == "2030-01-01T00:00:00+00:00"

    admin.post("/clock", {"action": "advance", "seconds": 90})
    assert client.post("/customers", {}).get_json()["createdTime"] == "2030-01-01T00:01:30+00:00"
    admin.post("/clock", {"action": "set", "time": "2031-06-01T12:00:00Z"})
    assert admin.get("/clock").get_json()["now"] == "2031-06-01T12:00:00+00:00"
    other = client.with_key(OTHER_KEY).post("/customers", {}).get_json()
    assert not other["createdTime"].startswith("2031"), "other namespaces keep real time"

    real = admin.post("/clock", {"action": "real"}).get_json()
    assert real["frozen"] is False and real["scope"] == "global"


def test_moving_the_clock_expires_tokens(client, admin):
    token = client.post("/tokens", {"method": "payment-card", "paymentInstrument": {
        "pan": "4111111111111111", "expMonth": 1, "expYear": 2030}}).get_json()

    admin.post("/clock", {"action": "advance", "seconds": 31 * 60})

    response = client.post("/customers", {"paymentToken": token["id"]})
    assert response.status_code == 422


@pytest.mark.parametrize("body, field", [
    ({}, "action"), ({"action": "stop"}, "action"), ({"action": "set"}, "time"),
    ({"action": "advance"}, "seconds"), ({"action": "advance", "seconds": "ten"}, "seconds"),
    ({"action": "freeze", "time": "yesterday"}, "time"),
])
def test_clock_payloads_are_validated(admin, body, field):
    response = admin.post("/clock", body)

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["field"] == field


def test_request_journal_records_and_redacts(client, admin):
    client.post("/customers", {"email": "journal@example.com"})
    client.post("/customers", {"email": "bad"})
    client.get("/customers/nope")

    entries = admin.get("/requests").get_json()

    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/customers/nope", 404), ("POST", "/customers", 422), ("POST", "/customers", 201)]
    assert json.loads(entries[2]["body"]) == {"email": "journal@example.com"}
    assert entries[2]["headers"]["Reb-Apikey"] == "sk_sandbox_…cdef"
    assert API_KEY not in json.dumps(entries)
    assert [e["status"] for e in admin.get("/requests?status=422").get_json()] == [422]
    assert len(admin.get("/requests?method=post").get_json()) == 2
    assert len(admin.get("/requests?limit=1").get_json()) == 1
    assert admin.get("/requests?status=abc").status_code == 422
    assert admin.get("/requests", ).get_json() == entries
    assert client.with_key(OTHER_KEY) and Admin(admin.client, OTHER_KEY).get(
        "/requests").get_json() == []
    assert admin.delete("/requests").get_json() == {"cleared": 3}
    assert admin.get("/requests").get_json() == []


def test_admin_requests_are_not_journaled(admin):
    admin.get("/health")
    admin.post("/reset")

    assert admin.get("/requests").get_json() == []


@pytest.mark.slow
def test_request_journal_stays_bounded(client, state):
    for _ in range(5000):
        client.get("/customers/missing")

    assert len(state.journal.entries(state.namespace_for(API_KEY).id)) == 1000


@pytest.mark.parametrize("app_config", [{"admin_token": "s3cret-admin"}])
def test_admin_token_is_enforced(app, app_config):
    client = app.test_client()

    assert Admin(client).get("/faults").status_code == 401
    assert Admin(client, token="wrong").get("/requests").status_code == 401
    refused = Admin(client, token="wrong").post("/reset")
    assert refused.get_json()["title"] == "Unauthorized"
    assert "s3cret-admin" not in refused.get_data(as_text=True)
    assert Admin(client, token="s3cret-admin").post("/reset").status_code == 200
    assert Admin(client).get("/health").status_code == 200, "health checks carry no token"


@pytest.mark.parametrize("app_config", [{"fixtures": "default"}])
def test_start_up_fixtures_seed_every_namespace_and_come_back_on_reset(client, admin, app_config):
    assert client.get("/customers/cus_default_ben").status_code == 200
    client.request("PUT", "/customers/cus_default_ben", json={"email": "x@example.com"})
    client.post("/customers", {})

    result = admin.post("/reset").get_json()

    assert result["fixtures"] == "default"
    ben = client.get("/customers/cus_default_ben").get_json()
    assert ben["email"] == "ben.franklin@example.com"
    assert client.with_key(OTHER_KEY).get("/customers/cus_default_ada").status_code == 200


def test_every_operation_is_a_python_call(state):
    ns = state.namespace_for(API_KEY).id
    operations.load_fixtures(state, ns, "default")
    assert operations.save_snapshot(state, ns, "s")["saved"]["customers"] == 3
    assert operations.reset(state, ns)["removed"]["customers"] == 3
    assert operations.restore_snapshot(state, ns, "s")["restored"]["customers"] == 3
    assert operations.list_snapshots(state, ns) == ["s"]
    assert len(operations.export(state, ns)["customers"]) == 3
    assert operations.move_clock(state, ns, "advance", seconds=5)["scope"] == "namespace"
    assert operations.requests(state, ns, {}) == []
    assert operations.health(state)["status"] == "ok"


@pytest.mark.slow
def test_shipped_fixtures_are_in_the_wheel(tmp_path):
    import subprocess
    import sys
    import zipfile

    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
                    str(tmp_path), str(root)], check=True, timeout=300)
    wheel = next(tmp_path.glob("rebilly_sandbox-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()

    assert "rebilly_sandbox/fixture_data/default.json" in names
    assert "rebilly_sandbox/admin/operations.py" in names
    assert "rebilly_sandbox/store/wal.py" in names
