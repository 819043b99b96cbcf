"""Stored field values read as comparable Python values, by the kind a resource declares.

Filters and sorts both read a dotted field from every stored document of a namespace, so a
reader is built once per field and kept as small as the kind allows. Pure Python.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ..resources import BOOLEAN, IDS, INSTANT, NUMBER, TAGS, TEXT

__all__ = ("Reader", "reader")

Reader = Callable[[dict[str, Any]], Any]


def _text(value: Any) -> str | None:
    return value.casefold() if isinstance(value, str) else None


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _number(value: Any) -> int | float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _boolean(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _tag_names(value: Any) -> frozenset[str]:
    if not isinstance(value, list):
        return frozenset()
    return frozenset(tag["name"].casefold() for tag in value
                     if isinstance(tag, dict) and isinstance(tag.get("name"), str))


def _ids(value: Any) -> frozenset[str]:
    if not isinstance(value, list):
        return frozenset()
    return frozenset(member.casefold() for member in value if isinstance(member, str))


_PREPARE: dict[str, Callable[[Any], Any]] = {
    TEXT: _text, INSTANT: _instant, NUMBER: _number, BOOLEAN: _boolean, TAGS: _tag_names,
    IDS: _ids,
}


def reader(path: str, kind: str) -> Reader:
    """Read a dotted field from a stored document as a value of ``kind`` (or None)."""
    prepare = _PREPARE[kind]
    head, _, rest = path.partition(".")
    if not rest and kind == TEXT:  # the commonest case, inlined: it runs once per document
        def read_text(document: dict[str, Any]) -> str | None:
            value = document.get(head)
            return value.casefold() if value.__class__ is str else None
        return read_text
    if not rest:
        return lambda document: prepare(document.get(head))

    def read(document: dict[str, Any]) -> Any:
        parent = document.get(head)
        return prepare(parent.get(rest) if isinstance(parent, dict) else None)
    return read
