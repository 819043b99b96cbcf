"""The webhook tracking log and previews: ``GET /tracking/webhooks``, ``GET`` one entry,
``POST /tracking/webhooks/{id}/resend`` (204) and ``POST /previews/webhooks`` (204).

The log is listed by the shared list machinery with ``limit``, ``offset``, ``sort``, ``filter``
and ``q`` (what the JS SDK sends), newest first when no ``sort`` is given; other query
parameters are ignored."""

from __future__ import annotations

from flask import Response, request

from ..resources import WEBHOOK_TRACKING
from ..schemas.list_query import load_list_query
from ..schemas.webhook import WebhookSchema
from ..services import tracking as service
from .present import json_response, page_response
from .routing import add_route, load_body, service_context

__all__ = ()

webhook_schema = WebhookSchema()


def list_tracking() -> Response:
    query = load_list_query(WEBHOOK_TRACKING, request.args)
    page = service.list_entries(service_context(), query)
    return page_response(page.documents, page.total, query.limit, query.offset)


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
