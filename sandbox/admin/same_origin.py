"""Admin writes come from the sandbox's own origin or from no browser at all.

A page the developer happens to visit could otherwise reset or fault their sandbox with a form
or a ``no-cors`` fetch: both are sent without a preflight. So a write (any method but GET, HEAD
and OPTIONS) is refused when the browser says it came from elsewhere (``Origin`` not the
sandbox's own, ``Sec-Fetch-Site`` not ``same-origin``), and when its body is one of the types
such a request can carry (a form, ``text/plain``) without a header no such request can carry
(``REB-APIKEY``, ``Authorization``). Test suites send JSON, and ``curl -d`` a key.

A page can also make its own name resolve to 127.0.0.1 (DNS rebinding): it is then, for the
browser, the sandbox's own origin. So a browser reaches the admin API only by an address, by
``localhost``, or by a name ``--admin-hosts`` lists (``refuse_unknown_host``); clients that are
not browsers (test suites, curl, SDKs) send no ``Sec-Fetch-*`` header and are not asked.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from flask import Request

from ..problems import Forbidden

__all__ = ("refuse_cross_site", "refuse_unknown_host")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Content types a cross-site form or ``no-cors`` fetch may send without a preflight.
SIMPLE_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data",
                          "text/plain"})
TRUSTED_FETCH_SITES = frozenset({"same-origin", "none"})
#: Headers a form or a ``no-cors`` fetch can never send.
CUSTOM_HEADERS = ("REB-APIKEY", "Authorization")


#: Headers every current browser sends and other HTTP clients do not.
BROWSER_HEADERS = ("Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-Dest")


def refuse_unknown_host(request: Request, admin_hosts: Iterable[str]) -> None:
    """:raises Forbidden: for a browser that reached the admin API by a name it may have made
    resolve to this machine (an address, ``localhost`` or a listed name are taken)."""
    if not any(name in request.headers for name in BROWSER_HEADERS):
        return
    host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    host = host.strip("[]").lower().rstrip(".")
    if _is_address(host) or host == "localhost" or host.endswith(".localhost"):
        return
    if any(entry == host or (entry.startswith("*.") and host.endswith(entry[1:]))
           for entry in (entry.strip().lower() for entry in admin_hosts)):
        return
    raise Forbidden(f"A browser reaches the admin API by an address, localhost or a name in "
                    f"--admin-hosts, not by {host}: a page could make that name point here.")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


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
