"""The ``/__admin`` API: health, reset and snapshots, over HTTP as a thin layer on Python calls.

An admin request names its namespace the way an API request does, with ``REB-APIKEY``;
``Authorization`` stays free for an admin token. Admin routes are never rate limited.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, request

from ..auth import authenticate
from ..errors import BadRequest
from ..state import get_state
from . import operations

__all__ = ("bp", "init_app")

bp = Blueprint("admin", __name__, url_prefix="/__admin")


def _namespace(required: bool) -> str | None:
    if "REB-APIKEY" not in request.headers:
        if required:
            raise BadRequest("Name the namespace with the REB-APIKEY header of its API key.")
        return None
    return authenticate({"REB-APIKEY": request.headers["REB-APIKEY"]},
                        accepted_keys=get_state().config["api_keys"]).id


def _json(body, status: int = 200) -> Response:
    response = current_app.json.response(body)
    response.status_code = status
    return response


@bp.get("/health")
def health() -> Response:
    return _json(operations.health(get_state()))


@bp.post("/reset")
def reset() -> Response:
    return _json(operations.reset(get_state(), _namespace(required=False)))


@bp.get("/snapshots")
def list_snapshots() -> Response:
    return _json(operations.list_snapshots(get_state(), _namespace(required=True)))


@bp.post("/snapshots/<name>")
def save_snapshot(name: str) -> Response:
    return _json(operations.save_snapshot(get_state(), _namespace(required=True), name), 201)


@bp.post("/snapshots/<name>/restore")
def restore_snapshot(name: str) -> Response:
    return _json(operations.restore_snapshot(get_state(), _namespace(required=True), name))


@bp.delete("/snapshots/<name>")
def delete_snapshot(name: str) -> Response:
    operations.delete_snapshot(get_state(), _namespace(required=True), name)
    return Response(status=204)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
