"""The request journal: what each namespace's API requests were, newest first, bounded.

Kept in memory only (it is a debugging aid, not state) and capped, so memory stays flat under any
load: entries per namespace, body bytes per entry, header bytes per entry (each value and all of
them together), and namespaces (the one written to least recently is dropped). Credentials are
redacted whenever entries are read; card data is masked before anything is kept, wherever the
request carried it: path, query string, header values and body.

The card-number recognizer lives here, once, for everything that shows what a request sent (the
journal, the dashboard that reads it, the log line): a run of 13-19 digits, written plain or
grouped by single spaces, dashes, dots or a URL's encoded spaces, that passes the Luhn check.
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
from urllib.parse import unquote_plus

from .auth import redact

__all__ = ("RequestJournal", "mask_card_data", "mask_card_numbers", "mask_card_text",
           "may_hold_card_data")

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
        someone reads the journal. Card numbers and CVVs are masked now, in the path, query,
        header values and body, before anything is cut: they must never be kept, whole or in
        part. The path, query and headers are short, so they are masked on every write (a scan
        each, with nothing to change as a rule). A body with nothing masking could touch is
        kept as sent and masked (re-encoded, cut) only when read, so the common write costs no
        JSON round trip and reads the same."""
        path, query = mask_card_text(path), mask_card_text(query)
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
        """At most ``max_headers`` headers, each value masked (before it is cut, so no part of
        a card number stays) then cut to ``max_header_value_bytes`` and all of them to
        ``max_header_bytes``; the flag says whether anything was cut."""
        kept: list[tuple[str, str]] = []
        budget = self.max_header_bytes
        cut = False
        for name, value in headers:
            if len(kept) >= self.max_headers:
                cut = True
                break
            value = _masked_header(name, value)
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
_CARD_KEYS = _PAN_KEYS | _CVV_KEYS | _SECRET_KEYS
#: Header names (their last word, or last two joined: ``X-Card-Number``, ``X-Cvv``) whose values
#: are card data: the body's keys but ``number``, which names too much else in a header.
_CARD_HEADER_KEYS = _CARD_KEYS - {"number"}
_CARD_HEADER_ENDINGS = tuple(sorted({key[-3:] for key in _CARD_HEADER_KEYS}))
#: Routes whose bodies carry card data or passwords: a body there that cannot be parsed is not
#: kept at all.
_CARD_ROUTE = re.compile(
    r"/(?:tokens|payment-instruments|transactions|service-credentials)(?:/|$)")
#: A card number as written: 13 or more digits, each two neighbours parted by at most one
#: separator (a space, dash or dot, or a space as a URL or a form writes it: ``+``, ``%20``).
_DIGIT_RUN = re.compile(r"[0-9](?:(?:[ .+-]|%20)?[0-9]){12,}")
_SEPARATOR = re.compile(r"[ .+-]|%20")
#: Every byte but an ASCII digit: deleted to count digits, as fewer than 13 hold no card number.
_NOT_DIGITS = bytes(sorted(set(range(256)) - set(b"0123456789")))
#: A card key's name (or the end of one: ``cardNumber``, ``encryptedCvv``) before ``=``, ``]=``
#: or ``":``: text without one has no card key's value to mask.
_CARD_KEY_MARK = re.compile(r'(?:pan|number|cv[vc]2?|securitycode|password)(?:\]|%5d)?(?:=|"\s*:)',
                            re.IGNORECASE)
#: A ``key=value`` pair of a query string, a form or other text. A key starts the text or
#: follows a separator, so each place is tried once, whatever the text.
_PAIR = re.compile(r"(?<![^&;?\s])([^&;=\s]{1,200})=([^&;\s]*)")
#: A quoted key and its value, in a body that is JSON but for a fault (cut short, say).
_QUOTED_PAIR = re.compile(r'"([^"\\]{1,200})"\s*:\s*("(?:[^"\\]|\\.)*"?|[^,}\]\s]*)')
#: What the names of a nested form key are parted by: ``card[cvv]``, ``card.cvv``.
_KEY_PARTS = re.compile(r"[\[\].]+")


#: Folds a body for ``may_hold_card_data``: ASCII letters to lower case, every digit to 0, and
#: (with the separators a digit run may hold deleted, and ``%`` of ``%20``) digit groups joined,
#: so plain substring tests can stand in for a case-insensitive scan and a digit-run pattern.
_FOLD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ123456789",
                        b"abcdefghijklmnopqrstuvwxyz000000000")
_FOLD_DELETE = b" .+-%"


def _folded(data: bytes) -> bytes:
    return data.translate(_FOLD, _FOLD_DELETE)


#: What masking looks for, as folded: each masked key in quotes, 13 digits in a row, and a
#: number with an exponent (written out again, it can become a digit run).
_CARD_DATA_MARKS = tuple(_folded(f'"{key}"'.encode()) for key in sorted(_CARD_KEYS)) \
    + (b"0" * 13, b"0e0")
#: And in a body with an ``=``: each masked key before it, in a form plain or nested
#: (``card[cvv]=``, ``card%5Bcvv%5D=``).
_FORM_MARKS = tuple(_folded(mark.format(key).encode()) for key in sorted(_CARD_KEYS)
                    for mark in ("{}=", "{}]=", "{}%5D="))


def may_hold_card_data(body: bytes) -> bool:
    """Whether masking could change ``body`` beyond its layout. False only for plain ASCII with
    no backslash (an escaped key) and none of the marks (``_CARD_DATA_MARKS``, and
    ``_FORM_MARKS`` when there is an ``=``); a non-ASCII key may
    case-fold into a masked one. Substring tests on one folded copy: a few microseconds."""
    if not body.isascii() or b"\\" in body:
        return True
    folded = _folded(body)
    return any(mark in folded for mark in _CARD_DATA_MARKS) \
        or b"=" in body and any(mark in folded for mark in _FORM_MARKS)


def _is_card_route(path: str) -> bool:
    return bool(_CARD_ROUTE.search(path))


def mask_card_data(body: bytes, *, card_route: bool = False) -> bytes:
    """The body with card numbers and CVVs masked, before any cut, so none survives in part.

    A JSON body is masked on its parsed document, so escaped keys and numeric values are seen
    as what they are, and written out again. A body that is not JSON is dropped on a card route
    (only its size is kept) and elsewhere masked as text (``mask_card_text``: a form's card
    keys, then card numbers). Whatever the form, no card number (``mask_card_numbers``) survives;
    other free text stays as the client sent it.
    """
    if not body.strip():
        return body
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        if card_route:
            return b""
        # surrogateescape: any bytes, UTF-8 or not, come back as they were unless masked.
        text = body.decode("utf-8", "surrogateescape")
        return mask_card_text(text).encode("utf-8", "surrogateescape")
    try:
        return mask_card_numbers(json.dumps(_masked(document), ensure_ascii=False)).encode()
    except (ValueError, RecursionError):
        return b""


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
        return _last_four(str(value))
    if folded in _PAN_KEYS and value is not None and not isinstance(value, bool):
        return "***"
    return _masked(value)


def _last_four(text: str) -> str:
    """A card key's value as shown: its last four characters, the rest starred."""
    return "*" * max(len(text) - 4, 0) + text[-4:] if len(text) > 4 else "*" * len(text)


def mask_card_text(text: str) -> str:
    """Text that is not JSON (a path, a query string, a header value, a form or other body) as
    shown: every card number masked, then each card key's value as in JSON (``cvv=987`` to
    ``cvv=***``). Numbers go first: a value ends at a space, so ``pan=4111 1111 …`` masked as a
    pair first would leave the digits after the space. Quick tests for ``=``, ``"`` and a card
    key's name spare the common text the pairs' scan."""
    text = mask_card_numbers(text)
    if ("=" in text or '"' in text) and _CARD_KEY_MARK.search(text):
        text = _QUOTED_PAIR.sub(_masked_quoted_pair, _PAIR.sub(_masked_pair, text))
    return text


def _masked_pair(found: re.Match[str]) -> str:
    key, value = found.groups()
    masked = _masked_value(_form_key(key), unquote_plus(value))
    return found.group() if masked is None else f"{key}={masked}"


def _masked_quoted_pair(found: re.Match[str]) -> str:
    key, value = found.groups()
    quoted = value.startswith('"')
    masked = _masked_value(key.casefold(), value.strip('"') if quoted else value)
    if masked is None:
        return found.group()
    return f'"{key}": "{masked}"' if quoted or masked == "***" else f'"{key}": {masked}'


def _form_key(key: str) -> str:
    """The innermost name of a form key (``card[cvv]``, ``card.cvv``, ``card%5Bcvv%5D``),
    folded as card keys are compared."""
    names = [name for name in _KEY_PARTS.split(unquote_plus(key)) if name]
    return names[-1].casefold() if names else ""


def _masked_value(key: str, value: str) -> str | None:
    """A card key's value masked as JSON masks it; None when ``key`` is no card key."""
    if key in _CVV_KEYS or key in _SECRET_KEYS:
        return "***"
    if key in _PAN_KEYS:
        return _last_four(value)
    return None


def _masked_header(name: str, value: str) -> str:
    """A header value as kept: a credential as sent (it is redacted when read), a header named
    for card data masked whole, any other value masked as text."""
    folded = name.lower()
    if folded in _SECRET_HEADERS:
        return value
    if folded.endswith(_CARD_HEADER_ENDINGS):
        words = folded.replace("_", "-").rsplit("-", 2)
        for key in (words[-1], "".join(words[-2:])):
            if key in _CARD_HEADER_KEYS:
                return _masked_value(key, value) or "***"
    return mask_card_text(value)


def mask_card_numbers(text: str) -> str:
    """``text`` with each card number (a digit run of ``_DIGIT_RUN`` holding 13-19 digits that
    pass the Luhn check) starred but for its last four digits; nothing else changes. Counting
    digits first spares the common text the pattern's scan."""
    if len(text) < 13 or len(text.encode("ascii", "ignore").translate(None, _NOT_DIGITS)) < 13:
        return text
    return _DIGIT_RUN.sub(_masked_run, text)


def _masked_run(found: re.Match[str]) -> str:
    run = found.group()
    digits = _SEPARATOR.sub("", run)
    if run.count(".") == 1 and len(digits) == len(run) - 1:
        # One dot and no other separator: a decimal point, so two numbers (an amount).
        return ".".join(mask_card_numbers(part) for part in run.split("."))
    if not _holds_luhn_number(digits):
        return run
    return "*" * (len(digits) - 4) + digits[-4:]


def _holds_luhn_number(digits: str) -> bool:
    if len(digits) > 19:
        return True
    return any(_luhn(digits[start:start + length])
               for length in range(13, len(digits) + 1)
               for start in range(len(digits) - length + 1))


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
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
