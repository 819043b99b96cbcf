"""The API log: ``GET /tracking/api`` and ``GET /tracking/api/{id}`` (the JS SDK's
``tracking.getAllApiLogs`` and ``getApiLog``), read from the namespace's request journal.

Listed by the shared list machinery with ``limit``, ``offset``, ``sort``, ``filter`` and ``q``,
newest first when no ``sort`` is given; other query parameters (``expand``) are ignored."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ..resources import API_LOGS
from ..schemas.list_query import load_list_query
from ..services import api_logs as service
from ..state import get_state
from .present import json_response, page_response
from .routing import add_route, base_url, service_context
from .unsimulated import placement

__all__ = ()


def _read() -> dict[str, Any]:
    """What the service reads the journal with: the journal, the root URL, the placement."""
    return {"journal": get_state().journal, "root_url": request.root_url.rstrip("/"),
            "place": placement}


def _shown(log: dict[str, Any], root: str) -> dict[str, Any]:
    return {**log, "_links": [{"rel": "self", "href": f"{root}/tracking/api/{log['id']}"}]}


def list_api_logs() -> Response:
    query = load_list_query(API_LOGS, request.args)
    page = service.list_api_logs(service_context(), query=query, **_read())
    root = base_url()
    return page_response([_shown(log, root) for log in page.documents], page.total, query.limit,
                         query.offset)


def get_api_log(log_id: str) -> Response:
    return json_response(_shown(service.get_api_log(service_context(), log_id=log_id, **_read()),
                                base_url()))


add_route("/tracking/api", list_api_logs, ["GET"])
add_route("/tracking/api/<log_id>", get_api_log, ["GET"])
