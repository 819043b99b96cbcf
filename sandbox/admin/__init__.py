"""The ``/__admin`` API over HTTP: a blueprint registered from the admin route table.

An admin request names its namespace the way an API request does, with ``REB-APIKEY``;
``Authorization`` is kept for the admin token (``--admin-token``). Admin routes are never rate
limited and never recorded in the request journal. A write a page on another origin could have
sent is refused (``same_origin``).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, request

from ..problems import Unauthorized
from ..state import get_state
from .routes import ADMIN_PREFIX, ADMIN_ROUTES
from .same_origin import refuse_cross_site, refuse_unknown_host
from .views import OPENAPI_BUILDER

__all__ = ("bp", "init_app")

bp = Blueprint("admin", __name__, url_prefix=ADMIN_PREFIX)


@bp.before_request
def _refuse_cross_site() -> None:
    refuse_unknown_host(request, get_state().config["admin_hosts"])
    refuse_cross_site(request)


@bp.before_request
def _check_admin_token() -> None:
    expected = get_state().config["admin_token"]
    if expected is None or request.endpoint == "admin.health":
        return  # health stays open: container health checks and wait loops carry no token
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(),
                                                             expected.encode()):
        raise Unauthorized("Admin routes need 'Authorization: Bearer <admin token>'.",
                           headers={"WWW-Authenticate": 'Bearer realm="rebilly-sandbox admin"'})


for _route in ADMIN_ROUTES:
    bp.add_url_rule(_route.rule, view_func=_route.view, methods=[_route.method],
                    strict_slashes=False)


def init_app(app: Flask, openapi_document: Callable[[], dict[str, Any]]) -> None:
    """Serve the admin API; ``openapi_document`` builds what ``GET /openapi.json`` answers."""
    app.extensions[OPENAPI_BUILDER] = openapi_document
    app.register_blueprint(bp)
