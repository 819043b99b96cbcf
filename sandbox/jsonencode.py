"""Compact JSON encoding for what the sandbox sends and writes: answers, the write-ahead log and
snapshots.

orjson encodes a stored document about six times faster than the standard library (2.5 us
against 16 us for a 1.4 KB customer, 0.13 ms against 1.6 ms for a page of 100), and every
answer and every write-ahead log line is one such encoding. It refuses two things the standard
library accepts and a stored document can hold: integers beyond 64 bits and strings with a lone
surrogate (``"\\ud800"`` is valid JSON). Those few documents go through the standard library,
escaped to ASCII as before, so the output is always valid UTF-8 and parses back to the same value.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ("dumps",)


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON (no spaces, non-ASCII text as is)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":")).encode("ascii")
