"""The filter grammar, compiled into predicates over stored documents. Pure Python.

Syntax (Rebilly's search filters): ``field:value`` clauses joined by ``;`` (AND); a clause's
values joined by ``,`` (OR); ``a..b`` an inclusive range, ``a..`` and ``..b`` open-ended ones, on
date-time and number fields; ``!`` before a value excludes it, and ``!`` before the first value
excludes the whole list (``firstName:!John,Bob`` drops both Johns and Bobs). Text compares whole
values, case-insensitively.

A predicate runs once per stored document of the namespace, so clauses on one field share one
read of it, and many ranges are merged and searched by bisection. Each field's predicate also
says which values a match must hold (``FieldFilter.equals``), so a list can look those up in an
index instead of scanning; the predicate itself still decides.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, NamedTuple

from ..resources import BOOLEAN, IDS, INSTANT, TAGS, TEXT
from .values import Reader, reader

__all__ = ("FilterRefused", "FieldFilter", "Predicate", "compile_filter", "search_predicate",
           "all_of", "MAX_FILTER_CLAUSES", "MAX_FILTER_VALUES")

#: ``;``-joined clauses in ``filter``: each is checked against every stored document.
MAX_FILTER_CLAUSES = 20
#: Values in the whole ``filter``, all clauses together: each range is checked against every
#: stored document.
MAX_FILTER_VALUES = 100

Predicate = Callable[[dict[str, Any]], bool]
Term = Callable[[Any], bool]


class FilterRefused(ValueError):
    """A filter the grammar cannot run; the message says why, for the client."""


@dataclass(frozen=True, eq=False)
class FieldFilter:
    """Every clause on one field, as a predicate over stored documents.

    ``equals`` holds the prepared values (casefolded text or tag names) one of which any match
    must hold, when a clause lists them; ``exact`` says that holding one is also enough (a single
    clause with no ``!``), so a list can answer from an index alone.
    """

    field: str
    accepts: Predicate
    equals: frozenset[str] | None = None
    exact: bool = False

    def __call__(self, document: dict[str, Any]) -> bool:
        return self.accepts(document)


def compile_filter(raw: str, filterable: Mapping[str, str]) -> tuple[FieldFilter, ...]:
    """One predicate per field named in ``raw``: clauses on the same field read its value once.

    :raises FilterRefused: for a malformed clause, an unknown field, a bad value, or too many
        clauses or values.
    """
    clauses = [clause.strip() for clause in raw.split(";") if clause.strip()]
    if len(clauses) > MAX_FILTER_CLAUSES:
        raise FilterRefused(f"Join at most {MAX_FILTER_CLAUSES} clauses with ';'.")
    if sum(clause.count(",") + 1 for clause in clauses) > MAX_FILTER_VALUES:
        raise FilterRefused(f"Give at most {MAX_FILTER_VALUES} values in all.")
    by_field: dict[str, list[_Clause]] = {}
    for clause in clauses:
        compiled = _compile_clause(clause, filterable)
        by_field.setdefault(compiled.field, []).append(compiled)
    filters = []
    for name, compiled in by_field.items():
        listed = [clause.equals for clause in compiled if clause.equals is not None]
        exact = len(compiled) == 1 and bool(listed) and not compiled[0].excludes
        accepts = _field_predicate(reader(name, filterable[name]),
                                   [clause.check for clause in compiled])
        filters.append(FieldFilter(name, accepts, listed[0] if listed else None, exact))
    return tuple(filters)


def search_predicate(paths: tuple[str, ...], needle: str) -> Predicate:
    """Whether any of ``paths`` holds ``needle`` (already casefolded) as a substring."""
    readers = _text_readers(paths)

    def mentions(document: dict[str, Any]) -> bool:
        for read in readers:
            value = read(document)
            if value is not None and needle in value:
                return True
        return False
    return mentions


@functools.lru_cache(maxsize=64)
def _text_readers(paths: tuple[str, ...]) -> tuple[Reader, ...]:
    return tuple(reader(path, TEXT) for path in paths)


def all_of(checks: list[Predicate]) -> Predicate | None:
    """One predicate for several, built once: a scan calls it for every stored document."""
    if not checks:
        return None
    checks = [getattr(check, "accepts", check) for check in checks]  # skip a call per document
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda document: first(document) and second(document)

    def every(document: dict[str, Any]) -> bool:
        for check in checks:
            if not check(document):
                return False
        return True
    return every


# -- clauses ------------------------------------------------------------------------------------


class _Clause(NamedTuple):
    """One ``field:values`` clause: the check a prepared value must pass, the listed values a
    match must hold one of (text and tags only), and whether it also excludes some."""

    field: str
    check: Term
    equals: frozenset[str] | None
    excludes: bool


def _compile_clause(clause: str, filterable: Mapping[str, str]) -> _Clause:
    """The field a clause names and the check its prepared value must pass."""
    name, colon, values_text = clause.partition(":")
    name = name.strip()
    if not colon:
        raise FilterRefused(f"'{clause}' is not a field:value expression.")
    if not name:
        raise FilterRefused(f"'{clause}' names no field before the ':'.")
    kind = filterable.get(name)
    if kind is None:
        raise FilterRefused(f"Cannot filter on '{name}'; filterable fields: "
                            f"{', '.join(filterable)}.")
    included, excluded = _split_values(name, values_text)
    include = _term(kind, name, included) if included else None
    exclude = _term(kind, name, excluded) if excluded else None
    equals = (frozenset(value.casefold() for value in included)
              if included and kind in (TEXT, TAGS, IDS) else None)
    return _Clause(name, _clause_check(include, exclude), equals, bool(excluded))


def _split_values(name: str, text: str) -> tuple[list[str], list[str]]:
    """Split ``a,!b`` into values to include and values to exclude."""
    values = [value.strip() for value in text.split(",") if value.strip()]
    if not values:
        raise FilterRefused(f"'{name}' is given no value.")
    negate_all = values[0].startswith("!")
    included, excluded = [], []
    for value in values:
        negated = negate_all or value.startswith("!")
        value = value[1:].strip() if value.startswith("!") else value
        if not value:
            raise FilterRefused(f"'{name}' has an empty value after '!'.")
        if value.startswith("@"):
            raise FilterRefused(f"'{name}': value lists ({value}) are not supported.")
        (excluded if negated else included).append(value)
    return included, excluded


def _clause_check(include: Term | None, exclude: Term | None) -> Term:
    if exclude is None:
        return include
    if include is None:
        return lambda value: not exclude(value)
    return lambda value: include(value) and not exclude(value)


def _field_predicate(read: Reader, checks: list[Term]) -> Predicate:
    if len(checks) == 1:
        check = checks[0]
        return lambda document: check(read(document))

    def accept(document: dict[str, Any]) -> bool:
        value = read(document)
        for check in checks:
            if not check(value):
                return False
        return True
    return accept


# -- terms, by field kind -----------------------------------------------------------------------


def _term(kind: str, name: str, values: list[str]) -> Term:
    """One callable that says whether a prepared stored value matches any of ``values``."""
    if kind == TEXT:
        return frozenset(value.casefold() for value in values).__contains__
    if kind in (TAGS, IDS):
        wanted = frozenset(value.casefold() for value in values)
        return lambda names: not wanted.isdisjoint(names)
    if kind == BOOLEAN:
        return frozenset(_parse_boolean(name, value) for value in values).__contains__
    parse = _instant_interval if kind == INSTANT else _number_interval
    intervals = [_interval(name, value, parse) for value in values]
    if len(intervals) == 1:
        return _within(*intervals[0])
    return _within_any(intervals)


def _within(low: Any, high: Any) -> Term:
    """Inclusive bounds, either of which may be open (None); a missing value is never within."""
    if high is None:
        return lambda stored: stored is not None and stored >= low
    if low is None:
        return lambda stored: stored is not None and stored <= high
    return lambda stored: stored is not None and low <= stored <= high


def _within_any(intervals: list[tuple[Any, Any]]) -> Term:
    """Whether a value lies in any of several intervals, at a cost that barely grows with them.

    Open-ended intervals fold into one floor and one ceiling; closed ones are merged and
    searched by bisection, so a hundred ranges cost a few comparisons per stored value.
    """
    ceilings = [high for low, high in intervals if low is None]
    floors = [low for low, high in intervals if high is None]
    ceiling = max(ceilings) if ceilings else None
    floor = min(floors) if floors else None
    merged: list[list[Any]] = []
    for low, high in sorted((low, high) for low, high in intervals
                            if low is not None and high is not None and low <= high):
        if merged and low <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    lows = [low for low, _ in merged]
    highs = [high for _, high in merged]

    def check(stored: Any) -> bool:
        if stored is None:
            return False
        if (ceiling is not None and stored <= ceiling) or (floor is not None and stored >= floor):
            return True
        index = bisect_right(lows, stored) - 1
        return index >= 0 and stored <= highs[index]
    return check


def _interval(name: str, value: str,
              parse: Callable[[str, str], tuple[Any, Any]]) -> tuple[Any, Any]:
    """``a..b``, ``a..``, ``..b`` or a single value, as inclusive (low, high); None is open."""
    if ".." not in value:
        return parse(name, value)
    low_text, _, high_text = value.partition("..")
    if not low_text.strip() and not high_text.strip():
        raise FilterRefused(f"'{name}': the range '{value}' has no bounds.")
    low = parse(name, low_text.strip())[0] if low_text.strip() else None
    high = parse(name, high_text.strip())[1] if high_text.strip() else None
    return low, high


_NUMBER = re.compile(r"-?[0-9]{1,30}(\.[0-9]{1,30})?")


def _number_interval(name: str, text: str) -> tuple[int | float, int | float]:
    if not _NUMBER.fullmatch(text):
        raise FilterRefused(f"'{name}': '{text}' is not a number.")
    number = float(text) if "." in text else int(text)
    return number, number


_BARE_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: An offset whose "+" arrived as a space because the client did not percent-encode it.
_SPACED_OFFSET = re.compile(r"(T[0-9:.]+) ([0-9]{2}(:?[0-9]{2})?)$")


def _instant_interval(name: str, text: str) -> tuple[datetime, datetime]:
    """A date-time names one instant; a bare date names its whole UTC day, at either end."""
    try:
        if _BARE_DATE.fullmatch(text):
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
            # Built from the date, not by adding a day, which overflows on 9999-12-31.
            return start, start.replace(hour=23, minute=59, second=59, microsecond=999_999)
        moment = datetime.fromisoformat(_SPACED_OFFSET.sub(r"\1+\2", text))
    except (ValueError, OverflowError):
        raise FilterRefused(f"'{name}': '{text}' is not an ISO 8601 date-time or date.") from None
    if moment.tzinfo is None:  # no offset given: read it as UTC, as every stored time is
        moment = moment.replace(tzinfo=timezone.utc)
    return moment, moment


def _parse_boolean(name: str, text: str) -> bool:
    lowered = text.casefold()
    if lowered not in ("true", "false"):
        raise FilterRefused(f"'{name}': expected true or false, got '{text}'.")
    return lowered == "true"
