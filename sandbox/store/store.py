"""The store: every piece of sandbox state, by namespace and kind, behind one lock.

Services call ``store.transaction()`` and work through the ``Transaction`` it yields. The lock is
held for the whole operation and its changes go to the write-ahead log as one line, so a
multi-step create (tags, token, customer) is all-or-nothing: if anything fails, including the log
write, every change it made is undone. Documents are copied in, and out by ``get``, so no caller
can change stored state by mutating what it was given; ``view`` and ``indexed`` hand out the stored
documents to read, which stay as they were read because a write replaces a document, never
changes it in place.

Each namespace's kind is its own TinyDB table, ``<namespace>/<kind>``, and a namespace's saved
snapshots are tables too (``<namespace>/snapshots/<name>/<kind>``), so clearing, saving or
restoring a namespace costs in proportion to that namespace alone.

Nothing outside this package touches the store's private members: tests use the public
accessors (``path``, ``wal``, ``wait_for_compaction``, ``abandon``...), and a test checks it.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, ValuesView
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .tables import (
    Change,
    IndexedTable,
    IndexSpec,
    JournaledTable,
    LiveTables,
    Tables,
    read_only_copy,
)
from .wal import StorageError, WriteAheadLog, WriteFailed

__all__ = ("Store", "Transaction", "DuplicateId", "copy_document", "guard_stored_documents")

log = logging.getLogger("sandbox.store")

SNAPSHOTS = "snapshots"


class DuplicateId(KeyError):
    """A document with this id already exists in that namespace and kind."""


_SCALARS = frozenset((str, int, float, bool, type(None)))


def copy_document(value: Any) -> Any:
    """A deep copy of JSON-shaped data, several times faster than ``copy.deepcopy``.

    Plain dicts and lists take their scalars as they are rather than through a call each (most
    of a document's values are scalars); anything else goes through the general path.
    """
    kind = value.__class__
    if kind is dict:
        return {key: item if item.__class__ in _SCALARS else copy_document(item)
                for key, item in value.items()}
    if kind is list:
        return [item if item.__class__ in _SCALARS else copy_document(item)
                for item in value]
    if isinstance(value, dict):
        return {key: copy_document(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_document(item) for item in value]
    return value


#: How documents are copied into the store: plain copies, or read-only ones once
#: ``guard_stored_documents`` is on.
_copy_in: Callable[[Any], Any] = copy_document


def guard_stored_documents(enabled: bool = True) -> None:
    """Store read-only copies from now on, so that code changing a document it read from
    ``view``, ``read`` or ``indexed`` (which are the stored documents, not copies) fails at
    once with a TypeError instead of changing stored state unseen. The test suite turns this on;
    it costs a little on every write, so a served sandbox leaves it off."""
    global _copy_in
    _copy_in = read_only_copy if enabled else copy_document


def _without_gc(load: Callable[[], Any]) -> Any:
    """Run a bulk load with the cyclic garbage collector off, then freeze what it loaded.

    Parsing a large snapshot makes millions of objects; with the collector on, its passes over
    the growing heap cost several times the parse itself. Frozen objects are skipped by later
    passes, so the loaded documents do not slow every full collection while the sandbox serves.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return load()
    finally:
        if enabled:
            gc.enable()
        gc.freeze()


def live_table(namespace: str, kind: str) -> str:
    return f"{namespace}/{kind}"


def snapshot_prefix(namespace: str, name: str) -> str:
    return f"{namespace}/{SNAPSHOTS}/{name}/"


class Store:
    """All state, in TinyDB, with an optional write-ahead log that makes it survive restarts.

    :param path: the TinyDB snapshot file, or ``None`` to keep everything in memory.
    :param fsync: fsync the log after every transaction (survives power loss, slower).
    :param compact_bytes: fold the log into the snapshot once it is this large (``compact_bytes``
        may be changed while the store is open).
    :param retry_seconds: wait this long after a failed compaction before the next try, doubling
        with each failure up to ``MAX_RETRY_SECONDS``, so a full disk is not refilled in a loop.
    :raises StorageError: when the files cannot be opened or another process holds them.
    """

    #: The longest wait between two compaction attempts while they keep failing.
    MAX_RETRY_SECONDS = 60.0

    def __init__(self, path: str | Path | None = None, *, fsync: bool = False,
                 compact_bytes: int = 64 * 1024 * 1024, retry_seconds: float = 1.0):
        self._lock = threading.RLock()
        self._path = Path(path) if path is not None else None
        self._wal = WriteAheadLog(self._path, fsync=fsync) if self._path is not None else None
        self.compact_bytes = compact_bytes
        self._compactor: threading.Thread | None = None
        self._retry_seconds = retry_seconds
        self._retry_delay = retry_seconds
        self._retry_at = 0.0
        self.replayed = 0
        data: Tables = {}
        if self._wal:
            data, self.replayed = _without_gc(self._wal.open)
            log.info("opened %s: %d tables, replayed %d journal records",
                     self._wal.snapshot_path, len(data), self.replayed)
        self._live = LiveTables(data, self._record)
        self._pending: list[Change] | None = None
        self._undo: list[tuple[Change, Any]] = []

    @property
    def kind(self) -> str:
        return "tinydb-file" if self._wal else "memory"

    @property
    def path(self) -> Path | None:
        """The snapshot file, or None for a store kept in memory."""
        return self._path

    @property
    def wal(self) -> WriteAheadLog | None:
        """The write-ahead log, or None in memory or once closed: for reading its ``generation``
        and files, and for tests that inject disk failures through its ``before_step``."""
        return self._wal

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Hold the store for one whole operation; its changes commit or roll back together."""
        with self._lock:
            if self._pending is not None:  # nested: part of the outer transaction
                yield Transaction(self._live)
                return
            self._pending, self._undo = [], []
            try:
                yield Transaction(self._live)
                if self._pending and self._wal:
                    self._append(self._pending)
            except BaseException:
                self._rollback()
                raise
            finally:
                self._pending, self._undo = None, []
            if (self._wal and self._wal.size > self.compact_bytes
                    and time.monotonic() >= self._retry_at):
                self._start_compaction()

    def _append(self, changes: list[Change]) -> None:
        try:
            self._wal.append(changes)
        except OSError as exc:
            self._wal.discard_partial()
            raise WriteFailed(f"cannot write to {self._wal.path}: {exc.strerror or exc}") \
                from None

    def _record(self, change: Change, before: Any) -> None:
        if self._pending is None:
            raise RuntimeError("store changes must happen inside a transaction")
        self._pending.append(change)
        self._undo.append((change, before))

    def _rollback(self) -> None:
        """Undo the failed transaction's changes, newest first. Field indexes are undone with
        the documents (whole-table changes drop them instead), and a document whose delete is
        undone goes back to its place in insertion order, which lists rely on."""
        memory = self._live.memory
        touched, whole, reinserted = set(), set(), set()
        for change, before in reversed(self._undo):
            name = change.table
            touched.add(name)
            if change.op in ("put", "del"):
                table = memory.setdefault(name, {})
                key = str(change.doc_id)
                after = table.get(key)
                if before is None:
                    table.pop(key, None)
                else:
                    if after is None:
                        reinserted.add(name)
                    table[key] = before
                self._live.reindex(name, int(change.doc_id), after, before)
            else:
                whole.add(name)
                if before is None:
                    memory.pop(name, None)
                else:
                    memory[name] = before
        for name in reinserted - whole:
            table = memory[name]
            ordered = sorted(table.items(), key=lambda item: int(item[0]))
            table.clear()
            table.update(ordered)
        for name in touched:
            if name in memory and not memory[name] and not name.endswith("/@"):
                del memory[name]  # a table the failed transaction created
            self._live.forget(name, keep_field_indexes=name not in whole)

    # -- whole tables (namespaces and their snapshots) ----------------------------------------

    def _drop(self, name: str) -> None:
        before = self._live.memory.pop(name, None)
        if before is not None:
            self._record(Change("drop", name), before)
        self._live.forget(name)

    def _copy(self, source: str, target: str) -> None:
        memory = self._live.memory
        before = memory.get(target)
        memory[target] = dict(memory.get(source, {}))
        self._record(Change("copy", target, source=source), before)
        self._live.forget(target)

    def _tables_with_prefix(self, prefix: str) -> list[str]:
        return [name for name in self._live.memory if name.startswith(prefix)]

    def _live_tables(self, namespace: str) -> list[str]:
        prefix = f"{namespace}/"
        return [name for name in self._tables_with_prefix(prefix) if "/" not in name[len(prefix):]]

    def namespaces(self) -> dict[str, dict[str, int]]:
        """Every namespace holding data, with the number of documents of each kind."""
        with self._lock:
            result: dict[str, dict[str, int]] = {}
            for name, table in self._live.memory.items():
                namespace, _, kind = name.partition("/")
                if kind and "/" not in kind and table:
                    result.setdefault(namespace, {})[kind] = len(table)
            return result

    def clear_namespace(self, namespace: str) -> dict[str, int]:
        """Drop a namespace's live data (not its snapshots); return what was removed, by kind."""
        with self.transaction():
            removed = {}
            for name in self._live_tables(namespace):
                removed[name.split("/", 1)[1]] = len(self._live.memory[name])
                self._drop(name)
            return removed

    def clear_all(self) -> dict[str, int]:
        """Drop every namespace's live data, in one pass; return how many documents went."""
        removed: dict[str, int] = {}
        with self.transaction():
            for name in list(self._live.memory):
                namespace, _, kind = name.partition("/")
                if kind and "/" not in kind:
                    removed[kind] = removed.get(kind, 0) + len(self._live.memory[name])
                    self._drop(name)
        return {kind: count for kind, count in removed.items() if count}

    def save_snapshot(self, namespace: str, name: str) -> dict[str, int]:
        """Save a namespace's live data under ``name``, replacing an older snapshot of that name."""
        with self.transaction():
            prefix = snapshot_prefix(namespace, name)
            for old in self._tables_with_prefix(prefix):
                self._drop(old)
            saved = {}
            for table in self._live_tables(namespace):
                kind = table.split("/", 1)[1]
                self._copy(table, prefix + kind)
                saved[kind] = len(self._live.memory[table])
            self._live.memory.setdefault(prefix + "@", {})  # marks an empty snapshot
            self._record(Change("table", prefix + "@", document={}), None)
            return saved

    def restore_snapshot(self, namespace: str, name: str) -> dict[str, int] | None:
        """Make a namespace's live data what snapshot ``name`` saved; None if there is none."""
        with self.transaction():
            prefix = snapshot_prefix(namespace, name)
            saved = [t for t in self._tables_with_prefix(prefix) if not t.endswith("/@")]
            if not saved and prefix + "@" not in self._live.memory:
                return None
            for table in self._live_tables(namespace):
                self._drop(table)
            restored = {}
            for table in saved:
                kind = table[len(prefix):]
                self._copy(table, live_table(namespace, kind))
                restored[kind] = len(self._live.memory[table])
            return restored

    def snapshots(self, namespace: str) -> list[str]:
        with self._lock:
            prefix = f"{namespace}/{SNAPSHOTS}/"
            return sorted({name[len(prefix):].split("/", 1)[0]
                           for name in self._tables_with_prefix(prefix)})

    def delete_snapshot(self, namespace: str, name: str) -> bool:
        with self.transaction():
            tables = self._tables_with_prefix(snapshot_prefix(namespace, name))
            for table in tables:
                self._drop(table)
            return bool(tables)

    # -- single-step shorthands ---------------------------------------------------------------

    def get(self, namespace: str, kind: str, doc_id: str) -> dict[str, Any] | None:
        with self.transaction() as tx:
            return tx.get(namespace, kind, doc_id)

    def count(self, namespace: str, kind: str) -> int:
        with self.transaction() as tx:
            return tx.count(namespace, kind)

    # -- durability ---------------------------------------------------------------------------

    def _start_compaction(self) -> None:
        """Start folding the log into the snapshot in the background; the write that asked
        for it is already durable, so a failure here is logged and retried later."""
        if self._compactor is not None and self._compactor.is_alive():
            return
        try:
            generation, frozen = self._freeze()
        except (OSError, StorageError) as exc:
            self._compaction_failed(exc)
            return
        self._compactor = threading.Thread(target=self._write_snapshot, args=(generation, frozen),
                                           name="sandbox-compaction", daemon=True)
        self._compactor.start()

    def _freeze(self) -> tuple[int, Tables]:
        """Rotate the log and take the tables as they are now (documents are never mutated)."""
        with self._lock:
            generation = self._wal.rotate()
            return generation, {name: dict(table) for name, table in self._live.memory.items()}

    def _write_snapshot(self, generation: int, frozen: Tables) -> bool:
        try:
            self._wal.write_snapshot(frozen, generation)
        except OSError as exc:  # the log still holds everything; try again later
            self._compaction_failed(exc)
            return False
        log.info("compacted the journal into snapshot generation %d", generation)
        self._retry_delay, self._retry_at = self._retry_seconds, 0.0
        return True

    def _compaction_failed(self, error: Exception) -> None:
        log.error("compaction failed, journal kept, next try in %.0f s: %s",
                  self._retry_delay, getattr(error, "strerror", None) or error)
        self._retry_at = time.monotonic() + self._retry_delay
        self._retry_delay = min(self._retry_delay * 2, self.MAX_RETRY_SECONDS)

    def compact(self) -> bool:
        """Fold the log into the snapshot now and wait for it; False when that failed (it is
        logged, and the log still holds every write)."""
        if not self._wal:
            return True
        self.wait_for_compaction()
        try:
            frozen = self._freeze()
        except (OSError, StorageError) as exc:
            self._compaction_failed(exc)
            return False
        return self._write_snapshot(*frozen)

    def close(self) -> None:
        """Fold the log into the snapshot, so the file alone holds everything; release it.

        Nothing is rewritten when nothing changed since the last snapshot, and a compaction that
        fails leaves every write in the log for the next start.
        """
        if not self._wal:
            return
        try:
            self.wait_for_compaction()
            if self._wal.has_records:
                self.compact()
        finally:
            with self._lock:
                self._wal.close()
                self._wal = None

    def abandon(self) -> None:
        """Let go of the files as a killed process would: no compaction, nothing more written.

        A test aid for crash recovery: a new ``Store`` on the same path then finds what a restart
        after ``kill -9`` finds. A background compaction already running is waited for, so the
        files change no more; the store itself goes on in memory only.
        """
        self.wait_for_compaction()
        with self._lock:
            if self._wal:
                self._wal.close()
                self._wal = None

    def wait_for_compaction(self) -> None:
        """Return once a background compaction, if one is running, has finished."""
        compactor = self._compactor
        if compactor is not None:
            compactor.join()

    @property
    def next_compaction_at(self) -> float:
        """The ``time.monotonic()`` before which no write starts a compaction (0 unless the last
        one failed): failed compactions wait, so a full disk is not refilled in a loop."""
        return self._retry_at

    def retry_compaction_now(self) -> None:
        """End the wait after a failed compaction: the next write past ``compact_bytes`` tries
        again at once (the doubling delay before later retries stays as it is)."""
        self._retry_at = 0.0

    def cached_tables(self) -> set[str]:
        """Tables with anything cached about them (an id index, a TinyDB Table object); dropped
        namespaces and reads of unknown ones must leave none behind."""
        with self._lock:
            return self._live.cached_names()


class Transaction:
    """What a service may do to the store while it holds the lock."""

    def __init__(self, live: LiveTables):
        self._live = live

    def _table(self, namespace: str, kind: str) -> JournaledTable:
        return self._live.table(live_table(namespace, kind))

    def _ids(self, namespace: str, kind: str) -> dict[str, int]:
        return self._live.id_index(live_table(namespace, kind))

    def _documents(self, namespace: str, kind: str) -> dict[str, Any]:
        return self._live.documents(live_table(namespace, kind)) or {}

    def get(self, namespace: str, kind: str, doc_id: str) -> dict[str, Any] | None:
        number = self._ids(namespace, kind).get(doc_id)
        if number is None:
            return None
        return copy_document(self._documents(namespace, kind)[str(number)])

    def read(self, namespace: str, kind: str, doc_id: str) -> dict[str, Any] | None:
        """The stored document itself, not a copy, for a service that only reads it (a sale
        reads its customer and card): never change it; ``get`` a copy to change. It stays as it
        was read, like a ``view``'s documents, since writes replace documents."""
        number = self._ids(namespace, kind).get(doc_id)
        if number is None:
            return None
        return self._documents(namespace, kind)[str(number)]

    def exists(self, namespace: str, kind: str, doc_id: str) -> bool:
        return doc_id in self._ids(namespace, kind)

    def insert(self, namespace: str, kind: str, document: dict[str, Any]) -> None:
        """Add a new document; its ``id`` must be new in that namespace and kind."""
        index = self._ids(namespace, kind)
        if document["id"] in index:
            raise DuplicateId(document["id"])
        index[document["id"]] = self._table(namespace, kind).insert(_copy_in(document))
        self._live.keep_index(live_table(namespace, kind), index)

    def put(self, namespace: str, kind: str, document: dict[str, Any]) -> bool:
        """Insert or replace by ``id``; return True when the document is new."""
        number = self._ids(namespace, kind).get(document["id"])
        if number is None:
            self.insert(namespace, kind, document)
            return True
        self._table(namespace, kind).put(number, _copy_in(document))
        return False

    def update(self, namespace: str, kind: str, doc_id: str,
               changes: Mapping[str, Any]) -> dict[str, Any] | None:
        """Give a stored document new top-level members; return the new version (to read), or
        None when there is no such document. Only ``changes`` are copied in: the other members
        are shared with the version replaced, which no write ever changes, so a counter's bump
        does not copy the whole customer twice as ``get`` and ``put`` would.

        :raises ValueError: when ``changes`` would change the document's ``id``.
        """
        if "id" in changes and changes["id"] != doc_id:
            raise ValueError("update cannot change a document's id; delete and insert instead")
        number = self._ids(namespace, kind).get(doc_id)
        if number is None:
            return None
        current = self._documents(namespace, kind)[str(number)]
        updated = {**current, **copy_document(dict(changes))}
        if _copy_in is not copy_document:  # guarded: the new version refuses changes too
            updated = _copy_in(updated)
        self._table(namespace, kind).put(number, updated)
        return updated

    def delete(self, namespace: str, kind: str, doc_id: str) -> bool:
        number = self._ids(namespace, kind).pop(doc_id, None)
        if number is None:
            return False
        self._table(namespace, kind).remove_ids([number])
        return True

    def count(self, namespace: str, kind: str) -> int:
        return len(self._documents(namespace, kind))

    def view(self, namespace: str, kind: str) -> ValuesView[dict[str, Any]]:
        """The stored documents themselves, in insertion order.

        Never change them, and take a ``list`` of the view before writing to the same kind. A
        document may leave the transaction to be read (a list page does): every write replaces
        a stored document with a new copy and none is changed in place, so one read stays as it
        was. Copy it (``copy_document``) before changing anything in it.
        """
        return self._documents(namespace, kind).values()

    def indexed(self, namespace: str, kind: str, equality: Mapping[str, IndexSpec],
                ordered: Mapping[str, IndexSpec]) -> IndexedTable | None:
        """A namespace's documents of ``kind`` with field indexes, for reading while the lock is
        held (like ``view``): ``equality`` finds documents by a field's value, ``ordered`` walks
        them in a field's order. None when there are none. Each index is built on first use and
        kept in step with every change until the table is replaced as a whole."""
        return self._live.indexed(live_table(namespace, kind), equality, ordered)

    def all(self, namespace: str, kind: str) -> list[dict[str, Any]]:
        """Every document of a namespace and kind, in insertion order, as copies."""
        return [copy_document(doc) for doc in self._documents(namespace, kind).values()]

    def find(self, namespace: str, kind: str,
             predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Every document of a namespace and kind that ``predicate`` accepts, as copies."""
        if self._live.documents(live_table(namespace, kind)) is None:
            return []
        return [copy_document(dict(doc)) for doc in self._table(namespace, kind).search(predicate)]
