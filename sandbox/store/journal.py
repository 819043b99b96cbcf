"""The durable side of the store: a TinyDB snapshot file plus an append-only journal beside it.

Each committed transaction is one JSON line appended to ``<db>.journal`` and written to the kernel
before the response goes out, so a ``kill -9`` loses nothing that was acknowledged. The snapshot
``<db>`` is a plain TinyDB JSON file, only ever replaced whole (temporary file, fsync, rename), so
a crash can never leave a file that does not open. Start-up reads the snapshot and replays the
journal; a torn final line (a crash mid-append) is dropped.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Iterable

from .tables import Change

__all__ = ("Journal", "StorageError", "apply_change", "write_snapshot", "read_snapshot")

log = logging.getLogger("sandbox.store")

Tables = dict[str, dict[str, Any]]


class StorageError(RuntimeError):
    """The database files cannot be used; the message says which file and why."""


def apply_change(tables: Tables, change: Change) -> None:
    """Apply one change record to TinyDB-layout data (used by replay and compaction)."""
    kind, name = change[0], change[1]
    if kind == "put":
        tables.setdefault(name, {})[str(change[2])] = change[3]
    elif kind == "del":
        tables.get(name, {}).pop(str(change[2]), None)
    elif kind == "drop":
        tables.pop(name, None)
    elif kind == "table":
        tables[name] = {str(doc_id): doc for doc_id, doc in change[2].items()}
    else:
        raise ValueError(f"unknown change kind {kind!r}")


def read_snapshot(path: Path) -> Tables:
    if not path.exists():
        return {}
    try:
        with path.open("r", encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise StorageError(f"cannot read the database {path}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise StorageError(f"{path} is not a TinyDB database (expected an object of tables)")
    return data


def write_snapshot(path: Path, tables: Tables) -> None:
    """Replace ``path`` with ``tables`` atomically: temp file, fsync, rename, fsync directory."""
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write("{")
        for table_index, (name, table) in enumerate(tables.items()):
            handle.write(("," if table_index else "") + json.dumps(name) + ":{")
            handle.write(",".join(f"{json.dumps(str(i))}:{json.dumps(doc)}" for i, doc in table.items()))
            handle.write("}")
        handle.write("}")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class Journal:
    """Appends committed transactions to ``<db>.journal``; replays them at start-up."""

    def __init__(self, snapshot_path: Path, *, fsync: bool = False):
        self.snapshot_path = snapshot_path
        self.path = snapshot_path.with_name(snapshot_path.name + ".journal")
        self.fsync = fsync
        self._descriptor: int | None = None
        self.size = 0

    def load(self) -> tuple[Tables, int]:
        """Read the snapshot, replay the journal over it; return the data and records replayed."""
        self.snapshot_path.parent.mkdir(parents=True, exist_ok=True)
        tables = read_snapshot(self.snapshot_path)
        replayed = 0
        if self.path.exists():
            replayed = self._replay(tables)
        self._descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.size = os.fstat(self._descriptor).st_size
        return tables, replayed

    def _replay(self, tables: Tables) -> int:
        with self.path.open("rb") as handle:
            content = handle.read()
        good_end = 0
        replayed = 0
        lines = content.split(b"\n")
        for number, line in enumerate(lines[:-1], start=1):
            try:
                changes = json.loads(line)
                for change in changes:
                    apply_change(tables, change)
            except (ValueError, IndexError, TypeError, AttributeError) as exc:
                raise StorageError(
                    f"{self.path} line {number} is damaged ({exc}); "
                    "move the journal aside to start from the snapshot alone"
                ) from None
            good_end += len(line) + 1
            replayed += 1
        if lines[-1]:
            log.warning("dropped a torn final journal record (%d bytes)", len(lines[-1]))
            with self.path.open("r+b") as handle:
                handle.truncate(good_end)
        return replayed

    def append(self, changes: Iterable[Change]) -> None:
        """Write one transaction as one line; it is durable against a process kill on return."""
        line = (json.dumps(list(changes), separators=(",", ":")) + "\n").encode("utf-8")
        os.write(self._descriptor, line)
        if self.fsync:
            os.fsync(self._descriptor)
        self.size += len(line)

    def compact(self, tables: Tables) -> None:
        """Fold everything into the snapshot and start an empty journal."""
        write_snapshot(self.snapshot_path, tables)
        os.ftruncate(self._descriptor, 0)
        self.size = 0

    def close(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None
