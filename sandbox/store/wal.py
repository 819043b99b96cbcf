"""The durable side of the store: a TinyDB snapshot file plus a write-ahead log beside it.

Files, for ``--db data/db.json`` (the write-ahead log's files keep the ``.journal`` names that
existing databases use):

- ``db.json``: the snapshot, a plain TinyDB JSON file, only ever replaced whole (temporary file,
  fsync, rename), so no crash can leave it unreadable. Its ``__sandbox__`` table records the
  snapshot's generation and the sequence number of the first record it does not hold.
- ``db.json.journal``: the write-ahead log, one JSON line per committed transaction, written to
  the kernel before the response goes out, so a ``kill -9`` loses nothing acknowledged. Its first
  line names the snapshot generation it applies on top of and the sequence number of its first
  record.
- ``db.json.journal.compacting``: the previous log while a compaction folds it into a new
  snapshot; removed once the snapshot is in place.
- ``db.json.lock``: held (``flock``) while a process has the database open.

Every record has a sequence number (its segment's first number plus its position), so start-up
applies each record exactly once: records the snapshot already holds, or that a crash left in two
segments, are skipped. Every file is replaced through a temporary file and a rename, and a step
that fails removes its temporary file and leaves the files as they were.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from ..jsonencode import dumps
from .tables import Change, Tables

__all__ = ("META_TABLE", "StorageError", "WriteAheadLog", "WriteFailed")

log = logging.getLogger("sandbox.store")

#: Table in the snapshot file that holds the sandbox's own bookkeeping.
META_TABLE = "__sandbox__"

#: Errors that mean "this file system cannot make a hard link" (then the log is copied).
_NO_LINKS = {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP}


class StorageError(RuntimeError):
    """The database files cannot be used; the message says which file and why."""


class WriteFailed(StorageError):
    """A change could not be made durable (disk full, file too large, read-only file system).

    The change was undone in memory, so what is stored and what is served stay the same.
    """


def _encode(value: Any) -> bytes:
    return dumps(value)


def _header(generation: int, sequence: int) -> bytes:
    return _encode({"base": generation, "seq": sequence}) + b"\n"


def _remove_quietly(path: Path) -> None:
    """Remove a temporary file this module made; leave anything else (a folder) alone."""
    try:
        if path.is_file():
            path.unlink()
    except OSError as exc:
        log.error("could not remove %s: %s", path, exc.strerror or exc)


class _Segment:
    """One journal file as read: its base generation, first sequence number and whole lines."""

    def __init__(self, path: Path):
        self.path = path
        content = path.read_bytes() if path.exists() else b""
        lines = content.split(b"\n")
        self.torn = lines[-1] != b""
        self.lines = [line for line in lines[:-1] if line]
        self.base: int | None = None
        self.seq: int | None = None
        if self.lines and self.lines[0].startswith(b'{"base"'):
            try:
                header = json.loads(self.lines.pop(0))
                self.base = _counter(header["base"])
                self.seq = None if header.get("seq") is None else _counter(header["seq"])
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
                raise StorageError(f"{path} has a damaged header line") from None

    def numbered(self) -> Iterable[tuple[int | None, bytes]]:
        """Each record with its sequence number (None in journals written before numbering)."""
        for offset, line in enumerate(self.lines):
            yield (None if self.seq is None else self.seq + offset), line


def _counter(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a counter")
    return value


class WriteAheadLog:
    """Appends committed transactions to the log; loads, rotates and compacts the files.

    The open journal is one file object, the only owner of its descriptor: rotation swaps in a
    new one only after every step that can fail has succeeded, so a descriptor number is never
    written to after it was closed (and reused, say, by a client's socket).
    """

    def __init__(self, snapshot_path: Path, *, fsync: bool = False):
        if not snapshot_path.name or snapshot_path.name in (".", ".."):
            raise StorageError(f"the database path {str(snapshot_path)!r} names no file; pass a "
                               "file such as sandbox-data/db.json, or 'memory'")
        self.snapshot_path = snapshot_path
        self.path = snapshot_path.with_name(snapshot_path.name + ".journal")
        self.compacting_path = snapshot_path.with_name(snapshot_path.name + ".journal.compacting")
        self.lock_path = snapshot_path.with_name(snapshot_path.name + ".lock")
        self.fsync = fsync
        self.generation = 0
        #: Sequence number the next appended record gets.
        self.seq = 0
        self.size = 0
        #: Called with a step's name before each step that touches the disk (tests inject
        #: failures here: ``append``, ``append.fsync``, ``rotate.link``, ``rotate.merge``,
        #: ``rotate.create``, ``rotate.rename``, ``snapshot.write``, ``snapshot.fsync``,
        #: ``snapshot.rename``, ``close``).
        self.before_step: Callable[[str], None] | None = None
        self._file: BinaryIO | None = None
        self._lock_file: BinaryIO | None = None
        self._records = 0
        self._rotation_seq: dict[int, int] = {}

    def _step(self, name: str) -> None:
        if self.before_step is not None:
            self.before_step(name)

    # -- start-up -------------------------------------------------------------------------

    def open(self) -> tuple[Tables, int]:
        """Lock the files, load the snapshot, replay the journal; return data and records replayed.

        :raises StorageError: when another process holds the database or a file is damaged or
            cannot be read or written (the message names the file).
        """
        try:
            self.snapshot_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create {self.snapshot_path.parent}: {exc.strerror}") from None
        try:
            self._acquire_lock()
            return self._load()
        except OSError as exc:
            self.close()
            raise StorageError(f"cannot open the database {self.snapshot_path}: "
                               f"{exc.filename or ''}: {exc.strerror or exc}") from None
        except BaseException:
            self.close()
            raise

    def _load(self) -> tuple[Tables, int]:
        for leftover in (self.snapshot_path.with_name(self.snapshot_path.name + ".tmp"),
                         self._fresh_path, self._merge_path, self._rewrite_path):
            _remove_quietly(leftover)
        tables = self._read_snapshot()
        self.generation, expected = self._read_meta(tables.pop(META_TABLE, {}))
        replayed: list[bytes] = []
        segments = [_Segment(self.compacting_path), _Segment(self.path)]
        for segment in segments:
            if segment.base is not None and segment.base < self.generation and (
                    segment.seq is None or expected is None):
                continue  # already folded into the snapshot
            for offset, (number, line) in enumerate(segment.numbered()):
                if number is not None and expected is not None and number < expected:
                    continue  # the snapshot or the segment before already holds it
                self._replay(tables, segment.path, offset + 2, line)
                replayed.append(line)
                expected = (number if number is not None else (expected or 0)) + 1
        self.seq = expected or 0
        if segments[-1].torn:
            log.warning("dropped a torn final journal record in %s", self.path)
        if (self.compacting_path.exists() or segments[-1].torn or segments[-1].base is None
                or segments[-1].seq is None or len(segments[-1].lines) != len(replayed)):
            self._rewrite_journal(replayed)
        self._file = open(self.path, "ab", buffering=0)
        self.size = os.fstat(self._file.fileno()).st_size
        self._records = len(replayed)
        return tables, len(replayed)

    @staticmethod
    def _replay(tables: Tables, path: Path, line_number: int, line: bytes) -> None:
        try:
            for record in json.loads(line):
                Change.from_record(record).apply(tables)
        except (ValueError, IndexError, TypeError, AttributeError, KeyError,
                RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise StorageError(
                f"{path} line {line_number} is damaged ({reason}); move the file aside "
                "to start from the snapshot and the remaining journal") from None

    def _read_meta(self, meta_table: Any) -> tuple[int, int | None]:
        """The snapshot's generation and the sequence number of the first record it lacks."""
        meta = meta_table.get("1", {}) if isinstance(meta_table, dict) else None
        try:
            if not isinstance(meta, dict):
                raise ValueError("not an object")
            generation = _counter(meta.get("generation", 0))
            sequence = None if meta.get("seq") is None else _counter(meta["seq"])
        except ValueError as exc:
            raise StorageError(f"{self.snapshot_path} has damaged bookkeeping in its "
                               f"{META_TABLE!r} table ({exc})") from None
        return generation, sequence

    @property
    def _fresh_path(self) -> Path:
        return self.path.with_name(self.path.name + ".new")

    @property
    def _merge_path(self) -> Path:
        return self.compacting_path.with_name(self.compacting_path.name + ".tmp")

    @property
    def _rewrite_path(self) -> Path:
        return self.path.with_name(self.path.name + ".tmp")

    def _acquire_lock(self) -> None:
        lock_file = open(self.lock_path, "ab+", buffering=0)
        try:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            lock_file.close()
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                holder = self.lock_path.read_text().strip() or "another process"
                raise StorageError(
                    f"{self.snapshot_path} is already in use by {holder}; one database serves "
                    "one sandbox process (stop the other one or pass another --db)") from None
            raise
        self._lock_file = lock_file
        lock_file.truncate(0)
        lock_file.write(f"pid {os.getpid()}\n".encode())

    def _read_snapshot(self) -> Tables:
        if not self.snapshot_path.exists():
            return {}
        try:
            text = self.snapshot_path.read_text(encoding="utf-8")
            if not text.strip():
                raise StorageError(
                    f"{self.snapshot_path} is empty; the sandbox never writes an empty database, "
                    "so it was cut short. Restore it from a copy, or delete it (and its .journal) "
                    "to start with an empty database")
            data = json.loads(text)
        except (OSError, ValueError, RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
            raise StorageError(f"cannot read the database {self.snapshot_path}: {reason}") from None
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise StorageError(f"{self.snapshot_path} is not a TinyDB database")
        return data

    def _rewrite_journal(self, lines: list[bytes]) -> None:
        """Make the journal hold exactly ``lines`` on top of the current snapshot, atomically."""
        _write_atomically(self._rewrite_path, self.path,
                          [_header(self.generation, self.seq - len(lines))]
                          + [line + b"\n" for line in lines])
        if self.compacting_path.exists():
            self.compacting_path.unlink()
        _fsync_directory(self.path.parent)

    # -- while serving ----------------------------------------------------------------------

    def append(self, changes: Iterable[Change]) -> None:
        """Write one transaction as one line; on return it survives a kill of the process.

        :raises OSError: when the line cannot be written (disk full, read-only file system).
        """
        line = _encode([change.record() for change in changes]) + b"\n"
        self._step("append")
        view = memoryview(line)
        while view:
            written = self._file.write(view)
            view = view[written:]
        if self.fsync:
            self._step("append.fsync")
            os.fsync(self._file.fileno())
        self.size += len(line)
        self.seq += 1
        self._records += 1

    def discard_partial(self) -> None:
        """After a failed append, cut the journal back to its last whole line."""
        try:
            self._file.truncate(self.size)
        except OSError:
            log.error("could not cut a partial record from %s; it is dropped at start-up",
                      self.path)

    def appends_to_its_path(self) -> bool:
        """Whether the open file is the one at ``path`` (after a failed rotation it must still be:
        appends never go to a file that was renamed away or replaced)."""
        if self._file is None:
            return False
        return os.fstat(self._file.fileno()).st_ino == os.stat(self.path).st_ino

    @property
    def has_records(self) -> bool:
        """Whether anything was written since the last snapshot (else compacting is pointless)."""
        return self._records > 0 or self.compacting_path.exists()

    def rotate(self) -> int:
        """Start a new journal; the old one waits as ``.compacting``. Return the new generation.

        Call with the store locked, then ``write_snapshot`` with the tables as they were. When a
        step fails, the files and the open journal stay as they were and the error is raised.
        """
        generation, sequence = self.generation + 1, self.seq
        fresh: BinaryIO | None = None
        linked = False
        try:
            if self.compacting_path.exists():
                self._merge_into_compacting()  # an earlier snapshot failed: keep its records
            else:
                linked = self._link_compacting()
            self._step("rotate.create")
            fresh = open(self._fresh_path, "wb", buffering=0)
            header = _header(generation, sequence)
            fresh.write(header)
            if self.fsync:
                os.fsync(fresh.fileno())
            self._step("rotate.rename")
            os.replace(self._fresh_path, self.path)
        except BaseException:
            if fresh is not None:
                fresh.close()
            _remove_quietly(self._fresh_path)
            if linked:
                _remove_quietly(self.compacting_path)
            raise
        previous, self._file = self._file, fresh
        previous.close()
        self.generation, self.size, self._records = generation, len(header), 0
        self._rotation_seq[generation] = sequence
        if self.fsync:
            try:
                _fsync_directory(self.path.parent)
            except OSError as exc:
                log.error("could not fsync %s: %s", self.path.parent, exc.strerror or exc)
        return generation

    def _link_compacting(self) -> bool:
        """Give the journal's records the name ``.compacting`` without copying them."""
        self._step("rotate.link")
        try:
            os.link(self.path, self.compacting_path)
            return True
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise
        self._merge_into_compacting()
        return False

    def _merge_into_compacting(self) -> None:
        """Make ``.compacting`` hold its own records and the journal's (each once), atomically."""
        self._step("rotate.merge")
        waiting = _Segment(self.compacting_path)
        journal = _Segment(self.path)
        if waiting.base is None:
            waiting.base, waiting.seq = journal.base, journal.seq
        following = None if waiting.seq is None else waiting.seq + len(waiting.lines)
        lines = [line + b"\n" for line in waiting.lines]
        lines += [line + b"\n" for number, line in journal.numbered()
                  if following is None or number is None or number >= following]
        header = _encode({"base": waiting.base or 0, "seq": waiting.seq}) + b"\n"
        _write_atomically(self._merge_path, self.compacting_path, [header] + lines)

    def write_snapshot(self, tables: Tables, generation: int) -> None:
        """Replace the snapshot with ``tables`` (temp file, fsync, rename); drop ``.compacting``.

        On failure the temporary file is removed and the journal files still hold everything.
        """
        temporary = self.snapshot_path.with_name(self.snapshot_path.name + ".tmp")
        sequence = self._rotation_seq.get(generation)
        meta = {META_TABLE: {"1": {"generation": generation, "seq": sequence, "format": 2}}}
        written = 0
        slice_start = time.monotonic()
        try:
            self._step("snapshot.write")
            with temporary.open("wb") as handle:
                handle.write(b"{")
                for index, (name, table) in enumerate({**meta, **tables}.items()):
                    handle.write((b"," if index else b"") + _encode(name) + b":{")
                    first = True
                    for doc_id, document in table.items():
                        handle.write((b"" if first else b",") + _encode(doc_id) + b":"
                                     + _encode(document))
                        first = False
                        written += 1
                        if written % 50 == 0 and time.monotonic() - slice_start > 0.005:
                            # Let requests run: under gevent a wait on a timer, so the loop
                            # polls its sockets first (sleep(0) would resume before that).
                            time.sleep(0.0005)
                            slice_start = time.monotonic()
                    handle.write(b"}")
                handle.write(b"}")
                handle.flush()
                self._step("snapshot.fsync")
                os.fsync(handle.fileno())
            self._step("snapshot.rename")
            os.replace(temporary, self.snapshot_path)
        except BaseException:
            _remove_quietly(temporary)
            raise
        self._rotation_seq = {g: s for g, s in self._rotation_seq.items() if g > generation}
        try:
            _fsync_directory(self.snapshot_path.parent)
            if self.compacting_path.exists():
                self.compacting_path.unlink()
        except OSError as exc:  # the snapshot is in place; start-up skips what it holds
            log.error("could not tidy up after the snapshot: %s", exc.strerror or exc)

    def close(self) -> None:
        """Release the journal and the lock; safe to call twice and after a failure."""
        try:
            self._step("close")
        except OSError as exc:
            log.error("closing %s: %s", self.path, exc.strerror or exc)
        for handle in (self._file, self._lock_file):
            if handle is not None:
                try:
                    handle.close()
                except OSError as exc:
                    log.error("closing %s: %s", handle.name, exc.strerror or exc)
        self._file = self._lock_file = None


def _write_atomically(temporary: Path, target: Path, chunks: list[bytes]) -> None:
    """Replace ``target`` with ``chunks`` via ``temporary`` (fsync, rename); tidy up on failure."""
    try:
        with temporary.open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        _remove_quietly(temporary)
        raise


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
