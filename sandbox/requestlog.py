"""One log line per request: method, path, status, duration and the redacted namespace."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

__all__ = ("init_app",)

log = logging.getLogger("sandbox.requests")


def _start_timer() -> None:
    g.started = time.perf_counter()


def _log_request(response: Response) -> Response:
    if log.isEnabledFor(logging.INFO):
        elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        namespace = g.get("namespace")
        log.info("%s %s %d %.1fms ns=%s", request.method, request.path, response.status_code,
                 elapsed_ms, namespace.label if namespace else "-")
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_log_request)
