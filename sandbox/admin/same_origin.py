"""Admin writes come from the sandbox's own origin or from no browser at all.

A page the developer happens to visit could otherwise reset or fault their sandbox with a form
or a ``no-cors`` fetch: both are sent without a preflight. So a write (any method but GET, HEAD
and OPTIONS) is refused when the browser says it came from elsewhere (``Origin`` not the
sandbox's own, ``Sec-Fetch-Site`` not ``same-origin``), and when its body is one of the types
such a request can carry (a form, ``text/plain``) without a header no such request can carry
(``REB-APIKEY``, ``Authorization``). Test suites send JSON, and ``curl -d`` a key.
"""

from __future__ import annotations

from flask import Request

from ..problems import Forbidden

__all__ = ("refuse_cross_site",)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Content types a cross-site form or ``no-cors`` fetch may send without a preflight.
SIMPLE_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data",
                          "text/plain"})
TRUSTED_FETCH_SITES = frozenset({"same-origin", "none"})
#: Headers a form or a ``no-cors`` fetch can never send.
CUSTOM_HEADERS = ("REB-APIKEY", "Authorization")


def refuse_cross_site(request: Request) -> None:
    """:raises Forbidden: for an admin write a page on another origin could have sent."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    own = request.host_url.rstrip("/")
    if origin is not None and origin.rstrip("/").lower() != own.lower():
        raise Forbidden(f"Admin writes are refused from another origin ({origin}).")
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in TRUSTED_FETCH_SITES:
        raise Forbidden(f"Admin writes are refused from a {site} page.")
    if request.mimetype in SIMPLE_TYPES and not any(name in request.headers
                                                    for name in CUSTOM_HEADERS):
        raise Forbidden(f"Admin writes take JSON, or a REB-APIKEY header, not a bare "
                        f"{request.mimetype} body: a form on any page could send that.")
