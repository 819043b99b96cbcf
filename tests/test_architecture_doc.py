"""docs/architecture.md's module map names every module of the package, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sandbox"
#: One row of the tree: its indentation (4 characters a level), then the entry's name.
ROW = re.compile(r"^((?:│   |    )*)(?:├── |└── )(\S+)")


def mapped_modules() -> set[str]:
    """The ``.py`` paths the module map lists, relative to ``sandbox/``."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    start = text.index("```text\nsandbox/\n") + len("```text\nsandbox/\n")
    tree = text[start:text.index("```", start)]
    listed, parents = set(), []
    for line in tree.splitlines():
        row = ROW.match(line)
        if not row:
            continue  # a description's continuation line
        depth = len(row.group(1)) // 4
        parents = [*parents[:depth], row.group(2)]
        listed.add("".join(parents))
    return {path for path in listed if path.endswith(".py")}


def package_modules() -> set[str]:
    return {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")}


def test_the_map_reads_as_a_tree_of_the_package():
    assert {"app.py", "api/routing.py", "services/events.py", "store/wal.py"} <= mapped_modules()


def test_every_module_is_in_the_module_map():
    assert sorted(package_modules() - mapped_modules()) == []


def test_the_module_map_lists_no_module_that_is_gone():
    assert sorted(mapped_modules() - package_modules()) == []
