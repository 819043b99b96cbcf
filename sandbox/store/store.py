"""The store: every piece of sandbox state, by namespace and kind, behind one lock.

Services call ``store.transaction()`` and work through the ``Transaction`` it yields; the lock is
held for the whole operation, so a multi-step create (tags, token, customer) is all-or-nothing and
no two threads interleave. Documents are copied in and out, so no caller can change stored state
by mutating what it was given. Each namespace kind is its own TinyDB table (``<namespace>/<kind>``),
so clearing a namespace costs in proportion to that namespace alone.
"""

from __future__ import annotations

import copy
import logging
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from tinydb import TinyDB

from .journal import Journal
from .tables import Change, JournaledTable, open_tinydb

__all__ = ("Store", "Transaction", "DuplicateId")

log = logging.getLogger("sandbox.store")


class DuplicateId(KeyError):
    """A document with this id already exists in that namespace and kind."""


def table_name(namespace: str, kind: str) -> str:
    return f"{namespace}/{kind}"


class Store:
    """All state, in TinyDB, with an optional journal that makes it survive restarts.

    :param path: the TinyDB snapshot file, or ``None`` to keep everything in memory.
    """

    def __init__(self, path: str | Path | None = None, *, fsync: bool = False,
                 compact_bytes: int = 64 * 1024 * 1024):
        self._lock = threading.RLock()
        self._journal = Journal(Path(path), fsync=fsync) if path is not None else None
        self._compact_bytes = compact_bytes
        data, replayed = self._journal.load() if self._journal else ({}, 0)
        if self._journal:
            log.info("opened %s: %d tables, replayed %d journal records",
                     self._journal.snapshot_path, len(data), replayed)
        self._db, self._storage = open_tinydb(data)
        self._pending: list[Change] | None = None
        self._storage.record = self._record
        self._index: dict[str, dict[str, int]] = {}
        for name in data:
            self._build_index(name)

    @property
    def kind(self) -> str:
        return "tinydb-file" if self._journal else "memory"

    @property
    def tinydb(self) -> TinyDB:
        return self._db

    def _build_index(self, name: str) -> dict[str, int]:
        raw = self._storage.memory.get(name, {})
        index = {doc["id"]: int(doc_id) for doc_id, doc in raw.items() if "id" in doc}
        self._index[name] = index
        return index

    def _record(self, change: Change) -> None:
        if self._pending is None:
            raise RuntimeError("store changes must happen inside a transaction")
        self._pending.append(change)

    @contextmanager
    def transaction(self) -> Iterator["Transaction"]:
        """Hold the store for one whole operation; its changes are journaled together."""
        with self._lock:
            outer = self._pending is not None
            if not outer:
                self._pending = []
            try:
                yield Transaction(self)
                if not outer and self._pending and self._journal:
                    self._journal.append(self._pending)
                    if self._journal.size > self._compact_bytes:
                        self._journal.compact(self._storage.memory)
            finally:
                if not outer:
                    self._pending = None

    # Shorthands for single-step reads.
    def get(self, namespace: str, kind: str, doc_id: str) -> dict[str, Any] | None:
        with self.transaction() as tx:
            return tx.get(namespace, kind, doc_id)

    def count(self, namespace: str, kind: str) -> int:
        with self.transaction() as tx:
            return tx.count(namespace, kind)

    def close(self) -> None:
        """Fold the journal into the snapshot, so the file alone holds everything."""
        with self._lock:
            if self._journal:
                self._journal.compact(self._storage.memory)
                self._journal.close()
                self._journal = None


class Transaction:
    """What a service may do to the store while it holds the lock."""

    def __init__(self, store: Store):
        self._store = store

    def _table(self, namespace: str, kind: str) -> JournaledTable:
        return self._store._db.table(table_name(namespace, kind))  # type: ignore[return-value]

    def _index(self, namespace: str, kind: str) -> dict[str, int]:
        name = table_name(namespace, kind)
        return self._store._index.get(name) or self._store._build_index(name)

    def get(self, namespace: str, kind: str, doc_id: str) -> dict[str, Any] | None:
        number = self._index(namespace, kind).get(doc_id)
        if number is None:
            return None
        return copy.deepcopy(dict(self._table(namespace, kind).get(doc_id=number)))

    def insert(self, namespace: str, kind: str, document: dict[str, Any]) -> None:
        """Add a new document; its ``id`` must be new in that namespace and kind."""
        index = self._index(namespace, kind)
        if document["id"] in index:
            raise DuplicateId(document["id"])
        index[document["id"]] = self._table(namespace, kind).insert(copy.deepcopy(document))

    def put(self, namespace: str, kind: str, document: dict[str, Any]) -> bool:
        """Insert or replace by ``id``; return True when the document is new."""
        index = self._index(namespace, kind)
        number = index.get(document["id"])
        if number is None:
            self.insert(namespace, kind, document)
            return True
        self._table(namespace, kind).put(number, copy.deepcopy(document))
        return False

    def delete(self, namespace: str, kind: str, doc_id: str) -> bool:
        number = self._index(namespace, kind).pop(doc_id, None)
        if number is None:
            return False
        self._table(namespace, kind).remove_ids([number])
        return True

    def count(self, namespace: str, kind: str) -> int:
        return len(self._index(namespace, kind))

    def find(self, namespace: str, kind: str,
             predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Every document of a namespace and kind that ``predicate`` accepts, as copies."""
        return [copy.deepcopy(dict(doc)) for doc in self._table(namespace, kind).search(predicate)]
