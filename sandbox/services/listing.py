"""Customer lists: ``limit``, ``offset``, ``sort``, ``filter``, ``q`` and ``fields``, Rebilly-style.

Pure Python: no Flask. ``parse_list_query`` turns the raw query parameters into a ``ListQuery``
(or one 422 naming every bad parameter); ``list_customers`` applies it to a namespace.

A namespace may hold a hundred thousand customers, so a list never copies them all: the stored
documents are scanned once, in place, under the store lock, and only the returned page is copied.
A list with no filter, no ``q`` and no sort does not even scan: it slices the page straight out.

Filter syntax (Rebilly's search filters): ``field:value`` clauses joined by ``;`` (AND); a clause's
values joined by ``,`` (OR); ``a..b`` an inclusive range, ``a..`` and ``..b`` open-ended ones, on
date-time and number fields; ``!`` before a value excludes it, and ``!`` before the first value
excludes the whole list (``firstName:!John,Bob`` drops both Johns and Bobs). Text compares whole
values, case-insensitively.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from itertools import islice
from typing import Any, Callable, Iterable, Sequence

from ..errors import ValidationFailed
from ..store import Store, copy_document
from .customers import CUSTOMERS

__all__ = ("ListQuery", "parse_list_query", "select_page", "select_fields", "list_customers",
           "DEFAULT_LIMIT", "MAX_LIMIT", "MAX_OFFSET", "MAX_SORT_KEYS", "MAX_FILTER_CLAUSES",
           "MAX_FILTER_VALUES", "MAX_Q_LENGTH", "MAX_FIELDS", "SORTABLE", "FILTERABLE")

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 1000

# The server is one process, so a list request must not be able to cost seconds. Each bound
# below caps a factor the scan multiplies by the namespace size; real clients stay far below.
#: Distinct fields a list can be sorted on at once (repeats of a field are dropped first).
MAX_SORT_KEYS = 10
#: ``;``-joined clauses in ``filter``: each is checked against every stored customer.
MAX_FILTER_CLAUSES = 20
#: Values in the whole ``filter``, all clauses together: each range is checked against every
#: stored customer.
MAX_FILTER_VALUES = 100
#: Characters of ``q``: it is looked for in four fields of every stored customer.
MAX_Q_LENGTH = 255
#: Names in ``fields``.
MAX_FIELDS = 100

TEXT, INSTANT, NUMBER, BOOLEAN, TAGS = "text", "date-time", "number", "boolean", "tags"

#: Fields a list can be sorted on, with how their values compare.
SORTABLE: dict[str, str] = {
    "id": TEXT,
    "email": TEXT,
    "firstName": TEXT,
    "lastName": TEXT,
    "websiteId": TEXT,
    "createdTime": INSTANT,
    "updatedTime": INSTANT,
    "paymentCount": NUMBER,
    "lastPaymentTime": INSTANT,
    "invoiceCount": NUMBER,
    "averageValue.amount": NUMBER,
    "averageValue.currency": TEXT,
    "lifetimeRevenue.amount": NUMBER,
    "lifetimeRevenue.currency": TEXT,
}

#: Fields a filter can name, with how their values are read and compared.
FILTERABLE: dict[str, str] = {
    "id": TEXT,
    "email": TEXT,
    "firstName": TEXT,
    "lastName": TEXT,
    "websiteId": TEXT,
    "organizationId": TEXT,
    "locale": TEXT,
    "personId": TEXT,
    "primaryAddress.firstName": TEXT,
    "primaryAddress.lastName": TEXT,
    "primaryAddress.organization": TEXT,
    "primaryAddress.city": TEXT,
    "primaryAddress.region": TEXT,
    "primaryAddress.country": TEXT,
    "primaryAddress.postalCode": TEXT,
    "averageValue.currency": TEXT,
    "lifetimeRevenue.currency": TEXT,
    "createdTime": INSTANT,
    "updatedTime": INSTANT,
    "lastPaymentTime": INSTANT,
    "paymentCount": NUMBER,
    "invoiceCount": NUMBER,
    "averageValue.amount": NUMBER,
    "lifetimeRevenue.amount": NUMBER,
    "isEddRequired": BOOLEAN,
    "hasFulfilledKyc": BOOLEAN,
    "tags": TAGS,
}

#: Fields ``q`` searches for a case-insensitive substring.
SEARCHED = ("firstName", "lastName", "email", "primaryAddress.organization")

Predicate = Callable[[dict[str, Any]], bool]
Term = Callable[[Any], bool]


class _Problem(Exception):
    """One bad query parameter; ``parse_list_query`` gathers them into a single 422."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ListQuery:
    """A parsed list request. ``fields`` is ``None`` when every field is wanted."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    filters: tuple[Predicate, ...] = ()
    q: str | None = None
    fields: frozenset[str] | None = None

    @property
    def scans(self) -> bool:
        """Whether the page depends on the documents' contents, not just their positions."""
        return bool(self.sort or self.filters or self.q)

    def predicate(self) -> Predicate | None:
        """Every filter clause and ``q`` as one callable; None when nothing is filtered out."""
        checks = list(self.filters)
        if self.q is not None:
            needle = self.q
            checks.append(lambda document: _mentions(document, needle))
        return _all_of(checks)


def _all_of(checks: list[Predicate]) -> Predicate | None:
    """One predicate for several, built once: a scan calls it for every stored document."""
    if not checks:
        return None
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


# -- parsing ------------------------------------------------------------------------------------


def parse_list_query(*, limit: str | None = None, offset: str | None = None,
                     sort: Iterable[str] = (), filter: str | None = None, q: str | None = None,
                     fields: str | None = None) -> ListQuery:
    """Read raw query-string values into a ``ListQuery``.

    :raises ValidationFailed: naming every bad parameter at once, so a client fixes them in one go.
    """
    problems: list[_Problem] = []

    def attempt(parse: Callable[..., Any], *args: Any) -> Any:
        try:
            return parse(*args)
        except _Problem as problem:
            problems.append(problem)
            return None

    query = ListQuery(
        limit=attempt(_parse_bounded, "limit", limit, DEFAULT_LIMIT, MAX_LIMIT),
        offset=attempt(_parse_bounded, "offset", offset, 0, MAX_OFFSET),
        sort=attempt(_parse_sort, sort),
        filters=attempt(_parse_filter, filter),
        q=attempt(_parse_q, q),
        fields=attempt(_parse_fields, fields),
    )
    if problems:
        raise ValidationFailed([{"field": p.field, "message": p.message} for p in problems])
    return query


def _parse_q(raw: str | None) -> str | None:
    needle = (raw or "").strip().casefold()
    if len(needle) > MAX_Q_LENGTH:
        raise _Problem("q", f"Must be at most {MAX_Q_LENGTH} characters long.")
    return needle or None


def _parse_bounded(name: str, raw: str | None, default: int, maximum: int) -> int:
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,7}", raw.strip()) or int(raw) > maximum:
        raise _Problem(name, f"Must be an integer from 0 to {maximum}.")
    return int(raw)


def _parse_sort(raw: Iterable[str]) -> tuple[tuple[str, bool], ...]:
    """``sort=-createdTime,email`` and ``sort=-createdTime&sort=email`` mean the same.

    A field named again is dropped (its first mention already decides every tie it could break),
    so ``sort=id,id,...`` costs one key, not one per repeat.
    """
    keys: dict[str, bool] = {}
    for part in (part.strip() for value in raw for part in value.split(",")):
        if not part:
            continue
        descending = part.startswith("-")
        name = part.lstrip("+-").strip()  # "+" is allowed, and arrives as a space when unencoded
        if name not in SORTABLE:
            raise _Problem("sort", f"Cannot sort on '{name}'; sortable fields: "
                                   f"{', '.join(SORTABLE)}.")
        keys.setdefault(name, descending)
    if len(keys) > MAX_SORT_KEYS:
        raise _Problem("sort", f"Sort on at most {MAX_SORT_KEYS} fields at once.")
    return tuple(keys.items())


def _parse_fields(raw: str | None) -> frozenset[str] | None:
    """A sparse fieldset. Unknown names are not an error: they are simply absent from the answer."""
    names = {name.strip() for name in (raw or "").split(",")} - {""}
    if len(names) > MAX_FIELDS:
        raise _Problem("fields", f"Name at most {MAX_FIELDS} fields.")
    return frozenset(names | {"id"}) if names else None


def _parse_filter(raw: str | None) -> tuple[Predicate, ...]:
    """One predicate per field named: clauses on the same field read its value once."""
    if raw is None:
        return ()
    clauses = [clause.strip() for clause in raw.split(";") if clause.strip()]
    if len(clauses) > MAX_FILTER_CLAUSES:
        raise _Problem("filter", f"Join at most {MAX_FILTER_CLAUSES} clauses with ';'.")
    if sum(clause.count(",") + 1 for clause in clauses) > MAX_FILTER_VALUES:
        raise _Problem("filter", f"Give at most {MAX_FILTER_VALUES} values in all.")
    checks_by_field: dict[str, list[Term]] = {}
    for clause in clauses:
        name, check = _parse_clause(clause)
        checks_by_field.setdefault(name, []).append(check)
    return tuple(_field_predicate(_reader(name, _PREPARE[FILTERABLE[name]]), checks)
                 for name, checks in checks_by_field.items())


def _parse_clause(clause: str) -> tuple[str, Term]:
    """The field a clause names and the check its prepared value must pass."""
    name, colon, values_text = clause.partition(":")
    name = name.strip()
    if not colon:
        raise _Problem("filter", f"'{clause}' is not a field:value expression.")
    if not name:
        raise _Problem("filter", f"'{clause}' names no field before the ':'.")
    kind = FILTERABLE.get(name)
    if kind is None:
        raise _Problem("filter", f"Cannot filter on '{name}'; filterable fields: "
                                 f"{', '.join(FILTERABLE)}.")
    included, excluded = _split_values(name, values_text)
    include = _term(kind, name, included) if included else None
    exclude = _term(kind, name, excluded) if excluded else None
    return name, _clause_check(include, exclude)


def _split_values(name: str, text: str) -> tuple[list[str], list[str]]:
    """Split ``a,!b`` into values to include and values to exclude."""
    values = [value.strip() for value in text.split(",") if value.strip()]
    if not values:
        raise _Problem("filter", f"'{name}' is given no value.")
    negate_all = values[0].startswith("!")
    included, excluded = [], []
    for value in values:
        negated = negate_all or value.startswith("!")
        value = value[1:].strip() if value.startswith("!") else value
        if not value:
            raise _Problem("filter", f"'{name}' has an empty value after '!'.")
        if value.startswith("@"):
            raise _Problem("filter", f"'{name}': value lists ({value}) are not supported.")
        (excluded if negated else included).append(value)
    return included, excluded


def _clause_check(include: Term | None, exclude: Term | None) -> Term:
    if exclude is None:
        return include
    if include is None:
        return lambda value: not exclude(value)
    return lambda value: include(value) and not exclude(value)


def _field_predicate(read: Callable[[dict[str, Any]], Any], checks: list[Term]) -> Predicate:
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


# -- filter terms, by field kind ----------------------------------------------------------------


def _term(kind: str, name: str, values: list[str]) -> Term:
    """One callable that says whether a prepared stored value matches any of ``values``."""
    if kind == TEXT:
        return frozenset(value.casefold() for value in values).__contains__
    if kind == TAGS:
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
        raise _Problem("filter", f"'{name}': the range '{value}' has no bounds.")
    low = parse(name, low_text.strip())[0] if low_text.strip() else None
    high = parse(name, high_text.strip())[1] if high_text.strip() else None
    return low, high


_NUMBER = re.compile(r"-?[0-9]{1,30}(\.[0-9]{1,30})?")


def _number_interval(name: str, text: str) -> tuple[int | float, int | float]:
    if not _NUMBER.fullmatch(text):
        raise _Problem("filter", f"'{name}': '{text}' is not a number.")
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
            return start, start + timedelta(days=1) - timedelta(microseconds=1)
        moment = datetime.fromisoformat(_SPACED_OFFSET.sub(r"\1+\2", text))
    except (ValueError, OverflowError):
        raise _Problem("filter",
                       f"'{name}': '{text}' is not an ISO 8601 date-time or date.") from None
    if moment.tzinfo is None:  # no offset given: read it as UTC, as every stored time is
        moment = moment.replace(tzinfo=timezone.utc)
    return moment, moment


def _parse_boolean(name: str, text: str) -> bool:
    lowered = text.casefold()
    if lowered not in ("true", "false"):
        raise _Problem("filter", f"'{name}': expected true or false, got '{text}'.")
    return lowered == "true"


# -- reading stored values ----------------------------------------------------------------------


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


_PREPARE: dict[str, Callable[[Any], Any]] = {
    TEXT: _text, INSTANT: _instant, NUMBER: _number, BOOLEAN: _boolean, TAGS: _tag_names,
}


def _reader(path: str, prepare: Callable[[Any], Any]) -> Callable[[dict[str, Any]], Any]:
    """Read a dotted field from a stored document, as a value of its kind (or None)."""
    head, _, rest = path.partition(".")
    if not rest and prepare is _text:  # the commonest case, inlined: it runs once per document
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


def _mentions(document: dict[str, Any], needle: str) -> bool:
    for read in _SEARCH_READERS:
        value = read(document)
        if value is not None and needle in value:
            return True
    return False


_SEARCH_READERS = tuple(_reader(path, _text) for path in SEARCHED)


# -- applying a query ---------------------------------------------------------------------------


def _sort(documents: list[dict[str, Any]], name: str, descending: bool) -> list[dict[str, Any]]:
    """A stable sort on one field; missing values go first ascending (last descending).

    Each value is read once, and the missing ones are set aside rather than wrapped in a tuple
    key, which halves the cost of sorting a large namespace.
    """
    read = _reader(name, _PREPARE[SORTABLE[name]])
    keys = list(map(read, documents))
    missing = [document for document, key in zip(documents, keys) if key is None]
    if missing:
        documents = [document for document, key in zip(documents, keys) if key is not None]
        keys = [key for key in keys if key is not None]
    order = sorted(range(len(keys)), key=keys.__getitem__, reverse=descending)
    ordered = [documents[index] for index in order]
    return ordered + missing if descending else missing + ordered


def _ranks(documents: list[dict[str, Any]], name: str, descending: bool) -> list[int]:
    """Each document's place in one field's order, as an int that sorts ascending.

    Missing values go first ascending (last descending), as with ``_sort``. Only the distinct
    values are sorted, so turning a field into ranks costs one read per document.
    """
    values = list(map(_reader(name, _PREPARE[SORTABLE[name]]), documents))
    distinct = sorted({value for value in values if value is not None})
    place = {value: index for index, value in enumerate(distinct)}
    if descending:
        return [1 if value is None else -place[value] for value in values]
    return [-1 if value is None else place[value] for value in values]


def _sort_by_ranks(documents: list[dict[str, Any]],
                   keys: tuple[tuple[str, bool], ...]) -> list[dict[str, Any]]:
    """One stable sort on every key at once; full ties keep insertion order.

    Each key becomes a column of int ranks (descending ones negated), so mixed directions need
    no per-key pass over the whole list and no comparison wrappers.
    """
    columns = [_ranks(documents, name, descending) for name, descending in keys]
    order = sorted(range(len(documents)), key=list(zip(*columns)).__getitem__)
    return [documents[index] for index in order]


def select_page(documents: Sequence[dict[str, Any]],
                query: ListQuery) -> tuple[list[dict[str, Any]], int]:
    """The page ``query`` asks for, as copies, and how many documents matched in all.

    ``documents`` are the stored documents themselves, in insertion order, read while the caller
    holds the store lock. Without a filter, ``q`` or sort the page is sliced out directly, so its
    cost does not grow with the namespace; otherwise they are scanned once. With no sort the order
    stays insertion order, oldest first: the Rebilly reference states no default order, and
    clients that care (like its own samples) send ``sort=-createdTime``.
    """
    end = query.offset + query.limit
    if not query.scans:
        page = islice(documents, query.offset, end)
        total = len(documents)
    else:
        accept = query.predicate()
        matches = list(documents if accept is None else filter(accept, documents))
        if len(query.sort) == 1:
            matches = _sort(matches, *query.sort[0])
        elif query.sort:
            matches = _sort_by_ranks(matches, query.sort)
        page = islice(matches, query.offset, end)
        total = len(matches)
    return [copy_document(document) for document in page], total


def list_customers(store: Store, namespace: str, query: ListQuery,
                   present: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
                   ) -> tuple[list[dict[str, Any]], int]:
    """A page of a namespace's customers and how many matched in all.

    ``present`` (when given) turns the page into what is answered while the lock is still held,
    so the lead sources and embeds it looks up belong to the same moment as the page itself.
    The lock covers only the scan, the page copy and ``present``.
    """
    with store.transaction() as tx:
        page, total = select_page(tx.view(namespace, CUSTOMERS), query)
        if present is not None:
            page = present(page)
    return page, total


def select_fields(body: dict[str, Any], fields: frozenset[str] | None) -> dict[str, Any]:
    """Keep only the requested top-level members (``id`` always); all when none are named."""
    if fields is None:
        return body
    return {key: value for key, value in body.items() if key in fields}
