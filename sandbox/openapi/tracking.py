"""The webhook tracking log and preview routes of the OpenAPI document."""

from __future__ import annotations

from typing import Any

from ..schemas.tracking import TRACKING_ENTRY
from ..schemas.webhook import WebhookSchema
from .components import (
    JSON,
    PAGING_HEADERS,
    error_refs,
    json_answer,
)

__all__ = ("tracking_operations", "TRACKING_ENTRY")

_TEXT = {"type": "string"}

_ENTRY_ID = {"name": "entry_id", "in": "path", "required": True,
             "description": "A tracking entry id (hook_log_…).", "schema": _TEXT}
_PAGE = [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0,
                                                     "maximum": 1000, "default": 100}},
         {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
         {"name": "eventType", "in": "query", "schema": _TEXT,
          "description": "Only entries of this event type (a sandbox addition)."}]


def tracking_operations() -> dict[str, dict[str, dict[str, Any]]]:
    tags = ["Webhook tracking"]
    done = {"description": "Done."}
    return {
        "/tracking/webhooks": {"get": {
            "operationId": "listWebhookTracking", "tags": tags,
            "summary": "Every webhook delivery attempt of the namespace, newest first.",
            "parameters": _PAGE,
            "responses": {"200": json_answer(
                {"type": "array", "items": TRACKING_ENTRY}, "The page.",
                headers=PAGING_HEADERS),
                **error_refs(401, 422)}}},
        "/tracking/webhooks/{entry_id}": {"get": {
            "operationId": "getWebhookTracking", "tags": tags,
            "summary": "One delivery attempt.", "parameters": [_ENTRY_ID],
            "responses": {"200": json_answer(TRACKING_ENTRY, "The attempt."),
                          **error_refs(401, 404)}}},
        "/tracking/webhooks/{entry_id}/resend": {"post": {
            "operationId": "resendWebhook", "tags": tags,
            "summary": "Send the attempt's delivery once more, now.", "parameters": [_ENTRY_ID],
            "responses": {"204": dict(done), **error_refs(401, 404, 429)}}},
        "/previews/webhooks": {"post": {
            "operationId": "previewWebhook", "tags": tags,
            "summary": "Send one sample delivery to a GlobalWebhook's url (not stored).",
            "requestBody": {"required": True, "content": {JSON: {"schema": WebhookSchema}}},
            "responses": {"204": dict(done), **error_refs(400, 401, 422, 429)}}},
    }
