"""Which routes Rebilly has: ``rebilly_routes.txt``, read once into a matcher by method and path.

The file is facts for routing only (``METHOD /path/{param}``, one a line, ``#`` comments), so a
request for a route Rebilly has and the sandbox does not simulate can say so instead of looking
like a missing record. A parameter matches any one non-empty segment; where several templates
take a path, the one with literal segments earliest names it. Pure Python: no Flask.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib import resources

__all__ = ("RouteList", "shipped")

#: The shipped list, beside this module in the package.
ROUTES_FILE = "rebilly_routes.txt"

#: A template as matched: each segment's literal text, or None for a parameter.
Segments = tuple[str | None, ...]


class RouteList:
    """Templates grouped by segment count and first literal, so a lookup tries only a few."""

    def __init__(self, lines: Iterable[str]):
        self._literal: dict[tuple[int, str], list[tuple[Segments, str, str]]] = {}
        self._open: dict[int, list[tuple[Segments, str, str]]] = {}
        self._count = 0
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            method, _, template = line.partition(" ")
            segments = tuple(None if part.startswith("{") else part
                             for part in template.strip("/").split("/"))
            entry = (segments, method.upper(), template)
            if segments[0] is None:
                self._open.setdefault(len(segments), []).append(entry)
            else:
                self._literal.setdefault((len(segments), segments[0]), []).append(entry)
            self._count += 1

    def __len__(self) -> int:
        return self._count

    def methods_at(self, path: str) -> dict[str, str]:
        """Each method Rebilly has at ``path`` (no prefix, no trailing slash), with the template
        that takes it; empty when Rebilly has no such path."""
        parts = path[1:].split("/") if path.startswith("/") else []
        if not parts or "" in parts:
            return {}
        candidates = [*self._literal.get((len(parts), parts[0]), ()),
                      *self._open.get(len(parts), ())]
        found: dict[str, tuple[Segments, str]] = {}
        for segments, method, template in candidates:
            if not all(literal is None or literal == part
                       for literal, part in zip(segments, parts, strict=True)):
                continue
            kept = found.get(method)
            if kept is None or _specificity(segments) < _specificity(kept[0]):
                found[method] = (segments, template)
        return {method: template for method, (_, template) in found.items()}


def _specificity(segments: Segments) -> tuple[bool, ...]:
    """Sorts first the template whose literal segments come earliest."""
    return tuple(literal is None for literal in segments)


@functools.cache
def shipped() -> RouteList:
    """The list shipped in the package, read once per process."""
    text = resources.files(__package__).joinpath(ROUTES_FILE).read_text(encoding="utf-8")
    return RouteList(text.splitlines())
