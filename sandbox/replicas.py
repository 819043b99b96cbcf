"""Which replica made a URL, so the URLs a replica hands out behind HAProxy come back to it.

Behind the balancer an API request reaches its namespace's replica by its credential, but a
shopper's browser on the 3-D Secure approval page carries none. HAProxy names the replica it
chose in ``X-Sandbox-Replica`` (``http-send-name-header``, which replaces anything a client
sent), so the replica puts its name in the approval URL it answers
(``/_sandbox/replicas/{name}/approval/{token}``). HAProxy sends every path under
``/_sandbox/replicas/{name}/`` to that replica with the marker stripped and named in
``X-Sandbox-Prefix``; the app takes it as its script root, so the links it makes there (the
approval form, the dashboard) keep the marker. Without the headers (no balancer) nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import has_request_context, request

__all__ = ("MARKER", "PREFIX_HEADER", "REPLICA_HEADER", "ReplicaPrefix", "replica_root",
           "unmarked_root")

#: The header HAProxy names the chosen replica in, and the one naming a stripped marker.
REPLICA_HEADER = "X-Sandbox-Replica"
PREFIX_HEADER = "X-Sandbox-Prefix"
#: Paths under ``MARKER + name + "/"`` reach the replica of that name.
MARKER = "/_sandbox/replicas/"
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def replica_root(root: str) -> str:
    """``root`` with this replica's marker, for a URL that must come back to this replica."""
    if not has_request_context():
        return root
    name = request.headers.get(REPLICA_HEADER, "")
    if not _NAME.match(name) or root.endswith(MARKER + name):
        return root
    return root + MARKER + name


def unmarked_root(root: str) -> str:
    """``root`` without a replica's marker: the API's own root, for links any request may use."""
    head, marker, name = root.rpartition(MARKER)
    return head if marker and _NAME.match(name) else root


class ReplicaPrefix:
    """WSGI middleware: a marker HAProxy stripped becomes the script root of the request."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        prefix = environ.get("HTTP_X_SANDBOX_PREFIX", "")
        if prefix.startswith(MARKER) and _NAME.match(prefix[len(MARKER):]):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
        return self.app(environ, start_response)
