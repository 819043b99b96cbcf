"""One log line per request: method, path, status, duration and the redacted namespace.

What the client sent is escaped before it is logged: a CR, LF or other control character in a
URL or header would otherwise start a line of the client's choosing in the log. A card number in
the path is masked as the request journal masks it, before the path is cut.
"""

from __future__ import annotations

import logging
import re
import time

from flask import Flask, Response, g, request

from .requestjournal import mask_card_text

__all__ = ("init_app", "printable")

log = logging.getLogger("sandbox.requests")

#: C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: Longest client-sent text one log line carries.
MAX_LOGGED_CHARS = 512


def printable(text: str) -> str:
    """``text`` on one line: control characters as escapes (``\\n``, ``\\x1b``), cut short."""
    if len(text) <= MAX_LOGGED_CHARS and text.isprintable() and "\\" not in text:
        return text  # nothing to escape or cut: the usual case, without two scans
    text = text.replace("\\", "\\\\")
    text = _CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"),
                        text)
    return text if len(text) <= MAX_LOGGED_CHARS else text[:MAX_LOGGED_CHARS] + "…"


def _start_timer() -> None:
    g.started = time.perf_counter()


def _log_request(response: Response) -> Response:
    """The line is made here and handed to the handlers as a finished record: the caller's file
    and line, which ``Logger.info`` looks up by walking the stack, are the same every time and
    no format of the sandbox shows them."""
    if log.isEnabledFor(logging.INFO):
        elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        namespace = g.get("namespace")
        line = (f"{printable(request.method)} {printable(mask_card_text(request.path))} "
                f"{response.status_code} {elapsed_ms:.1f}ms "
                f"ns={printable(namespace.label) if namespace else '-'}")
        log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, line, None, None,
                                  "_log_request"))
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_log_request)
