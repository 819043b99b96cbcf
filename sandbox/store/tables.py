"""TinyDB, minus its rewrite-everything writes.

Stock TinyDB rebuilds and rewrites a whole table on every insert. Here the documents live in a
``LiveStorage`` (TinyDB's own in-memory layout, ``{table: {doc_id: document}}``) and a
``JournaledTable`` changes one document at a time and reports each change, with what it replaced,
to the store, which appends it to the write-ahead log and can undo it. Reads are TinyDB's own
(``get``, ``search``, ``all``, queries). Stored documents are never changed in place, only
replaced, so a compaction can serialise a shallow copy of the tables while requests go on.

``LiveTables`` gathers what the store and its transactions work on (the documents, the TinyDB
over them, an id index per table, the field indexes lists ask for), so neither reaches into
TinyDB's internals. A field index is built the first time a list asks for it, kept up to date by
every change a ``JournaledTable`` reports, and dropped with the table's other caches whenever the
table is replaced as a whole (drop, copy, restore, reset), to be rebuilt on the next list.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import chain, groupby
from operator import itemgetter
from typing import Any, NamedTuple

from tinydb import TinyDB
from tinydb.storages import MemoryStorage
from tinydb.table import Table

__all__ = ("Change", "EqualityIndex", "IndexSpec", "IndexedTable", "JournaledTable",
           "LiveStorage", "LiveTables", "OrderIndex", "Tables")

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


class _ReadOnly:
    """Refuses any change in place: stored documents are shared with every reader."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a stored document is read-only: change a copy_document() of it and "
                        "write that back")


class ReadOnlyDict(_ReadOnly, dict):
    __setitem__ = __delitem__ = __ior__ = _ReadOnly._refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _ReadOnly._refuse  # type: ignore[assignment]


class ReadOnlyList(_ReadOnly, list):
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _ReadOnly._refuse  # type: ignore[assignment]
    append = extend = insert = pop = remove = clear = sort = reverse = \
        _ReadOnly._refuse  # type: ignore[assignment]


def read_only_copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data whose dicts and lists refuse changes."""
    if isinstance(value, dict):
        return ReadOnlyDict((key, read_only_copy(item)) for key, item in value.items())
    if isinstance(value, list):
        return ReadOnlyList(read_only_copy(item) for item in value)
    return value


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
        """Store ``document`` under ``doc_id``, replacing what was there (a read-only document
        as it is, anything else as a plain dict of its members)."""
        stored = document if type(document) is ReadOnlyDict else dict(document)
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


class IndexSpec(NamedTuple):
    """How to index one field of a kind's documents.

    ``key`` reads a document's comparable value (None when it has none); with ``many`` it reads
    a collection of values instead (tags). An ``ordered`` index keeps documents sorted by the
    value, for sorts; otherwise it finds documents by value, for equality filters.
    """

    field: str
    key: Callable[[Mapping], Any]
    many: bool = False
    ordered: bool = False


class EqualityIndex:
    """TinyDB ids by a field's value: one id, or a set of them once a value is shared (a set per
    unique value, such as an id, would cost more than the documents' own fields)."""

    def __init__(self, spec: IndexSpec):
        self._spec = spec
        self._ids: dict[Any, int | set[int]] = {}

    def _values(self, document: Mapping) -> Iterable[Any]:
        value = self._spec.key(document)
        if self._spec.many:
            return value or ()
        return () if value is None else (value,)

    def add(self, number: int, document: Mapping) -> None:
        ids = self._ids
        for value in self._values(document):
            found = ids.get(value)
            if found is None:
                ids[value] = number
            elif found.__class__ is int:
                if found != number:
                    ids[value] = {found, number}
            else:
                found.add(number)

    def remove(self, number: int, document: Mapping) -> None:
        ids = self._ids
        for value in self._values(document):
            found = ids.get(value)
            if found is None:
                continue
            if found.__class__ is int:
                if found == number:
                    del ids[value]
            else:
                found.discard(number)
                if len(found) == 1:
                    ids[value] = next(iter(found))

    def lookup(self, values: Iterable[Any]) -> set[int]:
        """The ids of documents holding any of ``values``; never change the set returned (for
        one value it is the index's own)."""
        values = list(values)
        if len(values) == 1:
            found = self._ids.get(values[0])
            return set() if found is None else {found} if found.__class__ is int else found
        matched: set[int] = set()
        for value in values:
            found = self._ids.get(value)
            if found is None:
                continue
            if found.__class__ is int:
                matched.add(found)
            else:
                matched |= found
        return matched


_value = itemgetter(0)


class OrderIndex:
    """TinyDB ids sorted by a field's value, ties by id (insertion order); documents without a
    value kept apart, as sorts put them first ascending and last descending.

    The (value, id) pairs live in sorted blocks, split in two once one passes ``2 * BLOCK``
    pairs, rather than in one list, so a write into the middle of a hundred thousand moves a
    block, not the whole index.
    """

    BLOCK = 512

    def __init__(self, spec: IndexSpec):
        self._key = spec.key
        self._blocks: list[list[tuple[Any, int]]] = []
        self._lasts: list[tuple[Any, int]] = []  # each block's last pair, to find a block
        self._missing: set[int] = set()

    def add(self, number: int, document: Mapping) -> None:
        value = self._key(document)
        if value is None:
            self._missing.add(number)
            return
        pair = (value, number)
        blocks, lasts = self._blocks, self._lasts
        if not blocks:
            blocks.append([pair])
            lasts.append(pair)
            return
        place = min(bisect_left(lasts, pair), len(blocks) - 1)
        block = blocks[place]
        insort(block, pair)
        lasts[place] = block[-1]
        if len(block) > 2 * self.BLOCK:
            blocks[place:place + 1] = [block[:self.BLOCK], block[self.BLOCK:]]
            lasts[place:place + 1] = [block[self.BLOCK - 1], block[-1]]

    def remove(self, number: int, document: Mapping) -> None:
        value = self._key(document)
        if value is None:
            self._missing.discard(number)
            return
        pair = (value, number)
        place = bisect_left(self._lasts, pair)
        if place == len(self._blocks):
            return
        block = self._blocks[place]
        found = bisect_left(block, pair)
        if found < len(block) and block[found] == pair:
            del block[found]
            if block:
                self._lasts[place] = block[-1]
            else:
                del self._blocks[place], self._lasts[place]

    def ids(self, descending: bool) -> Iterator[int]:
        """Ids one at a time in sort order, ties in insertion order, so a page of a sorted list
        costs about its own size. Descending, each value's run is found by bisecting for its
        first pair and walked forwards: a run of many equal values (a second's worth of
        ``createdTime``) is not gathered whole to give the page its first few."""
        if not descending:
            yield from sorted(self._missing)
            for block in self._blocks:
                for _, number in block:
                    yield number
            return
        blocks = self._blocks
        stop = (len(blocks), 0)  # walk back from the end: runs of one value, highest first
        while stop > (0, 0):
            place, offset = stop
            if offset == 0:
                place, offset = place - 1, len(blocks[place - 1])
            value = blocks[place][offset - 1][0]
            start = self._first_of(value)
            yield from self._numbers_between(start, (place, offset))
            stop = start
        yield from sorted(self._missing)

    def _first_of(self, value: Any) -> tuple[int, int]:
        """Where the first pair holding ``value`` is: (block, offset). ``(value,)`` sorts just
        before every ``(value, id)`` pair."""
        place = bisect_left(self._lasts, (value,))
        return place, bisect_left(self._blocks[place], (value,))

    def _numbers_between(self, start: tuple[int, int], end: tuple[int, int]) -> Iterator[int]:
        """The ids of the pairs from ``start`` up to, not including, ``end``."""
        (place, offset), (last_place, last_offset) = start, end
        while (place, offset) < (last_place, last_offset):
            block = self._blocks[place]
            until = last_offset if place == last_place else len(block)
            for _, number in block[offset:until]:
                yield number
            place, offset = place + 1, 0

    def groups(self, descending: bool) -> Iterator[list[int]]:
        """Runs of ids sharing one value, in sort order; each run in insertion order."""
        missing = sorted(self._missing)
        if missing and not descending:
            yield missing
        if descending:
            pairs = (pair for block in reversed(self._blocks) for pair in reversed(block))
            for _, run in groupby(pairs, _value):
                yield [number for _, number in run][::-1]
        else:
            for _, run in groupby(chain.from_iterable(self._blocks), _value):
                yield [number for _, number in run]
        if missing and descending:
            yield missing


FieldIndex = EqualityIndex | OrderIndex


class IndexedTable:
    """One table's documents with the field indexes declared for its kind, for choosing a page.

    Ids are TinyDB's document ids as ints; they grow with insertion, so id order is insertion
    order. Indexes are built on first use.
    """

    def __init__(self, live: LiveTables, name: str, specs: Mapping[str, IndexSpec],
                 ordered: Mapping[str, IndexSpec]):
        self._live = live
        self._name = name
        self._raw = live.memory[name]
        self._specs = specs
        self._ordered = ordered

    def __len__(self) -> int:
        return len(self._raw)

    def equality(self, field: str) -> EqualityIndex | None:
        spec = self._specs.get(field)
        return None if spec is None else self._live.field_index(self._name, spec)

    def order(self, field: str) -> OrderIndex | None:
        spec = self._ordered.get(field)
        return None if spec is None else self._live.field_index(self._name, spec)

    def document(self, number: int) -> dict[str, Any]:
        return self._raw[str(number)]

    def numbered(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(id, document) in insertion order."""
        for doc_id, document in self._raw.items():
            yield int(doc_id), document


class LiveTables:
    """Every table's documents in TinyDB's layout, the TinyDB over them, and id indexes.

    :param data: the tables to start from (TinyDB's file layout); used as is, not copied.
    :param record: called with each change a ``JournaledTable`` makes and what it replaced.
    """

    def __init__(self, data: Tables | None, record: Recorder):
        self._storage = LiveStorage(data)
        self._storage.record = self._changed
        self._recorder = record
        self._db = TinyDB(storage=lambda: self._storage)
        self._db.table_class = JournaledTable
        self._index: dict[str, dict[str, int]] = {}
        self._fields: dict[str, dict[IndexSpec, FieldIndex]] = {}

    def _changed(self, change: Change, before: Any) -> None:
        """Keep the table's field indexes in step with a change, then hand it to the store."""
        indexes = self._fields.get(change.table)
        if indexes:
            if change.op == "put":
                self.reindex(change.table, int(change.doc_id), before, change.document)
            elif change.op == "del":
                self.reindex(change.table, int(change.doc_id), before, None)
            else:
                del self._fields[change.table]
        self._recorder(change, before)

    def reindex(self, name: str, number: int, before: Mapping | None,
                after: Mapping | None) -> None:
        """Document ``number`` of table ``name`` went from ``before`` to ``after`` (None: gone)."""
        for index in self._fields.get(name, {}).values():
            if before is not None:
                index.remove(number, before)
            if after is not None:
                index.add(number, after)

    def field_index(self, name: str, spec: IndexSpec) -> FieldIndex:
        """Table ``name``'s index of ``spec``, built from its documents on first use."""
        indexes = self._fields.setdefault(name, {})
        index = indexes.get(spec)
        if index is None:
            index = OrderIndex(spec) if spec.ordered else EqualityIndex(spec)
            for doc_id, document in self._storage.memory.get(name, {}).items():
                index.add(int(doc_id), document)
            indexes[spec] = index
        return index

    def indexed(self, name: str, specs: Mapping[str, IndexSpec],
                ordered: Mapping[str, IndexSpec]) -> IndexedTable | None:
        """Table ``name`` with the indexes of ``specs`` (equality) and ``ordered`` (sorts);
        None when the table does not exist, so reads leave nothing cached behind."""
        if name not in self._storage.memory:
            return None
        return IndexedTable(self, name, specs, ordered)

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

    def forget(self, name: str, *, keep_field_indexes: bool = False) -> None:
        """Drop what is cached about a table (its id index, its field indexes unless they were
        kept in step, and TinyDB's Table object, with its next-id counter and query cache), so
        dropped namespaces leave nothing behind."""
        self._index.pop(name, None)
        if not keep_field_indexes or name not in self._storage.memory:
            self._fields.pop(name, None)
        self._db._tables.pop(name, None)  # TinyDB keeps every Table it ever made otherwise

    def cached_names(self) -> set[str]:
        """Tables with anything cached about them: an id index, a field index or a TinyDB
        Table object."""
        return set(self._index) | set(self._fields) | set(self._db._tables)
