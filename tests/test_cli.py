"""The command line beyond serve: fixtures list and check, export from a server or a file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import API_KEY, LiveSandbox


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rebilly_sandbox", *args], capture_output=True,
                          text=True, timeout=60, env=env)


def test_fixtures_check_passes_on_the_shipped_sets():
    result = run_cli("fixtures", "check")

    assert result.returncode == 0
    assert ("ok default: 2 websites, 1 products, 2 plans, 2 tags, 2 tokens, 3 customers"
            in result.stdout)


def test_fixtures_check_names_the_broken_record(tmp_path):
    (tmp_path / "good.json").write_text(json.dumps({"customers": [{"id": "a"}]}))
    (tmp_path / "bad.json").write_text(json.dumps({"customers": [
        {"id": "b", "primaryAddress": {"country": "usa"}}]}))

    result = run_cli("fixtures", "check", "--fixtures-dir", str(tmp_path))

    assert result.returncode == 1
    assert "FAILED bad: customers.0.primaryAddress.country" in result.stdout
    assert ("ok good: 0 websites, 0 products, 0 plans, 0 tags, 0 tokens, 1 customers"
            in result.stdout)


def test_fixtures_list(tmp_path):
    result = run_cli("fixtures", "list")

    assert result.returncode == 0
    assert result.stdout.startswith("- default:")


@pytest.mark.served
def test_export_from_a_running_server_loads_back(tmp_path):
    sandbox = LiveSandbox(str(tmp_path / "db.json")).start()
    try:
        sandbox.post("/__admin/fixtures/default")
        out = tmp_path / "team.json"
        result = run_cli("export", "--namespace", API_KEY, "--url", sandbox.url, "-o", str(out))
    finally:
        sandbox.stop()

    assert result.returncode == 0, result.stderr
    exported = json.loads(out.read_text())
    assert [c["id"] for c in exported["customers"]] == [
        "cus_default_ben", "cus_default_ada", "cus_default_lead"]
    check = run_cli("fixtures", "check", "--fixtures-dir", str(tmp_path))
    assert "ok team: 2 websites, 1 products, 2 plans, 2 tags, 0 tokens, 3 customers" in check.stdout


@pytest.mark.served
def test_export_from_a_database_file(tmp_path):
    db = tmp_path / "db.json"
    sandbox = LiveSandbox(str(db)).start()
    sandbox.post("/customers", {"email": "file@example.com"})
    busy = run_cli("export", "--namespace", API_KEY, "--db", str(db))
    sandbox.stop()

    assert busy.returncode == 1 and "already in use" in busy.stderr
    result = run_cli("export", "--namespace", API_KEY, "--db", str(db))
    assert result.returncode == 0
    assert json.loads(result.stdout)["customers"][0]["primaryAddress"]["emails"][0]["value"] == \
        "file@example.com"


def test_export_without_a_server_is_a_clear_error():
    result = run_cli("export", "--namespace", API_KEY, "--url", "http://127.0.0.1:9")

    assert result.returncode == 1
    assert "no sandbox answers at http://127.0.0.1:9" in result.stderr


def test_version():
    result = run_cli("--version")

    assert result.returncode == 0 and result.stdout.startswith("rebilly-sandbox ")


def test_dockerfile_serves_on_all_interfaces_as_a_non_root_user_with_a_healthcheck():
    dockerfile = (Path(__file__).resolve().parents[1] / "Dockerfile").read_text()

    assert "USER sandbox" in dockerfile
    assert "HEALTHCHECK" in dockerfile and "/__admin/health" in dockerfile
    assert '"--host", "0.0.0.0"' in dockerfile
