"""TinyDB, minus its rewrite-everything writes.

Stock TinyDB rebuilds and rewrites a whole table on every insert. Here the documents live in a
``LiveStorage`` (TinyDB's own in-memory layout, ``{table: {doc_id: document}}``) and a
``JournaledTable`` changes one document at a time and reports each change as a small record, which
the store appends to its journal. Reads are TinyDB's own (``get``, ``search``, ``all``, queries).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from tinydb import TinyDB
from tinydb.storages import MemoryStorage
from tinydb.table import Table

__all__ = ("LiveStorage", "JournaledTable", "open_tinydb", "Change")

#: A change record: ``["put", table, doc_id, document]``, ``["del", table, doc_id]``,
#: ``["drop", table]`` or ``["table", table, {doc_id: document}]`` (a whole-table rewrite).
Change = list


class LiveStorage(MemoryStorage):
    """In-memory TinyDB storage that hands every change to a recorder instead of rewriting."""

    def __init__(self, data: dict[str, dict[str, Any]] | None = None):
        super().__init__()
        self.memory = data if data is not None else {}
        self.record: Callable[[Change], None] = lambda change: None

    def read(self) -> dict[str, dict[str, Any]]:
        return self.memory

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        # Only reached through stock TinyDB code paths that rewrite whole tables.
        for name, table in data.items():
            if self.memory.get(name) is not table:
                self.record(["table", name, table])
        self.memory = data


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
        self._raw(create=True)[str(doc_id)] = stored
        self.clear_cache()
        self._storage.record(["put", self.name, doc_id, stored])

    def remove_ids(self, doc_ids: Iterable[int]) -> None:
        raw = self._raw(create=False)
        for doc_id in doc_ids:
            if raw.pop(str(doc_id), None) is not None:
                self._storage.record(["del", self.name, doc_id])
        self.clear_cache()


def open_tinydb(data: dict[str, dict[str, Any]] | None = None) -> tuple[TinyDB, LiveStorage]:
    """A TinyDB over ``data`` (TinyDB's file layout) whose tables write one document at a time."""
    holder: list[LiveStorage] = []

    def storage_factory() -> LiveStorage:
        holder.append(LiveStorage(data))
        return holder[0]

    database = TinyDB(storage=storage_factory)
    database.table_class = JournaledTable
    return database, holder[0]
