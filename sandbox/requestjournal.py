"""The request journal: what each namespace's API requests were, newest first, bounded.

Kept in memory only (it is a debugging aid, not state) and capped, so memory stays flat under any
load: entries per namespace, body bytes per entry, header bytes per entry (each value and all of
them together), and namespaces (the one written to least recently is dropped). Credentials are
redacted whenever entries are read; card data is masked before anything is kept.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .auth import redact

__all__ = ("RequestJournal", "mask_card_data", "may_hold_card_data")

#: Headers whose values are credentials.
_SECRET_HEADERS = {"reb-apikey", "authorization", "cookie"}


def _safe_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    safe = {}
    for name, value in headers:
        if name.lower() in _SECRET_HEADERS:
            scheme, _, token = value.partition(" ")
            value = f"{scheme} {redact(token)}" if token and scheme.lower() == "bearer" \
                else redact(value)
        safe[name] = value
    return safe


class RequestJournal:
    """Per-namespace ring buffers of request records."""

    def __init__(self, entries_per_namespace: int = 1000, max_body_bytes: int = 16 * 1024,
                 max_namespaces: int = 1000, max_header_bytes: int = 4 * 1024,
                 max_header_value_bytes: int = 1024, max_headers: int = 64):
        self.capacity = entries_per_namespace
        self.max_body_bytes = max_body_bytes
        self.max_namespaces = max_namespaces
        self.max_header_bytes = max_header_bytes
        self.max_header_value_bytes = max_header_value_bytes
        self.max_headers = max_headers
        self._lock = threading.Lock()
        #: Least recently written namespace first, so the idlest is dropped when full.
        self._entries: OrderedDict[str, deque[tuple]] = OrderedDict()
        self._ids = itertools.count(1)

    def record(self, namespace: str, *, time: str | datetime, method: str, path: str, query: str,
               headers: Iterable[tuple[str, str]], body: bytes, status: int | None,
               duration_ms: float, fault: dict[str, Any] | None = None,
               stored: bool = False) -> None:
        """Keep the raw facts; credential redaction, decoding and formatting ``time`` wait until
        someone reads the journal. Card numbers and CVVs are masked now, before the body is cut:
        they must never be kept, whole or in part. A body with nothing masking could touch is
        kept as sent and masked (re-encoded, cut) only when read, so the common write costs no
        JSON round trip and reads the same."""
        kept_headers, headers_cut = self._capped_headers(headers)
        if len(body) <= self.max_body_bytes and not may_hold_card_data(body):
            # Nothing to mask: keep the bytes as sent and render them when someone reads them.
            kept_body, body_cut = body, None
        else:
            kept_body, body_cut = self._masked_body(body, path)
        entry = (next(self._ids), time, method, path, query, kept_headers, kept_body, len(body),
                 status, duration_ms, fault, stored, headers_cut, body_cut)
        with self._lock:
            entries = self._entries.get(namespace)
            if entries is None:
                entries = self._entries[namespace] = deque(maxlen=self.capacity)
                if len(self._entries) > self.max_namespaces:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(namespace)
            entries.append(entry)

    def _masked_body(self, body: bytes, path: str) -> tuple[bytes, bool]:
        """The body as kept and shown: masked, then cut to ``max_body_bytes``; and whether
        anything was cut or dropped."""
        masked = mask_card_data(body, card_route=_is_card_route(path))
        cut = len(masked) > self.max_body_bytes or bool(body) and not masked
        return masked[: self.max_body_bytes], cut

    def _capped_headers(self, headers: Iterable[tuple[str, str]]) -> tuple[list, bool]:
        """At most ``max_headers`` headers, each value cut to ``max_header_value_bytes`` and
        all of them to ``max_header_bytes``; the flag says whether anything was cut."""
        kept: list[tuple[str, str]] = []
        budget = self.max_header_bytes
        cut = False
        for name, value in headers:
            if len(kept) >= self.max_headers:
                cut = True
                break
            name = name[: self.max_header_value_bytes]
            if len(value) > self.max_header_value_bytes:
                value, cut = value[: self.max_header_value_bytes], True
            size = len(name) + len(value)
            if size > budget:
                cut = True
                break
            budget -= size
            kept.append((name, value))
        return kept, cut

    def entries(self, namespace: str, filters: Mapping[str, Any] | None = None,
                limit: int | None = None) -> list[dict[str, Any]]:
        """Newest first; ``filters`` may hold ``method``, ``path`` (prefix) and ``status``."""
        filters = filters or {}
        with self._lock:
            raw = list(self._entries.get(namespace, ()))
        selected = [entry for entry in reversed(raw) if _matches(entry, filters)]
        return [self._shown(entry) for entry in selected[:limit]]

    def _shown(self, entry: tuple) -> dict[str, Any]:
        (entry_id, time, method, path, query, headers, body, length, status, duration_ms, fault,
         stored, headers_cut, body_cut) = entry
        if body_cut is None:  # kept as sent: shown exactly as a masked body would be
            body, body_cut = self._masked_body(body, path)
        if not isinstance(time, str):
            time = time.isoformat(timespec="milliseconds")
        return {
            "id": entry_id, "time": time, "method": method, "path": path, "query": query,
            "headers": _safe_headers(headers), "headersTruncated": headers_cut,
            "body": body.decode("utf-8", errors="replace"),
            "bodyTruncated": body_cut, "bodyBytes": length, "status": status,
            "durationMs": round(duration_ms, 3), "fault": fault, "stored": stored,
        }

    def clear(self, namespace: str | None = None) -> int:
        with self._lock:
            if namespace is None:
                count = sum(len(entries) for entries in self._entries.values())
                self._entries.clear()
                return count
            return len(self._entries.pop(namespace, ()))


#: Keys whose values are card data, compared case-insensitively, whatever the value's type.
_PAN_KEYS = frozenset({"pan", "number", "cardnumber", "accountnumber"})
_CVV_KEYS = frozenset({"cvv", "cvc", "cvv2", "cvc2", "encryptedcvv", "securitycode"})
#: Keys whose values are secrets a client sends once and no one reads back (credential passwords).
_SECRET_KEYS = frozenset({"password"})
#: Routes whose bodies carry card data or passwords: a body there that cannot be parsed is not
#: kept at all.
_CARD_ROUTE = re.compile(
    r"/(?:tokens|payment-instruments|transactions|service-credentials)(?:/|$)")
#: 13 or more digits, possibly grouped by single spaces or dashes.
_DIGIT_RUN = re.compile(rb"\d(?:[ -]?\d){12,}")


#: Folds a body for ``may_hold_card_data``: ASCII letters to lower case, every digit to 0, and
#: (with spaces and dashes deleted) digit groups joined, so plain substring tests can stand in
#: for a case-insensitive scan and a digit-run pattern.
_FOLD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ123456789",
                        b"abcdefghijklmnopqrstuvwxyz000000000")
#: What masking looks for, as folded: each masked key in quotes, 13 digits in a row, and a
#: number with an exponent (written out again, it can become a digit run).
_CARD_DATA_MARKS = tuple(f'"{key}"'.encode().translate(_FOLD)
                         for key in sorted(_PAN_KEYS | _CVV_KEYS | _SECRET_KEYS)) \
    + (b"0" * 13, b"0e0", b"0e+0")


def may_hold_card_data(body: bytes) -> bool:
    """Whether masking could change ``body`` beyond its layout. False only for plain ASCII with
    no backslash (an escaped key) and none of ``_CARD_DATA_MARKS``; a non-ASCII key may
    case-fold into a masked one. Substring tests on one folded copy: a few microseconds."""
    if not body.isascii() or b"\\" in body:
        return True
    folded = body.translate(_FOLD, b" -")
    return any(mark in folded for mark in _CARD_DATA_MARKS)


def _is_card_route(path: str) -> bool:
    return bool(_CARD_ROUTE.search(path))


def mask_card_data(body: bytes, *, card_route: bool = False) -> bytes:
    """The body with card numbers and CVVs masked, before any cut, so none survives in part.

    A JSON body is masked on its parsed document, so escaped keys and numeric values are seen
    as what they are, and written out again. A body that is not JSON is dropped on a card route
    (only its size is kept) and elsewhere kept with long digit runs masked. Whatever the form,
    no run of 13-19 digits passing the Luhn check survives.
    """
    if not body.strip():
        return body
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return b"" if card_route else _mask_card_numbers(body)
    try:
        masked = json.dumps(_masked(document), ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        return b""
    return _mask_card_numbers(masked)


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _masked_field(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def _masked_field(key: str, value: Any) -> Any:
    folded = key.casefold()
    if folded in _CVV_KEYS or folded in _SECRET_KEYS:
        return "***"
    if folded in _PAN_KEYS and isinstance(value, (str, int, float)) \
            and not isinstance(value, bool):
        text = str(value)
        return "*" * max(len(text) - 4, 0) + text[-4:] if len(text) > 4 else "*" * len(text)
    if folded in _PAN_KEYS and value is not None and not isinstance(value, bool):
        return "***"
    return _masked(value)


def _mask_card_numbers(text: bytes) -> bytes:
    """Mask each run of 13+ digits that holds a stretch of 13-19 digits passing Luhn."""
    def mask(found: re.Match) -> bytes:
        digits = re.sub(rb"[ -]", b"", found.group())
        if not _holds_luhn_number(digits):
            return found.group()
        return b"*" * (len(digits) - 4) + digits[-4:]
    return _DIGIT_RUN.sub(mask, text)


def _holds_luhn_number(digits: bytes) -> bool:
    if len(digits) > 19:
        return True
    return any(_luhn(digits[start:start + length])
               for length in range(13, len(digits) + 1)
               for start in range(len(digits) - length + 1))


def _luhn(digits: bytes) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = char - 48
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _matches(entry: tuple, filters: Mapping[str, Any]) -> bool:
    """Filter on the raw entry, so only what is returned gets redacted and decoded."""
    method, path, status = entry[2], entry[3], entry[8]
    if filters.get("method") and method != filters["method"].upper():
        return False
    if filters.get("path") and not path.startswith(filters["path"]):
        return False
    if filters.get("status") is not None and status != filters["status"]:
        return False
    return True
