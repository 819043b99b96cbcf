"""What every answer shares on the wire, whichever blueprint made it.

A 204 has no body, so it names no content type: Flask would otherwise label the empty answer
``text/html``, which some clients try to parse.
"""

from __future__ import annotations

from flask import Flask, Response

__all__ = ("init_app",)

#: Statuses that never carry a body (RFC 9110).
BODILESS = frozenset({204, 304})


def _bodiless_without_content_type(response: Response) -> Response:
    if response.status_code in BODILESS:
        response.headers.pop("Content-Type", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_bodiless_without_content_type)
