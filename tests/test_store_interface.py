"""Only the store package reaches into the store: everything else uses its public interface.

The store's private members (the TinyDB behind it, its id indexes, the write-ahead log's open
files, the compaction state) change without notice; code and tests that used them would break
silently or, worse, corrupt state behind the store's lock. Tests simulate a crash with
``Store.abandon()``, inject disk failures through ``store.wal.before_step`` and read what they
check through public accessors.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STORE_PACKAGE = ROOT / "sandbox" / "store"

#: Private members of the store, its tables and its write-ahead log, and TinyDB's private table
#: cache: names no other sandbox object uses, so any access to them is an access to the store.
PRIVATE = {
    "_storage", "_index", "_db", "_tables", "_journal", "_wal", "_compactor", "_retry_at",
    "_retry_delay", "_compact_bytes", "_freeze", "_write_snapshot", "_start_compaction",
    "_rotation_seq",
}
STORE_MODULES = {"store", "tables", "wal", "journal"}


def _sources() -> list[Path]:
    files = []
    for folder in ("sandbox", "tests", "scripts", "examples"):
        files += (ROOT / folder).rglob("*.py")
    return sorted(path for path in files if STORE_PACKAGE not in path.parents)


def violations(source: str) -> list[str]:
    """Each private store member used and each store module imported past the package."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in PRIVATE:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if "store" in parts[:-1] and parts[parts.index("store") + 1] in STORE_MODULES:
                found.append(f"line {node.lineno}: from {'.' * node.level}{node.module}")
        elif isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {alias.name}" for alias in node.names
                      if alias.name.startswith("rebilly_sandbox.store.")]
    return found


def test_the_check_finds_private_access_and_module_imports():
    source = ("from rebilly_sandbox.store.wal import WriteAheadLog\n"
              "from ..store.tables import Change\n"
              "import rebilly_sandbox.store.store\n"
              "store._journal.close()\n"
              "len(store._db._tables)\n")
    assert sorted(violations(source)) == [
        "line 1: from rebilly_sandbox.store.wal", "line 2: from ..store.tables",
        "line 3: import rebilly_sandbox.store.store", "line 4: ._journal", "line 5: ._db",
        "line 5: ._tables",
    ]
    assert violations("from rebilly_sandbox.store import Store\n"
                      "store.wal.before_step = None\n") == []


@pytest.mark.parametrize("path", _sources(), ids=lambda path: str(path.relative_to(ROOT)))
def test_nothing_outside_the_store_reaches_into_it(path: Path):
    assert violations(path.read_text(encoding="utf-8")) == []
