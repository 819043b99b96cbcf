"""Fixture sets are judged whole before they are relied on: a start-up set that would not load
stops the server at start, and a malformed file is listed as invalid, never a 500 or a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import API_KEY, free_port

from rebilly_sandbox import create_app
from rebilly_sandbox.config import ConfigError

BAD_RECORD = {"customers": [{"id": "ok-1"}, {"id": "bad-1", "email": "not-an-email"}]}


def write_set(folder: Path, name: str, data: Any) -> None:
    text = data if isinstance(data, str) else json.dumps(data)
    (folder / f"{name}.json").write_text(text, encoding="utf-8")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rebilly_sandbox", *args], capture_output=True,
                          text=True, timeout=60)


# -- the start-up set ---------------------------------------------------------------------------


@pytest.mark.parametrize("data, named", [
    (BAD_RECORD, "customers.1.email"),
    ({"customers": [{"id": "c", "paymentToken": "no-such-token"}]}, "customers.0.paymentToken"),
    ({"customers": {"id": "c"}}, "customers: Must be a list"),
    ({"clients": []}, "clients: Unknown fixture section"),
    ("[1, 2]", "must be a JSON object"),
])
def test_a_start_up_set_that_would_not_load_is_refused_at_start(tmp_path, data, named):
    write_set(tmp_path, "broken", data)

    with pytest.raises(ConfigError, match="cannot be loaded") as refused:
        create_app({"db": "memory", "fixtures": "broken", "fixtures_dir": str(tmp_path)})

    assert named in str(refused.value)


def test_serve_with_a_broken_start_up_set_exits_with_the_config_error_code(tmp_path):
    write_set(tmp_path, "broken", BAD_RECORD)

    result = run_cli("serve", "--port", str(free_port()), "--db", str(tmp_path / "db.json"),
                     "--fixtures", "broken", "--fixtures-dir", str(tmp_path))

    assert result.returncode == 2
    assert "fixtures: set 'broken'" in result.stderr
    assert "customers.1.email: Not a valid email address." in result.stderr
    assert "Traceback" not in result.stderr


def test_a_valid_start_up_set_still_seeds_every_namespace(tmp_path):
    write_set(tmp_path, "team", {"tags": [{"name": "VIP", "type": "customer"}],
                                 "customers": [{"id": "c-1", "tags": [
                                     {"name": "vip", "type": "customer"}]}]})
    app = create_app({"db": "memory", "fixtures": "team", "fixtures_dir": str(tmp_path)})
    try:
        response = app.test_client().get("/customers/c-1", headers={"REB-APIKEY": API_KEY})
    finally:
        app.extensions["sandbox"].close()

    assert response.status_code == 200
    assert [tag["name"] for tag in response.get_json()["tags"]] == ["VIP"]


# -- listing sets -------------------------------------------------------------------------------


MALFORMED = {
    "number-section": ({"description": "x", "customers": 5}, "customers: Must be a list"),
    "object-section": ({"tags": {"name": "a"}}, "tags: Must be a list"),
    "text-section": ({"websites": "abc"}, "websites: Must be a list"),
    "record-not-object": ({"customers": [1]}, "customers.0: Must be an object"),
    "unknown-section": ({"clients": []}, "clients: Unknown fixture section"),
    "number-description": ({"description": 7}, "description: Must be text"),
    "not-an-object": ("[]", "must be a JSON object"),
    "not-json": ("{", "cannot be read"),
    "too-deep": ("[" * 100_000 + "]" * 100_000, "cannot be read"),
}


@pytest.fixture
def fixtures_folder(tmp_path: Path) -> Path:
    write_set(tmp_path, "good", {"description": "Fine.", "customers": [{"id": "a"}]})
    for name, (data, _) in MALFORMED.items():
        write_set(tmp_path, name, data)
    return tmp_path


def test_the_admin_listing_marks_malformed_sets_and_still_lists_the_rest(fixtures_folder):
    app = create_app({"db": "memory", "fixtures_dir": str(fixtures_folder)})
    try:
        response = app.test_client().get("/__admin/fixtures")
    finally:
        app.extensions["sandbox"].close()

    assert response.status_code == 200
    listed = {entry["name"]: entry for entry in response.get_json()}
    assert listed["good"] == {"name": "good", "description": "Fine.",
                              "counts": {"websites": 0, "products": 0, "plans": 0, "tags": 0,
                                         "tokens": 0, "customers": 1, "paymentInstruments": 0,
                                         "transactions": 0}}
    for name, (_, problem) in MALFORMED.items():
        assert set(listed[name]) == {"name", "error"}, name
        assert problem in listed[name]["error"], name


def test_loading_a_malformed_set_by_name_is_a_problem_not_a_500(fixtures_folder):
    app = create_app({"db": "memory", "fixtures_dir": str(fixtures_folder)})
    try:
        client = app.test_client()
        statuses = {name: client.post(f"/__admin/fixtures/{name}",
                                      headers={"REB-APIKEY": API_KEY}).status_code
                    for name in MALFORMED}
    finally:
        app.extensions["sandbox"].close()

    assert set(statuses.values()) <= {400, 422}, statuses


def test_fixtures_list_prints_each_malformed_set_without_a_traceback(fixtures_folder):
    result = run_cli("fixtures", "list", "--fixtures-dir", str(fixtures_folder))

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert ("- good: 0 websites, 0 products, 0 plans, 0 tags, 0 tokens, 1 customers"
            in result.stdout)
    for name in MALFORMED:
        assert f"FAILED {name}: " in result.stdout, name
    assert "FAILED number-section: customers: Must be a list of records." in result.stdout


def test_fixtures_check_reports_malformed_sets_without_a_traceback(fixtures_folder):
    result = run_cli("fixtures", "check", "--fixtures-dir", str(fixtures_folder))

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert ("ok good: 0 websites, 0 products, 0 plans, 0 tags, 0 tokens, 1 customers"
            in result.stdout)
    assert all(f"FAILED {name}: " in result.stdout for name in MALFORMED)


# -- tags in a set ------------------------------------------------------------------------------


def test_a_sets_tags_are_one_per_name_and_shared_with_its_customers(app):
    client = app.test_client()
    response = client.post("/__admin/fixtures", headers={"REB-APIKEY": API_KEY}, json={
        "tags": [{"name": "VIP", "type": "customer"}, {"name": "vip", "type": "customer"},
                 {"name": "Churned", "type": "customer"}],
        "customers": [{"id": "c-1", "tags": [{"name": "churned", "type": "customer"}]}]})

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["loaded"]["tags"] == 3
    customer = client.get("/customers/c-1", headers={"REB-APIKEY": API_KEY}).get_json()
    assert [tag["name"] for tag in customer["tags"]] == ["Churned"]
    exported = client.get("/__admin/export", headers={"REB-APIKEY": API_KEY}).get_json()
    assert [tag["name"] for tag in exported["tags"]] == ["VIP", "Churned"]
