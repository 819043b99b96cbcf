"""The real command-line server: served requests, durability across kills, exit codes, logs."""

from __future__ import annotations

import json
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from conftest import API_KEY, LiveSandbox
from tinydb import TinyDB

pytestmark = pytest.mark.served


def test_served_create_and_read_back(live):
    created = live.post("/customers/", {"email": "served@example.com"})

    assert created.status_code == 201
    assert created.headers["Location"] == f"{live.url}/customers/{created.json()['id']}"
    fetched = live.get(f"/customers/{created.json()['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created.json()


def test_request_log_redacts_the_key(tmp_path):
    sandbox = LiveSandbox(str(tmp_path / "db.json")).start()
    sandbox.post("/customers", {})
    output = sandbox.stop()

    assert "POST /customers 201" in output
    assert "sk_sandbox_…cdef" in output
    assert API_KEY not in output


def test_sigterm_exits_cleanly_and_leaves_a_stock_tinydb_file(tmp_path):
    sandbox = LiveSandbox(str(tmp_path / "db.json")).start()
    ids = [sandbox.post("/customers", {"firstName": f"n{i}"}).json()["id"] for i in range(5)]
    sandbox.stop()

    assert sandbox.process.returncode == 0
    database = TinyDB(tmp_path / "db.json")
    stored = [doc["id"] for table in database.tables() if table.endswith("/customers")
              for doc in database.table(table).all()]
    database.close()
    assert sorted(stored) == sorted(ids)


def _hammer(sandbox: LiveSandbox, acknowledged: list[str], stop: threading.Event) -> None:
    session = requests.Session()
    while not stop.is_set():
        try:
            response = session.post(sandbox.url + "/customers", json={"email": "k@example.com"},
                                    headers={"REB-APIKEY": API_KEY}, timeout=5)
        except requests.RequestException:
            return
        if response.status_code == 201:
            acknowledged.append(response.json()["id"])


def test_kill_9_loses_no_acknowledged_create(tmp_path):
    db = str(tmp_path / "db.json")
    rng = random.Random(1234)
    acknowledged: list[str] = []
    for _ in range(3):
        sandbox = LiveSandbox(db, "--rate-limit", "0", "--journal-compact-bytes", "200000").start()
        stop = threading.Event()
        writers = [threading.Thread(target=_hammer, args=(sandbox, acknowledged, stop))
                   for _ in range(4)]
        for writer in writers:
            writer.start()
        time.sleep(rng.uniform(0.3, 1.0))
        sandbox.stop(signal.SIGKILL)
        stop.set()
        for writer in writers:
            writer.join(timeout=10)

    assert len(acknowledged) > 100
    sandbox = LiveSandbox(db).start()
    try:
        missing = [cid for cid in acknowledged
                   if sandbox.get(f"/customers/{cid}").status_code != 200]
    finally:
        sandbox.stop()
    assert missing == []
    json.loads(Path(db).read_text())  # the snapshot is always whole JSON


def _run_cli(*args: str, timeout: float = 10) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rebilly_sandbox", *args], capture_output=True,
                          text=True, timeout=timeout)


def test_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run_cli("serve", "--port", str(port), "--db", "memory")

    assert result.returncode == 4
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_second_server_on_the_same_db_is_refused(live):
    result = _run_cli("serve", "--port", "0", "--db", live.db)

    assert result.returncode == 3
    assert "already in use" in result.stderr


def test_bad_setting_is_a_clear_error():
    result = _run_cli("serve", "--port", "not-a-port")

    assert result.returncode == 2
    assert "port" in result.stderr


def test_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SANDBOX_RATE_LIMIT", "5")
    sandbox = LiveSandbox(str(tmp_path / "db.json")).start()
    try:
        response = sandbox.post("/customers", {})
    finally:
        sandbox.stop()

    assert response.headers["X-RateLimit-Limit"] == "5"


def test_python_dash_m_and_console_script_show_help():
    result = _run_cli("serve", "--help")

    assert result.returncode == 0
    assert "--db" in result.stdout and "SANDBOX_DB" in result.stdout
