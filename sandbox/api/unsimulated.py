"""Rebilly's routes on the API's paths: a 501 naming a route the sandbox does not simulate, and
the route any request went to (for the API log).

A 404 reads as "no such record" to a client (the JS SDK throws the same error for both), so
"get, else create" code would go on to create. The app asks ``refuse_unsimulated`` only where
routing failed, so a request a route takes never pays for it. Rebilly's list (``routelist``) is
read under the API's own prefixes: a route Rebilly has is a 501 once the credential is
authenticated (a 401 without one, as on any API route); a path Rebilly has with another method
is a 405 naming every method the path answers; anything else keeps its 404 or 405.
"""

from __future__ import annotations

from flask import Request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from ..auth import authenticate
from ..problems import NotSimulated
from ..routelist import shipped
from ..state import get_state
from .routing import ADMIN_PATH, PREFIXES, RESOURCE_ID

__all__ = ("refuse_unsimulated", "placement", "unprefixed")

#: Paths that are the sandbox's own, never Rebilly's: the admin API and the approval page.
OWN_PATHS = (ADMIN_PATH, "/_sandbox/")

#: The API's prefixes as segments, longest first; ``<name>`` stands for an id.
_PREFIXES = sorted((tuple(prefix.split("/")[1:]) for prefix in PREFIXES), key=len, reverse=True)


def unprefixed(path: str) -> tuple[str, str | None]:
    """``path`` without the API prefix it was sent under (and its trailing slash), and the
    organization id that prefix named, if any."""
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    parts = path.split("/")[1:]
    for prefix in _PREFIXES:
        if len(parts) <= len(prefix):
            continue
        named = list(zip(prefix, parts[:len(prefix)], strict=True))
        if all(part == name or name.startswith("<") and RESOURCE_ID.fullmatch(part)
               for name, part in named):
            organization_id = next((part for name, part in named
                                    if name == "<organization_id>"), None)
            return "/" + "/".join(parts[len(prefix):]), organization_id
    return path, None


def placement(method: str, path: str) -> tuple[str | None, str | None]:
    """Rebilly's route template for ``method`` and ``path`` (None when it has none), and the
    organization id the path's prefix named (None when none did)."""
    rest, organization_id = unprefixed(path)
    return shipped().methods_at(rest).get("GET" if method == "HEAD" else method), organization_id


def refuse_unsimulated(request: Request) -> None:
    """Raise what a request no route of the sandbox took answers when Rebilly has its path:
    ``NotSimulated`` (501), ``Unauthorized`` (401) before that, or a 405 naming the methods
    the path answers. Return, leaving the routing error as it is, otherwise."""
    error = request.routing_exception
    if not isinstance(error, (NotFound, MethodNotAllowed)) or request.path.startswith(OWN_PATHS):
        return
    methods = shipped().methods_at(unprefixed(request.path)[0])
    if not methods:
        return
    method = "GET" if request.method == "HEAD" else request.method  # HEAD is a GET unsent
    template = methods.get(method)
    if template is None:
        served = getattr(error, "valid_methods", None) or ()
        rebilly = {*methods, *(("HEAD",) if "GET" in methods else ())}
        raise MethodNotAllowed(valid_methods=sorted({*served, *rebilly}))
    state = get_state()
    authenticate(request.headers, allow_publishable=False, accepted_keys=state.config["api_keys"],
                 salt=state.namespace_salt)
    raise NotSimulated(f"{method} {template} is a Rebilly route the sandbox does not simulate.")
