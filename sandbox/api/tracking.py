"""The webhook tracking log and previews: ``GET /tracking/webhooks``, ``GET`` one entry,
``POST /tracking/webhooks/{id}/resend`` (204) and ``POST /previews/webhooks`` (204)."""

from __future__ import annotations

from flask import Response, request

from ..problems import ValidationFailed
from ..schemas.webhook import WebhookSchema
from ..services import tracking as service
from .present import json_response, page_response
from .routing import add_route, load_body, service_context

__all__ = ()

#: Largest page of the tracking log.
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100

webhook_schema = WebhookSchema()


def _whole_number(name: str, default: int, highest: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    # ASCII digits only: str.isdigit also takes superscripts and other scripts' digits, which
    # int() refuses or reads as another number.
    if not (raw.isascii() and raw.isdigit()) or int(raw) > highest:
        raise ValidationFailed([{"field": name,
                                 "message": f"Must be a whole number from 0 to {highest}."}])
    return int(raw)


def list_tracking() -> Response:
    limit = _whole_number("limit", DEFAULT_LIMIT, MAX_LIMIT)
    offset = _whole_number("offset", 0, 10**9)
    entries, total = service.list_entries(service_context(), limit=limit, offset=offset,
                                          event_type=request.args.get("eventType") or None)
    return page_response(entries, total, limit, offset)


def get_tracking(entry_id: str) -> Response:
    return json_response(service.get_entry(service_context(), entry_id))


def resend_tracking(entry_id: str) -> Response:
    service.resend(service_context(), entry_id)
    return Response(status=204)


def preview_webhook() -> Response:
    service.preview(service_context(), load_body(webhook_schema))
    return Response(status=204)


add_route("/tracking/webhooks", list_tracking, ["GET"])
add_route("/tracking/webhooks/<entry_id>", get_tracking, ["GET"])
add_route("/tracking/webhooks/<entry_id>/resend", resend_tracking, ["POST"])
add_route("/previews/webhooks", preview_webhook, ["POST"])
