"""Strict JSON request bodies: parsed whatever the Content-Type, rejected clearly when unusable.

Rebilly's PHP SDK sends bodies with no Content-Type, so the body is always read as JSON. What no
JSON object for the API can be (invalid UTF-8, NaN, numbers too large for a float, duplicate keys,
nesting past a limit, lone surrogates or NUL characters in strings, a top level that is not an
object) is a 400 whose detail names the problem, before anything reaches validation or storage.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .problems import BadRequest

__all__ = ("parse_json_object",)

_BAD_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
_ESCAPED_BAD_CHARACTER = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


class _Rejected(ValueError):
    """Raised from inside the JSON decoder hooks; carries the 400's detail."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise _Rejected(f"The JSON body repeats the key {duplicate!r} in one object.")
    return result


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Rejected(f"The number {text[:40]} is too large.")
    return value


def _bounded_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise _Rejected(f"The number {text[:40]}… has too many digits.") from None


def _no_constants(name: str) -> float:
    raise _Rejected(f"{name} is not valid JSON.")


_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_float=_finite_float, parse_int=_bounded_int,
    parse_constant=_no_constants,
)


def parse_json_object(body: bytes, *, max_depth: int) -> dict[str, Any]:
    """Return the body as a JSON object.

    :raises BadRequest: with a detail that names what is wrong with the body.
    """
    if not body.strip():
        raise BadRequest("The request body is empty; send a JSON object.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"The request body is not valid UTF-8 (byte {exc.start}).") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    _check_depth(text, max_depth)
    try:
        value = _DECODER.decode(text)
    except _Rejected as exc:
        raise BadRequest(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"The request body is not valid JSON: {exc.msg.removesuffix(' at')} at line "
            f"{exc.lineno} column {exc.colno}."
        ) from None
    except (ValueError, RecursionError):
        raise BadRequest("The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise BadRequest(f"The request body must be a JSON object, not {_json_kind(value)}.")
    if _ESCAPED_BAD_CHARACTER.search(text):  # NUL and surrogates can only arrive escaped
        _check_strings(value)
    return value


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array"


def _check_depth(text: str, max_depth: int) -> None:
    """Refuse deep nesting before decoding, so no input can exhaust the decoder's recursion."""
    if text.count("[") + text.count("{") <= max_depth:
        return
    depth = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        if bracket in "[{":
            depth += 1
            if depth > max_depth:
                raise BadRequest(f"The JSON body is nested deeper than {max_depth} levels.")
        else:
            depth -= 1


def _check_strings(document: dict[str, Any]) -> None:
    """Refuse NUL characters and lone surrogates, which no stored text may hold."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else key
                if _BAD_CHARACTERS.search(key):
                    raise BadRequest(
                        f"The key {where!r} holds a NUL character or a lone surrogate.")
                stack.append((where, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}", item) for index, item in enumerate(value))
        elif isinstance(value, str) and _BAD_CHARACTERS.search(value):
            raise BadRequest(f"The value of {path} holds a NUL character or a lone surrogate.")
