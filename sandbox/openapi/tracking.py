"""The webhook tracking log, preview and API log routes of the OpenAPI document."""

from __future__ import annotations

from typing import Any

from ..resources import API_LOGS, WEBHOOK_TRACKING
from ..schemas.list_query import list_query_parameters
from ..schemas.tracking import API_LOG, TRACKING_ENTRY
from ..schemas.webhook import WebhookSchema
from .components import (
    JSON,
    error_refs,
    json_answer,
    list_operation,
)

__all__ = ("tracking_operations", "TRACKING_ENTRY")

_TEXT = {"type": "string"}

_ENTRY_ID = {"name": "entry_id", "in": "path", "required": True,
             "description": "A tracking entry id (hook_log_…).", "schema": _TEXT}
_LOG_ID = {"name": "log_id", "in": "path", "required": True,
           "description": "An API log id (the request journal's).", "schema": _TEXT}


def tracking_operations() -> dict[str, dict[str, dict[str, Any]]]:
    tags = ["Webhook tracking"]
    done = {"description": "Done."}
    return {
        "/tracking/webhooks": {"get": list_operation(
            "listWebhookTracking", tags,
            "The namespace's webhook delivery attempts, newest first unless sorted.",
            list_query_parameters(WEBHOOK_TRACKING), TRACKING_ENTRY, "The page.")},
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
        **api_log_operations(),
    }


def api_log_operations() -> dict[str, dict[str, dict[str, Any]]]:
    tags = ["API log"]
    return {
        "/tracking/api": {"get": list_operation(
            "listApiLogs", tags,
            "The namespace's API requests from the request journal, newest first unless sorted.",
            list_query_parameters(API_LOGS), API_LOG, "The page.")},
        "/tracking/api/{log_id}": {"get": {
            "operationId": "getApiLog", "tags": tags,
            "summary": "One API request.", "parameters": [_LOG_ID],
            "responses": {"200": json_answer(API_LOG, "The request."),
                          **error_refs(401, 404)}}},
    }
