"""The disk failing at every step of write, rotation, compaction, snapshot and shutdown.

Each failure (disk full, file-size limit, read-only file system, a directory where a file should
be) is injected at each step through ``WriteAheadLog.before_step``. Whatever the step, the request
that could not be made durable answers 503 and changes nothing, a failed background compaction is
retried later, the server goes on answering, shutdown is clean, and a restart finds exactly the
acknowledged writes: none lost, none applied twice. Start-up with damaged or misplaced files ends
with one clear line and exit code 3, never a traceback.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests
from conftest import API_KEY, OTHER_KEY, ApiClient, LiveSandbox

from rebilly_sandbox import create_app
from rebilly_sandbox.auth import namespace_for
from rebilly_sandbox.store import Store

NS = namespace_for(API_KEY).id
ERRORS = [errno.ENOSPC, errno.EFBIG, errno.EROFS, errno.EISDIR]

#: (step, whether an earlier failed snapshot left records waiting in ``.compacting``).
STEPS = [
    ("append", False), ("append.fsync", False),
    ("rotate.link", False), ("rotate.merge", True),
    ("rotate.create", False), ("rotate.create", True),
    ("rotate.rename", False), ("rotate.rename", True),
    ("snapshot.write", False), ("snapshot.fsync", False), ("snapshot.rename", False),
    ("close", False),
]
WRITE_STEPS = {"append", "append.fsync"}
TEMPORARY_FILES = ("db.json.tmp", "db.json.journal.new", "db.json.journal.compacting.tmp",
                   "db.json.journal.tmp")


class Disk:
    """Fails the named step with ``code`` while armed (or only once)."""

    def __init__(self) -> None:
        self.step: str | None = None
        self.code = 0
        self.once = False
        self.hits = 0

    def fail(self, step: str, code: int, once: bool = False) -> None:
        self.step, self.code, self.once, self.hits = step, code, once, 0

    def heal(self) -> None:
        self.step = None

    def __call__(self, step: str) -> None:
        if step == self.step:
            self.hits += 1
            if self.once:
                self.step = None
            raise OSError(self.code, os.strerror(self.code))


def open_descriptors() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def put(api: ApiClient, customer: str, email: str):
    return api.request("PUT", f"/customers/{customer}", json={"email": email})


@pytest.mark.parametrize("code", ERRORS, ids=errno.errorcode.get)
@pytest.mark.parametrize("step, waiting", STEPS, ids=lambda v: str(v))
def test_a_disk_failure_at_any_step_loses_and_duplicates_nothing(tmp_path, step, waiting, code):
    path = tmp_path / "db.json"
    before = open_descriptors()
    app = create_app({"db": str(path), "fsync": True, "journal_compact_bytes": 10 ** 9,
                      "rate_limit": 0})
    state = app.extensions["sandbox"]
    store, wal = state.store, state.store.wal
    disk = Disk()
    wal.before_step = disk
    api = ApiClient(app.test_client())
    acknowledged: dict[str, str] = {}

    for number in range(3):
        assert put(api, f"c{number}", f"c{number}@example.com").status_code in (200, 201)
        acknowledged[f"c{number}"] = f"c{number}@example.com"
    assert api.post("/__admin/snapshots/s1").status_code in (200, 201)
    assert put(api, "c0", "changed@example.com").status_code == 200
    acknowledged["c0"] = "changed@example.com"
    if waiting:  # a snapshot failed earlier: its records wait in .compacting
        disk.fail("snapshot.write", errno.ENOSPC, once=True)
        assert store.compact() is False
        assert (tmp_path / "db.json.journal.compacting").exists()
        store.retry_compaction_now()

    # The failure: every write asks for a compaction, so each step is reached.
    store.compact_bytes = 0
    disk.fail(step, code)
    response = put(api, "c3", "c3@example.com")
    store.wait_for_compaction()
    if step in WRITE_STEPS:
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.get_json()["title"] == "Service Unavailable"
        assert api.get("/customers/c3").status_code == 404, "the refused write was undone"
    elif step != "close":
        assert response.status_code == 201, "the write was durable; only its compaction failed"
        acknowledged["c3"] = "c3@example.com"
        assert disk.hits and store.next_compaction_at > 0, \
            "a failed compaction waits before its retry"
    else:
        acknowledged["c3"] = "c3@example.com"
    assert api.get("/customers/c0").get_json()["email"] == "changed@example.com"
    store.wait_for_compaction()
    assert wal.appends_to_its_path(), "the open log is the file on disk"
    assert not [name for name in TEMPORARY_FILES if (tmp_path / name).is_file()]

    # The disk recovers: writes and the retried compaction succeed.
    disk.heal()
    store.retry_compaction_now()
    assert put(api, "c4", "c4@example.com").status_code == 201
    acknowledged["c4"] = "c4@example.com"
    store.wait_for_compaction()
    store.compact_bytes = 10 ** 9
    assert put(api, "c5", "c5@example.com").status_code == 201
    acknowledged["c5"] = "c5@example.com"

    # Shutdown meets the same failure: it still ends cleanly and releases every descriptor.
    disk.fail(step, code)
    assert put(api, "c6", "c6@example.com").status_code == (503 if step in WRITE_STEPS else 201)
    if step not in WRITE_STEPS:
        acknowledged["c6"] = "c6@example.com"
    state.close()
    assert open_descriptors() == before, "no descriptor is left open"

    again = Store(path)
    try:
        [namespace] = [name for name in again.namespaces() if name.startswith("ns_")]
        with again.transaction() as tx:
            stored = {doc["id"]: doc["email"] for doc in tx.all(namespace, "customers")}
        assert stored == acknowledged
        assert again.restore_snapshot(namespace, "s1")["customers"] == 3
        with again.transaction() as tx:
            assert tx.get(namespace, "customers", "c0")["email"] == "c0@example.com", \
                "a snapshot holds what it held when saved (no record applied twice)"
    finally:
        again.close()


def test_a_directory_where_a_compaction_writes_is_retried_not_looped(tmp_path):
    path = tmp_path / "db.json"
    (tmp_path / "db.json.journal.new").mkdir()  # every rotation fails while this is a folder
    store = Store(path, compact_bytes=200, retry_seconds=3600)
    for number in range(40):
        with store.transaction() as tx:
            tx.insert(NS, "customers", {"id": f"c{number}", "email": "x@example.com"})
        store.wait_for_compaction()
    assert store.wal.generation == 0, "one failed try, then a wait, not a loop"
    assert store.next_compaction_at > time.monotonic()
    store.close()  # the shutdown compaction fails too, cleanly

    (tmp_path / "db.json.journal.new").rmdir()
    again = Store(path)
    assert again.count(NS, "customers") == 40
    again.close()
    assert Store(path).replayed == 0, "the clean shutdown folded everything into the snapshot"


@pytest.mark.served
@pytest.mark.slow
def test_a_failed_rotation_sends_no_journal_bytes_to_another_client(tmp_path):
    """Under a 64 KiB file-size limit rotations and snapshots fail; idle connections opened
    meanwhile (which would get a reused descriptor number) must never receive a byte."""
    db = tmp_path / "db.json"
    limit = 64 * 1024

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    sandbox = LiveSandbox(str(db), "--rate-limit", "0", "--journal-compact-bytes", "10000")
    sandbox.start(preexec_fn=limited)
    idle: list[socket.socket] = []
    acknowledged, statuses = {}, []
    session = requests.Session()
    try:
        for number in range(400):
            if number % 10 == 0:
                idle.append(socket.create_connection(("127.0.0.1", sandbox.port)))
            email = f"tenant-a-{number}@example.com"
            response = session.put(f"{sandbox.url}/customers/leak-{number}",
                                   json={"email": email, "firstName": "Alexandra"},
                                   headers={"REB-APIKEY": API_KEY}, timeout=10)
            statuses.append(response.status_code)
            if response.status_code in (200, 201):
                assert response.json()["email"] == email
                acknowledged[f"leak-{number}"] = email
        other = requests.get(f"{sandbox.url}/customers", headers={"REB-APIKEY": OTHER_KEY},
                             timeout=10)
        assert other.status_code == 200 and other.json() == []
        for connection in idle:
            connection.setblocking(False)
            with pytest.raises(BlockingIOError):
                leaked = connection.recv(65536)
                raise AssertionError(f"an idle connection received {leaked[:200]!r}")
    finally:
        for connection in idle:
            connection.close()
        session.close()
        output = sandbox.stop(signal.SIGKILL)
    assert set(statuses) <= {200, 201, 503}, output[-3000:]
    assert 503 in statuses and acknowledged, "the limit was reached after some writes"
    assert "Traceback" not in output

    again = LiveSandbox(str(db), "--rate-limit", "0").start()
    try:
        listed = again.get("/customers?limit=1000").json()
        assert {c["id"]: c["email"] for c in listed} == acknowledged
    finally:
        again.stop()


# -- start-up --------------------------------------------------------------------------------

def _serve(db: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rebilly_sandbox", "serve", "--port", "0",
                           "--db", db], capture_output=True, text=True, timeout=30)


def _snapshot_with_meta(meta: object) -> str:
    return json.dumps({"__sandbox__": {"1": meta}, "ns/customers": {}})


STARTUP_DAMAGE = {
    "generation that is not a number": lambda d: (d / "db.json").write_text(
        _snapshot_with_meta({"generation": "x"})),
    "negative generation": lambda d: (d / "db.json").write_text(
        _snapshot_with_meta({"generation": -1})),
    "meta that is not an object": lambda d: (d / "db.json").write_text(
        _snapshot_with_meta([1, 2])),
    "bad sequence number": lambda d: (d / "db.json").write_text(
        _snapshot_with_meta({"generation": 1, "seq": "many"})),
    "directory as journal": lambda d: (d / "db.json.journal").mkdir(),
    "directory as lock": lambda d: (d / "db.json.lock").mkdir(),
    "directory as compacting": lambda d: (d / "db.json.journal.compacting").mkdir(),
    "directory as snapshot": lambda d: (d / "db.json").mkdir(),
    "deeply nested journal line": lambda d: (d / "db.json.journal").write_text(
        '{"base":0,"seq":0}\n' + "[" * 100_000 + "]" * 100_000 + "\n"),
    "deeply nested snapshot": lambda d: (d / "db.json").write_text(
        '{"a":' + "[" * 100_000 + "]" * 100_000 + "}"),
    "zero-byte snapshot": lambda d: (d / "db.json").write_bytes(b""),
}


@pytest.mark.served
@pytest.mark.parametrize("damage", STARTUP_DAMAGE, ids=str)
def test_damaged_or_misplaced_files_stop_start_up_with_one_clear_line(tmp_path, damage):
    STARTUP_DAMAGE[damage](tmp_path)

    result = _serve(str(tmp_path / "db.json"))

    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rebilly-sandbox: ") and "db.json" in lines[0]


@pytest.mark.served
def test_an_empty_database_path_is_a_clear_error():
    result = _serve("")

    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "names no file" in result.stderr


@pytest.mark.served
def test_the_zero_byte_snapshot_is_refused_not_read_as_empty(tmp_path):
    (tmp_path / "db.json").write_bytes(b"")

    assert "is empty" in _serve(str(tmp_path / "db.json")).stderr
    assert (tmp_path / "db.json").read_bytes() == b"", "the file is left for its owner to look at"


def test_export_from_a_missing_database_fails_and_creates_nothing(tmp_path):
    typo = tmp_path / "dbb.json"

    result = subprocess.run([sys.executable, "-m", "rebilly_sandbox", "export", "--namespace",
                             API_KEY, "--db", str(typo)],
                            capture_output=True, text=True, timeout=30)

    assert result.returncode != 0
    assert "no database" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
