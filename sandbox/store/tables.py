"""TinyDB, minus its rewrite-everything writes.

Stock TinyDB rebuilds and rewrites a whole table on every insert. Here the documents live in a
``LiveStorage`` (TinyDB's own in-memory layout, ``{table: {doc_id: document}}``) and a
``JournaledTable`` changes one document at a time and reports each change, with what it replaced,
to the store, which appends it to the write-ahead log and can undo it. Reads are TinyDB's own
(``get``, ``search``, ``all``, queries). Stored documents are never changed in place, only
replaced, so a compaction can serialise a shallow copy of the tables while requests go on.

``LiveTables`` gathers what the store and its transactions work on (the documents, the TinyDB
over them, an id index per table), so neither reaches into TinyDB's internals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from tinydb import TinyDB
from tinydb.storages import MemoryStorage
from tinydb.table import Table

__all__ = ("Change", "JournaledTable", "LiveStorage", "LiveTables", "Tables")

Tables = dict[str, dict[str, Any]]


class Change(NamedTuple):
    """One change to the tables, as the write-ahead log holds it and replay applies it.

    ``table`` is always the table that changes (for ``copy``, the target). On disk each change is
    the JSON list ``record()`` gives, the format every existing database file holds:
    ``["put", table, doc_id, document]``, ``["del", table, doc_id]``, ``["drop", table]``,
    ``["table", table, {doc_id: document}]`` (a whole-table rewrite) or
    ``["copy", source, table]`` (the table becomes a copy of the source).
    """

    op: str
    table: str
    doc_id: Any = None
    #: The new document (``put``), or every document by id (``table``).
    document: Any = None
    #: The table copied from (``copy``).
    source: str | None = None

    def record(self) -> list:
        """The change as the JSON list written to the write-ahead log."""
        op = self.op
        if op == "put":
            return [op, self.table, self.doc_id, self.document]
        if op == "del":
            return [op, self.table, self.doc_id]
        if op == "drop":
            return [op, self.table]
        if op == "table":
            return [op, self.table, self.document]
        if op == "copy":
            return [op, self.source, self.table]
        raise ValueError(f"unknown change kind {op!r}")

    @classmethod
    def from_record(cls, record: Any) -> Change:
        """Read one change back from its JSON list.

        :raises ValueError, IndexError, TypeError, KeyError: when the record is damaged.
        """
        op, name = record[0], record[1]
        if op == "put":
            return cls(op, name, record[2], record[3])
        if op == "del":
            return cls(op, name, record[2])
        if op == "drop":
            return cls(op, name)
        if op == "table":
            return cls(op, name, document=record[2])
        if op == "copy":
            return cls(op, record[2], source=name)
        raise ValueError(f"unknown change kind {op!r}")

    def apply(self, tables: Tables) -> None:
        """Apply the change to TinyDB-layout data (used by replay)."""
        op, name = self.op, self.table
        if op == "put":
            tables.setdefault(name, {})[str(self.doc_id)] = self.document
        elif op == "del":
            tables.get(name, {}).pop(str(self.doc_id), None)
        elif op == "drop":
            tables.pop(name, None)
        elif op == "table":
            tables[name] = {str(doc_id): doc for doc_id, doc in self.document.items()}
        elif op == "copy":
            tables[name] = dict(tables.get(self.source, {}))
        else:
            raise ValueError(f"unknown change kind {op!r}")


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
        self._storage.record(Change("put", self.name, doc_id, stored), before)

    def remove_ids(self, doc_ids: Iterable[int]) -> None:
        raw = self._raw(create=False)
        for doc_id in doc_ids:
            before = raw.pop(str(doc_id), None)
            if before is not None:
                self._storage.record(Change("del", self.name, doc_id), before)
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
        self._storage.record(Change("table", self.name, document=dict(raw)), before)


class LiveTables:
    """Every table's documents in TinyDB's layout, the TinyDB over them, and id indexes.

    :param data: the tables to start from (TinyDB's file layout); used as is, not copied.
    :param record: called with each change a ``JournaledTable`` makes and what it replaced.
    """

    def __init__(self, data: Tables | None, record: Recorder):
        self._storage = LiveStorage(data)
        self._storage.record = record
        self._db = TinyDB(storage=lambda: self._storage)
        self._db.table_class = JournaledTable
        self._index: dict[str, dict[str, int]] = {}

    @property
    def memory(self) -> Tables:
        """The documents themselves, ``{table: {doc_id: document}}``; never change one in place."""
        return self._storage.memory

    def documents(self, name: str) -> dict[str, Any] | None:
        """A table's documents by TinyDB id, or None when the table does not exist."""
        return self._storage.memory.get(name)

    def table(self, name: str) -> JournaledTable:
        """The TinyDB table ``name``, for writes that are recorded one document at a time."""
        return self._db.table(name)  # type: ignore[return-value]

    def id_index(self, name: str) -> dict[str, int]:
        """Document ids to TinyDB ids; cached only for tables that exist, so reads with ever-new
        names leave nothing behind. Writers change the returned index and ``keep_index`` it."""
        index = self._index.get(name)
        if index is None:
            raw = self._storage.memory.get(name)
            if raw is None:
                return {}
            index = {doc["id"]: int(doc_id) for doc_id, doc in raw.items() if "id" in doc}
            self._index[name] = index
        return index

    def keep_index(self, name: str, index: dict[str, int]) -> None:
        """Cache ``index`` for table ``name`` (after an insert made the table exist)."""
        self._index[name] = index

    def forget(self, name: str) -> None:
        """Drop what is cached about a table (its id index and TinyDB's Table object, with its
        next-id counter and query cache), so dropped namespaces leave nothing behind."""
        self._index.pop(name, None)
        self._db._tables.pop(name, None)  # TinyDB keeps every Table it ever made otherwise

    def cached_names(self) -> set[str]:
        """Tables with anything cached about them: an id index or a TinyDB Table object."""
        return set(self._index) | set(self._db._tables)
