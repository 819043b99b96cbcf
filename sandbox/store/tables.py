"""TinyDB, minus its rewrite-everything writes.

Stock TinyDB rebuilds and rewrites a whole table on every insert. Here the documents live in a
``LiveStorage`` (TinyDB's own in-memory layout, ``{table: {doc_id: document}}``) and a
``JournaledTable`` changes one document at a time and reports each change, with what it replaced,
to the store, which journals it and can undo it. Reads are TinyDB's own (``get``, ``search``,
``all``, queries). Stored documents are never changed in place, only replaced, so a compaction
can serialise a shallow copy of the tables while requests go on.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from tinydb import TinyDB
from tinydb.storages import MemoryStorage
from tinydb.table import Table

__all__ = ("LiveStorage", "JournaledTable", "open_tinydb", "Change", "Tables")

#: A change record, as journaled and replayed:
#: ``["put", table, doc_id, document]``, ``["del", table, doc_id]``, ``["drop", table]``,
#: ``["table", table, {doc_id: document}]`` (a whole-table rewrite) or
#: ``["copy", source_table, target_table]`` (the target becomes a copy of the source).
Change = list
Tables = dict[str, dict[str, Any]]
Recorder = Callable[[Change, Any], None]


class LiveStorage(MemoryStorage):
    """In-memory TinyDB storage whose tables report changes instead of rewriting the data."""

    def __init__(self, data: Tables | None = None):
        super().__init__()
        self.memory: Tables = data if data is not None else {}
        self.record: Recorder = lambda change, before: None

    def read(self) -> Tables:
        return self.memory

    def write(self, data: Tables) -> None:
        raise RuntimeError("LiveStorage is changed through JournaledTable, never rewritten")


class JournaledTable(Table):
    """A TinyDB table whose writes cost one document, not the whole table."""

    def _raw(self, create: bool) -> dict[str, Any]:
        tables = self._storage.read()
        raw = tables.get(self.name)
        if raw is None and create:
            raw = tables[self.name] = {}
        return raw if raw is not None else {}

    def insert(self, document: Mapping) -> int:
        doc_id = self._get_next_id()
        self.put(doc_id, document)
        return doc_id

    def put(self, doc_id: int, document: Mapping) -> None:
        """Store ``document`` under ``doc_id``, replacing what was there."""
        stored = dict(document)
        raw = self._raw(create=True)
        before = raw.get(str(doc_id))
        raw[str(doc_id)] = stored
        self.clear_cache()
        self._storage.record(["put", self.name, doc_id, stored], before)

    def remove_ids(self, doc_ids: Iterable[int]) -> None:
        raw = self._raw(create=False)
        for doc_id in doc_ids:
            before = raw.pop(str(doc_id), None)
            if before is not None:
                self._storage.record(["del", self.name, doc_id], before)
        self.clear_cache()

    def _update_table(self, updater: Callable[[dict[int, Mapping]], None]) -> None:
        """Stock TinyDB's bulk writes (``update``, ``truncate``...): one whole-table record."""
        raw = self._raw(create=True)
        before = dict(raw)
        table = {self.document_id_class(doc_id): dict(doc) for doc_id, doc in raw.items()}
        updater(table)
        raw.clear()
        raw.update({str(doc_id): doc for doc_id, doc in table.items()})
        self.clear_cache()
        self._storage.record(["table", self.name, dict(raw)], before)


def open_tinydb(data: Tables | None = None) -> tuple[TinyDB, LiveStorage]:
    """A TinyDB over ``data`` (TinyDB's file layout) whose tables write one document at a time."""
    storage = LiveStorage(data)
    database = TinyDB(storage=lambda: storage)
    database.table_class = JournaledTable
    return database, storage
