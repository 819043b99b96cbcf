"""The store: every piece of sandbox state, by namespace and kind, behind one lock.

Services call ``store.transaction()`` and work through the ``Transaction`` it yields. The lock is
held for the whole operation and its changes are journaled as one line, so a multi-step create
(tags, token, customer) is all-or-nothing: if anything fails, including the journal write, every
change it made is undone. Documents are copied in and out, so no caller can change stored state by
mutating what it was given.

Each namespace's kind is its own TinyDB table, ``<namespace>/<kind>``, and a namespace's saved
snapshots are tables too (``<namespace>/snapshots/<name>/<kind>``), so clearing, saving or
restoring a namespace costs in proportion to that namespace alone.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, ValuesView

from .journal import Journal, StorageError, WriteFailed
from .tables import Change, JournaledTable, Tables, open_tinydb

__all__ = ("Store", "Transaction", "DuplicateId", "copy_document")

log = logging.getLogger("sandbox.store")

SNAPSHOTS = "snapshots"


class DuplicateId(KeyError):
    """A document with this id already exists in that namespace and kind."""


def copy_document(value: Any) -> Any:
    """A deep copy of JSON-shaped data, several times faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {key: copy_document(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_document(item) for item in value]
    return value


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
    """All state, in TinyDB, with an optional journal that makes it survive restarts.

    :param path: the TinyDB snapshot file, or ``None`` to keep everything in memory.
    :param fsync: fsync the journal after every transaction (survives power loss, slower).
    :param compact_bytes: fold the journal into the snapshot once it is this large.
    :param retry_seconds: wait this long after a failed compaction before the next try, doubling
        with each failure up to ``MAX_RETRY_SECONDS``, so a full disk is not refilled in a loop.
    :raises StorageError: when the files cannot be opened or another process holds them.
    """

    #: The longest wait between two compaction attempts while they keep failing.
    MAX_RETRY_SECONDS = 60.0

    def __init__(self, path: str | Path | None = None, *, fsync: bool = False,
                 compact_bytes: int = 64 * 1024 * 1024, retry_seconds: float = 1.0):
        self._lock = threading.RLock()
        self._journal = Journal(Path(path), fsync=fsync) if path is not None else None
        self._compact_bytes = compact_bytes
        self._compactor: threading.Thread | None = None
        self._retry_seconds = retry_seconds
        self._retry_delay = retry_seconds
        self._retry_at = 0.0
        self.replayed = 0
        data: Tables = {}
        if self._journal:
            data, self.replayed = _without_gc(self._journal.open)
            log.info("opened %s: %d tables, replayed %d journal records",
                     self._journal.snapshot_path, len(data), self.replayed)
        self._db, self._storage = open_tinydb(data)
        self._storage.record = self._record
        self._pending: list[Change] | None = None
        self._undo: list[tuple[Change, Any]] = []
        self._index: dict[str, dict[str, int]] = {}

    @property
    def kind(self) -> str:
        return "tinydb-file" if self._journal else "memory"

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator["Transaction"]:
        """Hold the store for one whole operation; its changes commit or roll back together."""
        with self._lock:
            if self._pending is not None:  # nested: part of the outer transaction
                yield Transaction(self)
                return
            self._pending, self._undo = [], []
            try:
                yield Transaction(self)
                if self._pending and self._journal:
                    self._append(self._pending)
            except BaseException:
                self._rollback()
                raise
            finally:
                self._pending, self._undo = None, []
            if (self._journal and self._journal.size > self._compact_bytes
                    and time.monotonic() >= self._retry_at):
                self._start_compaction()

    def _append(self, changes: list[Change]) -> None:
        try:
            self._journal.append(changes)
        except OSError as exc:
            self._journal.discard_partial()
            raise WriteFailed(f"cannot write to {self._journal.path}: {exc.strerror or exc}") \
                from None

    def _record(self, change: Change, before: Any) -> None:
        if self._pending is None:
            raise RuntimeError("store changes must happen inside a transaction")
        self._pending.append(change)
        self._undo.append((change, before))

    def _rollback(self) -> None:
        memory = self._storage.memory
        touched = set()
        for change, before in reversed(self._undo):
            kind, name = change[0], change[1]
            if kind == "copy":
                name = change[2]
            touched.add(name)
            if kind in ("put", "del"):
                table = memory.setdefault(name, {})
                if before is None:
                    table.pop(str(change[2]), None)
                else:
                    table[str(change[2])] = before
            elif before is None:
                memory.pop(name, None)
            else:
                memory[name] = before
        for name in touched:
            if name in memory and not memory[name] and not name.endswith("/@"):
                del memory[name]  # a table the failed transaction created
            self._forget(name)

    # -- whole tables (namespaces and their snapshots) ----------------------------------------

    def _drop(self, name: str) -> None:
        before = self._storage.memory.pop(name, None)
        if before is not None:
            self._record(["drop", name], before)
        self._forget(name)

    def _copy(self, source: str, target: str) -> None:
        before = self._storage.memory.get(target)
        self._storage.memory[target] = dict(self._storage.memory.get(source, {}))
        self._record(["copy", source, target], before)
        self._forget(target)

    def _forget(self, name: str) -> None:
        """Drop what is cached about a table (its id index and TinyDB's Table object, with its
        next-id counter and query cache), so dropped namespaces leave nothing behind."""
        self._index.pop(name, None)
        self._db._tables.pop(name, None)  # TinyDB keeps every Table it ever made otherwise

    def _tables_with_prefix(self, prefix: str) -> list[str]:
        return [name for name in self._storage.memory if name.startswith(prefix)]

    def _live_tables(self, namespace: str) -> list[str]:
        prefix = f"{namespace}/"
        return [name for name in self._tables_with_prefix(prefix) if "/" not in name[len(prefix):]]

    def namespaces(self) -> dict[str, dict[str, int]]:
        """Every namespace holding data, with the number of documents of each kind."""
        with self._lock:
            result: dict[str, dict[str, int]] = {}
            for name, table in self._storage.memory.items():
                namespace, _, kind = name.partition("/")
                if kind and "/" not in kind and table:
                    result.setdefault(namespace, {})[kind] = len(table)
            return result

    def clear_namespace(self, namespace: str) -> dict[str, int]:
        """Drop a namespace's live data (not its snapshots); return what was removed, by kind."""
        with self.transaction():
            removed = {}
            for name in self._live_tables(namespace):
                removed[name.split("/", 1)[1]] = len(self._storage.memory[name])
                self._drop(name)
            return removed

    def clear_all(self) -> dict[str, int]:
        """Drop every namespace's live data, in one pass; return how many documents went."""
        removed: dict[str, int] = {}
        with self.transaction():
            for name in list(self._storage.memory):
                namespace, _, kind = name.partition("/")
                if kind and "/" not in kind:
                    removed[kind] = removed.get(kind, 0) + len(self._storage.memory[name])
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
                saved[kind] = len(self._storage.memory[table])
            self._storage.memory.setdefault(prefix + "@", {})  # marks an empty snapshot
            self._record(["table", prefix + "@", {}], None)
            return saved

    def restore_snapshot(self, namespace: str, name: str) -> dict[str, int] | None:
        """Make a namespace's live data what snapshot ``name`` saved; None if there is none."""
        with self.transaction():
            prefix = snapshot_prefix(namespace, name)
            saved = [t for t in self._tables_with_prefix(prefix) if not t.endswith("/@")]
            if not saved and prefix + "@" not in self._storage.memory:
                return None
            for table in self._live_tables(namespace):
                self._drop(table)
            restored = {}
            for table in saved:
                kind = table[len(prefix):]
                self._copy(table, live_table(namespace, kind))
                restored[kind] = len(self._storage.memory[table])
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
        """Start folding the journal into the snapshot in the background; the write that asked
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
        """Rotate the journal and take the tables as they are now (documents are never mutated)."""
        with self._lock:
            generation = self._journal.rotate()
            return generation, {name: dict(table) for name, table in self._storage.memory.items()}

    def _write_snapshot(self, generation: int, frozen: Tables) -> bool:
        try:
            self._journal.write_snapshot(frozen, generation)
        except OSError as exc:  # the journal still holds everything; try again later
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
        """Fold the journal into the snapshot now and wait for it; False when that failed (it
        is logged, and the journal still holds every write)."""
        if not self._journal:
            return True
        if self._compactor is not None:
            self._compactor.join()
        try:
            frozen = self._freeze()
        except (OSError, StorageError) as exc:
            self._compaction_failed(exc)
            return False
        return self._write_snapshot(*frozen)

    def close(self) -> None:
        """Fold the journal into the snapshot, so the file alone holds everything; release it.

        Nothing is rewritten when nothing changed since the last snapshot, and a compaction that
        fails leaves every write in the journal for the next start.
        """
        if not self._journal:
            return
        try:
            if self._compactor is not None:
                self._compactor.join()
            if self._journal.has_records:
                self.compact()
        finally:
            with self._lock:
                self._journal.close()
                self._journal = None


class Transaction:
    """What a service may do to the store while it holds the lock."""

    def __init__(self, store: Store):
        self._store = store

    def _table(self, namespace: str, kind: str) -> JournaledTable:
        return self._store._db.table(live_table(namespace, kind))  # type: ignore[return-value]

    def _index(self, namespace: str, kind: str) -> dict[str, int]:
        """Ids to TinyDB document ids; cached only for tables that exist, so reads with
        ever-new keys leave nothing behind."""
        name = live_table(namespace, kind)
        index = self._store._index.get(name)
        if index is None:
            raw = self._store._storage.memory.get(name)
            if raw is None:
                return {}
            index = {doc["id"]: int(doc_id) for doc_id, doc in raw.items() if "id" in doc}
            self._store._index[name] = index
        return index

    def get(self, namespace: str, kind: str, doc_id: str) -> dict[str, Any] | None:
        number = self._index(namespace, kind).get(doc_id)
        if number is None:
            return None
        raw = self._store._storage.memory[live_table(namespace, kind)][str(number)]
        return copy_document(raw)

    def exists(self, namespace: str, kind: str, doc_id: str) -> bool:
        return doc_id in self._index(namespace, kind)

    def insert(self, namespace: str, kind: str, document: dict[str, Any]) -> None:
        """Add a new document; its ``id`` must be new in that namespace and kind."""
        index = self._index(namespace, kind)
        if document["id"] in index:
            raise DuplicateId(document["id"])
        index[document["id"]] = self._table(namespace, kind).insert(copy_document(document))
        self._store._index[live_table(namespace, kind)] = index

    def put(self, namespace: str, kind: str, document: dict[str, Any]) -> bool:
        """Insert or replace by ``id``; return True when the document is new."""
        number = self._index(namespace, kind).get(document["id"])
        if number is None:
            self.insert(namespace, kind, document)
            return True
        self._table(namespace, kind).put(number, copy_document(document))
        return False

    def delete(self, namespace: str, kind: str, doc_id: str) -> bool:
        number = self._index(namespace, kind).pop(doc_id, None)
        if number is None:
            return False
        self._table(namespace, kind).remove_ids([number])
        return True

    def count(self, namespace: str, kind: str) -> int:
        return len(self._store._storage.memory.get(live_table(namespace, kind), ()))

    def view(self, namespace: str, kind: str) -> ValuesView[dict[str, Any]]:
        """The stored documents themselves, in insertion order, for reading while the lock is held.

        Never change them, and take a ``list`` of the view before writing to the same kind: copy
        (``copy_document``) whatever leaves the transaction. Lists over large namespaces use this
        to copy only the page they return, at a cost that does not grow with the namespace.
        """
        return self._store._storage.memory.get(live_table(namespace, kind), {}).values()

    def all(self, namespace: str, kind: str) -> list[dict[str, Any]]:
        """Every document of a namespace and kind, in insertion order, as copies."""
        raw = self._store._storage.memory.get(live_table(namespace, kind), {})
        return [copy_document(doc) for doc in raw.values()]

    def find(self, namespace: str, kind: str,
             predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Every document of a namespace and kind that ``predicate`` accepts, as copies."""
        if live_table(namespace, kind) not in self._store._storage.memory:
            return []
        return [copy_document(dict(doc)) for doc in self._table(namespace, kind).search(predicate)]
