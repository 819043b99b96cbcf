"""The durable side of the store: a TinyDB snapshot file plus an append-only journal beside it.

Files, for ``--db data/db.json``:

- ``db.json``: the snapshot, a plain TinyDB JSON file, only ever replaced whole (temporary file,
  fsync, rename), so no crash can leave it unreadable. Its ``__sandbox__`` table records the
  snapshot's generation.
- ``db.json.journal``: one JSON line per committed transaction, written to the kernel before the
  response goes out, so a ``kill -9`` loses nothing acknowledged. Its first line names the
  snapshot generation it applies on top of.
- ``db.json.journal.compacting``: the previous journal while a compaction folds it into a new
  snapshot; removed once the snapshot is in place.
- ``db.json.lock``: held (``flock``) while a process has the database open.

Start-up reads the snapshot, replays whichever journal segments it does not already include and
drops a torn final line (a crash in the middle of an append, never acknowledged).
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Iterable

from .tables import Change, Tables

__all__ = ("Journal", "StorageError", "WriteFailed", "apply_change", "META_TABLE")

log = logging.getLogger("sandbox.store")

#: Table in the snapshot file that holds the sandbox's own bookkeeping.
META_TABLE = "__sandbox__"


class StorageError(RuntimeError):
    """The database files cannot be used; the message says which file and why."""


class WriteFailed(StorageError):
    """A change could not be made durable (disk full, file too large, read-only file system).

    The change was undone in memory, so what is stored and what is served stay the same.
    """


def apply_change(tables: Tables, change: Change) -> None:
    """Apply one change record to TinyDB-layout data (used by replay)."""
    kind, name = change[0], change[1]
    if kind == "put":
        tables.setdefault(name, {})[str(change[2])] = change[3]
    elif kind == "del":
        tables.get(name, {}).pop(str(change[2]), None)
    elif kind == "drop":
        tables.pop(name, None)
    elif kind == "table":
        tables[name] = {str(doc_id): doc for doc_id, doc in change[2].items()}
    elif kind == "copy":
        tables[change[2]] = dict(tables.get(name, {}))
    else:
        raise ValueError(f"unknown change kind {kind!r}")


def _encode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class _Segment:
    """One journal file as read at start-up: its base generation and its complete lines."""

    def __init__(self, path: Path):
        self.path = path
        content = path.read_bytes() if path.exists() else b""
        lines = content.split(b"\n")
        self.torn = lines[-1] != b""
        self.lines = [line for line in lines[:-1] if line]
        self.base: int | None = None
        if self.lines and self.lines[0].startswith(b'{"base"'):
            try:
                self.base = json.loads(self.lines.pop(0))["base"]
            except (ValueError, KeyError, TypeError):
                raise StorageError(f"{path} has a damaged header line") from None


class Journal:
    """Appends committed transactions to the journal; loads, rotates and compacts the files."""

    def __init__(self, snapshot_path: Path, *, fsync: bool = False):
        self.snapshot_path = snapshot_path
        self.path = snapshot_path.with_name(snapshot_path.name + ".journal")
        self.compacting_path = snapshot_path.with_name(snapshot_path.name + ".journal.compacting")
        self.lock_path = snapshot_path.with_name(snapshot_path.name + ".lock")
        self.fsync = fsync
        self.generation = 0
        self.size = 0
        self._descriptor: int | None = None
        self._lock_descriptor: int | None = None

    # -- start-up -------------------------------------------------------------------------

    def open(self) -> tuple[Tables, int]:
        """Lock the files, load the snapshot, replay the journal; return data and records replayed.

        :raises StorageError: when another process holds the database or a file is damaged.
        """
        try:
            self.snapshot_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create {self.snapshot_path.parent}: {exc.strerror}") from None
        self._acquire_lock()
        tables = self._read_snapshot()
        meta = tables.pop(META_TABLE, {}).get("1", {})
        self.generation = int(meta.get("generation", 0))
        replayed: list[bytes] = []
        segments = [_Segment(self.compacting_path), _Segment(self.path)]
        for segment in segments:
            if segment.base is not None and segment.base < self.generation:
                continue  # already folded into the snapshot
            for number, line in enumerate(segment.lines, start=2):
                try:
                    for change in json.loads(line):
                        apply_change(tables, change)
                except (ValueError, IndexError, TypeError, AttributeError) as exc:
                    raise StorageError(
                        f"{segment.path} line {number} is damaged ({exc}); move the file aside "
                        "to start from the snapshot and the remaining journal") from None
                replayed.append(line)
        if segments[-1].torn:
            log.warning("dropped a torn final journal record in %s", self.path)
        if self.compacting_path.exists() or segments[-1].torn or segments[-1].base is None:
            self._rewrite_journal(replayed)
        self._descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        self.size = os.fstat(self._descriptor).st_size
        return tables, len(replayed)

    def _acquire_lock(self) -> None:
        descriptor = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(descriptor)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                holder = self.lock_path.read_text().strip() or "another process"
                raise StorageError(
                    f"{self.snapshot_path} is already in use by {holder}; one database serves "
                    "one sandbox process (stop the other one or pass another --db)") from None
            raise
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"pid {os.getpid()}\n".encode())
        self._lock_descriptor = descriptor

    def _read_snapshot(self) -> Tables:
        if not self.snapshot_path.exists():
            return {}
        try:
            text = self.snapshot_path.read_text(encoding="utf-8")
            data = json.loads(text) if text.strip() else {}
        except (OSError, ValueError) as exc:
            raise StorageError(f"cannot read the database {self.snapshot_path}: {exc}") from None
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise StorageError(f"{self.snapshot_path} is not a TinyDB database")
        return data

    def _rewrite_journal(self, lines: list[bytes]) -> None:
        """Make the journal hold exactly ``lines`` on top of the current snapshot, atomically."""
        temporary = self.path.with_name(self.path.name + ".tmp")
        with temporary.open("wb") as handle:
            handle.write(_encode({"base": self.generation}).encode() + b"\n")
            for line in lines:
                handle.write(line + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        if self.compacting_path.exists():
            self.compacting_path.unlink()
        _fsync_directory(self.path.parent)

    # -- while serving ----------------------------------------------------------------------

    def append(self, changes: Iterable[Change]) -> None:
        """Write one transaction as one line; on return it survives a kill of the process.

        :raises OSError: when the line cannot be written (disk full, read-only file system).
        """
        line = (_encode(list(changes)) + "\n").encode("utf-8")
        view = memoryview(line)
        while view:
            written = os.write(self._descriptor, view)
            view = view[written:]
        if self.fsync:
            os.fsync(self._descriptor)
        self.size += len(line)

    def discard_partial(self) -> None:
        """After a failed append, cut the journal back to its last whole line."""
        try:
            os.ftruncate(self._descriptor, self.size)
        except OSError:
            log.error("could not cut a partial record from %s; it is dropped at start-up",
                      self.path)

    def rotate(self) -> int:
        """Start a new journal; the old one waits as ``.compacting``. Return the new generation.

        Call with the store locked, then ``write_snapshot`` with the tables as they were.
        """
        generation = self.generation + 1
        os.close(self._descriptor)
        if self.compacting_path.exists():
            self._append_to_compacting()  # an earlier snapshot failed: keep its records too
        else:
            os.replace(self.path, self.compacting_path)
        self._descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        header = (_encode({"base": generation}) + "\n").encode()
        os.write(self._descriptor, header)
        if self.fsync:
            os.fsync(self._descriptor)
            _fsync_directory(self.path.parent)
        self.generation = generation
        self.size = len(header)
        return generation

    def _append_to_compacting(self) -> None:
        """Move the journal's records after those still waiting in ``.compacting``."""
        lines = _Segment(self.path).lines
        with self.compacting_path.open("ab") as handle:
            for line in lines:
                handle.write(line + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.path.unlink()

    def write_snapshot(self, tables: Tables, generation: int) -> None:
        """Replace the snapshot with ``tables`` (temp file, fsync, rename); drop ``.compacting``."""
        temporary = self.snapshot_path.with_name(self.snapshot_path.name + ".tmp")
        meta = {META_TABLE: {"1": {"generation": generation, "format": 1}}}
        written = 0
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write("{")
            for index, (name, table) in enumerate({**meta, **tables}.items()):
                handle.write(("," if index else "") + json.dumps(name) + ":{")
                first = True
                for doc_id, document in table.items():
                    handle.write(("" if first else ",") + json.dumps(doc_id) + ":" + _encode(document))
                    first = False
                    written += 1
                    if written % 500 == 0:
                        time.sleep(0)  # let requests run (a greenlet switch under gevent)
                handle.write("}")
            handle.write("}")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.snapshot_path)
        _fsync_directory(self.snapshot_path.parent)
        if self.compacting_path.exists():
            self.compacting_path.unlink()

    def close(self) -> None:
        for descriptor in (self._descriptor, self._lock_descriptor):
            if descriptor is not None:
                os.close(descriptor)
        self._descriptor = self._lock_descriptor = None


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
