"""State storage: TinyDB in memory, made durable by a write-ahead log and an atomically replaced
snapshot. These are the store's public names; nothing outside this package imports its modules."""

from .store import DuplicateId, Store, Transaction, copy_document, guard_stored_documents
from .tables import Change, IndexedTable, IndexSpec, OrderIndex
from .wal import StorageError, WriteAheadLog, WriteFailed

__all__ = ("Change", "DuplicateId", "IndexSpec", "IndexedTable", "OrderIndex", "StorageError",
           "Store", "Transaction", "WriteAheadLog", "WriteFailed", "copy_document",
           "guard_stored_documents")
