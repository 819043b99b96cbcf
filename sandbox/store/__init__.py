"""State storage: TinyDB in memory, made durable by a journal and an atomically replaced snapshot."""

from .journal import StorageError, WriteFailed
from .store import DuplicateId, Store, Transaction, copy_document

__all__ = ("DuplicateId", "StorageError", "Store", "Transaction", "WriteFailed", "copy_document")
