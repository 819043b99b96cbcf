"""The request journal: what each namespace's API requests were, newest first, bounded.

Kept in memory only (it is a debugging aid, not state) and capped three ways, so memory stays
flat under any load: entries per namespace, body bytes per entry, and namespaces (the one written
to least recently is dropped). Credentials are redacted whenever entries are read.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict, deque
from typing import Any, Iterable, Mapping

from .auth import redact

__all__ = ("RequestJournal",)

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
                 max_namespaces: int = 1000):
        self.capacity = entries_per_namespace
        self.max_body_bytes = max_body_bytes
        self.max_namespaces = max_namespaces
        self._lock = threading.Lock()
        #: Least recently written namespace first, so the idlest is dropped when full.
        self._entries: OrderedDict[str, deque[tuple]] = OrderedDict()
        self._ids = itertools.count(1)

    def record(self, namespace: str, *, time: str, method: str, path: str, query: str,
               headers: Iterable[tuple[str, str]], body: bytes, status: int | None,
               duration_ms: float, fault: dict[str, Any] | None = None,
               stored: bool = False) -> None:
        """Keep the raw facts; credential redaction and decoding wait until someone reads the
        journal. Card numbers and CVVs are masked now: they must never be kept."""
        entry = (next(self._ids), time, method, path, query, list(headers),
                 _mask_card_data(body[: self.max_body_bytes]), len(body), status, duration_ms,
                 fault, stored)
        with self._lock:
            entries = self._entries.get(namespace)
            if entries is None:
                entries = self._entries[namespace] = deque(maxlen=self.capacity)
                if len(self._entries) > self.max_namespaces:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(namespace)
            entries.append(entry)

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
         stored) = entry
        return {
            "id": entry_id, "time": time, "method": method, "path": path, "query": query,
            "headers": _safe_headers(headers), "body": body.decode("utf-8", errors="replace"),
            "bodyTruncated": length > self.max_body_bytes, "status": status,
            "durationMs": round(duration_ms, 3), "fault": fault, "stored": stored,
        }

    def clear(self, namespace: str | None = None) -> int:
        with self._lock:
            if namespace is None:
                count = sum(len(entries) for entries in self._entries.values())
                self._entries.clear()
                return count
            return len(self._entries.pop(namespace, ()))


_PAN = re.compile(rb'("pan"\s*:\s*")([^"]*)"')
_CVV = re.compile(rb'("(?:cvv|encryptedCvv)"\s*:\s*")[^"]*"')


def _mask_card_data(body: bytes) -> bytes:
    """``"pan": "4111111111111111"`` becomes ``"pan": "************1111"``; CVVs become ``***``."""
    if b'"pan"' not in body and b'vv"' not in body:
        return body
    body = _PAN.sub(lambda found: found.group(1) + b"*" * max(len(found.group(2)) - 4, 0)
                    + found.group(2)[-4:] + b'"', body)
    return _CVV.sub(lambda found: found.group(1) + b'***"', body)


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
