"""The app factory: settings, error handling, state, request log, the API, approval page and
admin blueprints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from flask import Flask, Request

from . import (
    admin,
    api,
    approval,
    cors,
    errors,
    framepay,
    openapi,
    requestlog,
    seeding,
    state,
    wire,
)
from .config import load_config
from .fanout import FanOut
from .replicas import ReplicaPrefix

__all__ = ("build_app", "SandboxApp")


class SandboxApp(Flask):
    """Flask, where a request no route takes is first offered to the API: a route Rebilly has
    and the sandbox does not simulate is a 501, not a 404 (``api.unsimulated``). Only requests
    routing refused come here, so served routes pay nothing for it."""

    def raise_routing_exception(self, request: Request) -> NoReturn:
        api.refuse_unsimulated(request)
        super().raise_routing_exception(request)


def build_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the sandbox app: defaults, then ``SANDBOX_*`` variables, then ``overrides``.

    :raises ConfigError: for a setting that cannot be used.
    :raises StorageError: when the database files cannot be opened.
    """
    config = load_config(overrides)
    seeding.check_start_up_fixtures(config)
    app = SandboxApp(__name__)
    app.url_map.merge_slashes = False  # "/customers//" is a 404 problem, not an HTML redirect
    app.config["MAX_CONTENT_LENGTH"] = config["max_body_bytes"]
    app.json.sort_keys = False
    app.json.compact = True
    errors.init_app(app)
    state.init_app(app, state.SandboxState.from_config(config))
    requestlog.init_app(app)
    wire.init_app(app)
    cors.init_app(app)
    api.init_app(app)
    approval.init_app(app)
    framepay.init_app(app)
    admin.init_app(app, openapi.build_spec)
    app.wsgi_app = ReplicaPrefix(app.wsgi_app)  # type: ignore[method-assign]
    if config["peers"]:
        app.wsgi_app = FanOut(app.wsgi_app, config["peers"])  # type: ignore[method-assign]
    return app
