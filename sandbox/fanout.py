"""Global admin writes made on every replica of a cluster, since HAProxy sends a request to one.

An admin write without ``REB-APIKEY`` (reset everything, the global clock, global fault rules,
emptying every journal, delivering every due webhook) concerns every namespace, and behind the
balancer every replica holds a share of them. The replica that receives such a call makes it on
its peers (``--peers``) through their admin API, marked so they do not pass it on, then on
itself. The answer is its own, with ``X-Sandbox-Replicas`` saying how many replicas made the
call; if a peer did not answer or answered 5xx, the call still stands on every other replica and
the answer is a 502 naming the peer, so the caller knows to repeat it once the peer is back.
Reads answer locally: every replica holds the same global state, since every write went to all.
"""

from __future__ import annotations

import http.client
import io
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

__all__ = ("FANNED_OUT_HEADER", "FanOut", "is_global_write")

#: Marks a call a replica passes on, so the peer makes it only on itself.
FANNED_OUT_HEADER = "X-Sandbox-Fanned-Out"
_FORWARDED = ("Content-Type", "Authorization")
_TIMEOUT = 30.0


def is_global_write(environ: dict[str, Any]) -> bool:
    """An admin write that names no namespace and that no peer passed on already."""
    return (environ.get("PATH_INFO", "").startswith("/__admin/")
            and environ.get("REQUEST_METHOD") not in ("GET", "HEAD", "OPTIONS")
            and not environ.get("HTTP_REB_APIKEY")
            and not environ.get("HTTP_X_SANDBOX_FANNED_OUT"))


class FanOut:
    """WSGI middleware: a global admin write goes to every peer, then to this replica."""

    def __init__(self, app: Callable[..., Iterable[bytes]], peers: Sequence[str]) -> None:
        self.app = app
        self.peers = tuple(peer.rstrip("/") for peer in peers)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        if not is_global_write(environ):
            return self.app(environ, start_response)
        body = _read_body(environ)
        failures = [failure for peer in self.peers
                    if (failure := _pass_on(peer, environ, body)) is not None]
        answer: list[Any] = []

        def keep_start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            answer[:] = [status, headers]
            return lambda data: None

        chunks = self.app(environ, keep_start)
        try:
            local = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        if failures:
            return _bad_gateway(start_response, failures)
        status, headers = answer
        start_response(status, [*headers, ("X-Sandbox-Replicas", str(len(self.peers) + 1))])
        return [local]


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, read once and put back for the local app."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _pass_on(peer: str, environ: dict[str, Any], body: bytes) -> str | None:
    """Make the call on one peer; what went wrong, or None."""
    parts = urlsplit(peer)
    path = environ.get("PATH_INFO", "")
    if environ.get("QUERY_STRING"):
        path += "?" + environ["QUERY_STRING"]
    headers = {FANNED_OUT_HEADER: "1"}
    for name in _FORWARDED:
        value = environ.get("HTTP_" + name.upper().replace("-", "_"),
                            environ.get(name.upper().replace("-", "_")))
        if value:
            headers[name] = value
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80,
                                            timeout=_TIMEOUT)
    try:
        connection.request(environ["REQUEST_METHOD"], path, body=body or None, headers=headers)
        response = connection.getresponse()
        response.read()
    except OSError as error:
        return f"{peer} did not answer ({error.__class__.__name__})"
    finally:
        connection.close()
    if response.status >= 500:
        return f"{peer} answered {response.status}"
    return None


def _bad_gateway(start_response: Callable[..., Any], failures: list[str]) -> list[bytes]:
    body = json.dumps({
        "type": "about:blank",
        "title": "Bad Gateway", "status": 502,
        "detail": "Not every replica made this call: " + "; ".join(failures) + ".",
    }).encode()
    start_response("502 Bad Gateway", [("Content-Type", "application/problem+json"),
                                       ("Content-Length", str(len(body)))])
    return [body]
