"""The webhook registration routes of the OpenAPI document: service credentials and webhooks,
with the list parameters these lists take (limit, offset, filter)."""

from __future__ import annotations

from typing import Any

from ..resources import WEBHOOK_CREDENTIALS, WEBHOOKS
from ..schemas.list_query import list_query_parameters
from ..schemas.webhook import CredentialSchema, WebhookSchema
from .components import (
    CREATED_HEADERS,
    RATE_LIMITED,
    error_refs,
    json_answer,
    list_operation,
    request_body,
)

__all__ = ("webhook_operations",)

_WEBHOOK_ID = {"name": "webhook_id", "in": "path", "required": True,
               "description": "A webhook id (hook_… or one chosen with PUT).",
               "schema": {"type": "string"}}
_CREDENTIAL_ID = {"name": "credential_id", "in": "path", "required": True,
                  "description": "A service credential id (crd_…).",
                  "schema": {"type": "string"}}

_WEBHOOK_ANSWER = {
    "type": "object",
    "required": ["id", "eventsFilter", "status", "method", "url", "headers", "credentialHash",
                 "body", "filter", "createdTime", "updatedTime", "_links"],
    "properties": {
        "id": {"type": "string"}, "eventsFilter": {"type": "array", "items": {"type": "string"}},
        "status": {"type": "string"}, "method": {"type": "string"}, "url": {"type": "string"},
        "headers": {"type": "array", "items": {"type": "object"}},
        "credentialHash": {"type": "string"}, "body": {"type": ["string", "null"]},
        "filter": {"type": ["string", "null"]}, "createdTime": {"type": "string"},
        "updatedTime": {"type": "string"}, "_links": {"type": "array"},
    },
}
_CREDENTIAL_ANSWER = {
    "type": "object",
    "required": ["id", "hash", "type", "host", "auth", "status", "createdTime", "updatedTime",
                 "_links"],
    "properties": {
        "id": {"type": "string"}, "hash": {"type": "string"}, "type": {"type": "string"},
        "host": {"type": "string"},
        "auth": {"type": "object", "description": "type and username; never the password."},
        "status": {"type": "string"}, "createdTime": {"type": "string"},
        "updatedTime": {"type": "string"}, "_links": {"type": "array"},
    },
}


def webhook_operations() -> dict[str, dict[str, dict[str, Any]]]:
    """``/service-credentials/webhook``, ``/webhooks`` and their member routes."""
    credential_tags, webhook_tags = ["Service credentials"], ["Webhooks"]
    webhook = _WEBHOOK_ANSWER
    return {
        "/service-credentials/webhook": {
            "post": {
                "operationId": "createWebhookCredential", "tags": credential_tags,
                "summary": "Store where webhook deliveries go and how they authenticate (none, "
                           "basic or digest); an identical active credential is answered 303.",
                "requestBody": request_body(CredentialSchema),
                "responses": {
                    "201": json_answer(_CREDENTIAL_ANSWER, "Created.", headers=CREATED_HEADERS),
                    "303": json_answer(_CREDENTIAL_ANSWER, "It already existed; Location "
                                                           "serves it.", headers=CREATED_HEADERS),
                    **error_refs(400, 401, 413, 422, 429)},
            },
            "get": list_operation("listWebhookCredentials", credential_tags,
                                  "A page of the namespace's webhook credentials.",
                                  list_query_parameters(WEBHOOK_CREDENTIALS), _CREDENTIAL_ANSWER,
                                  "The page, as a bare array."),
        },
        "/service-credentials/webhook/{credential_id}": {
            "get": {
                "operationId": "getWebhookCredential", "tags": credential_tags,
                "summary": "One webhook credential, without its password.",
                "parameters": [dict(_CREDENTIAL_ID)],
                "responses": {"200": json_answer(_CREDENTIAL_ANSWER, "The credential."),
                              **error_refs(401, 404)},
            },
        },
        "/webhooks": {
            "post": {
                "operationId": "createWebhook", "tags": webhook_tags,
                "summary": "Register a webhook; at most 25 may be active at once.",
                "requestBody": request_body(WebhookSchema),
                "responses": {"201": json_answer(webhook, "Created.", headers=CREATED_HEADERS),
                              **error_refs(400, 401, 413, 422, 429)},
            },
            "get": list_operation("listWebhooks", webhook_tags,
                                  "A page of the namespace's webhooks.",
                                  list_query_parameters(WEBHOOKS), webhook,
                                  "The page, as a bare array."),
        },
        "/webhooks/{webhook_id}": {
            "get": {
                "operationId": "getWebhook", "tags": webhook_tags, "summary": "One webhook.",
                "parameters": [dict(_WEBHOOK_ID)],
                "responses": {"200": json_answer(webhook, "The webhook."),
                              **error_refs(401, 404)},
            },
            "put": {
                "operationId": "upsertWebhook", "tags": webhook_tags,
                "summary": "Create the webhook with this id, or replace it.",
                "parameters": [dict(_WEBHOOK_ID)], "requestBody": request_body(WebhookSchema),
                "responses": {"200": json_answer(webhook, "Replaced.", headers=RATE_LIMITED),
                              "201": json_answer(webhook, "Created.", headers=CREATED_HEADERS),
                              **error_refs(400, 401, 413, 422, 429)},
            },
            "delete": {
                "operationId": "deleteWebhook", "tags": webhook_tags,
                "summary": "Remove the webhook; deliveries already written still go out.",
                "parameters": [dict(_WEBHOOK_ID)],
                "responses": {"204": {"description": "Deleted.", "headers": RATE_LIMITED},
                              **error_refs(401, 404, 429)},
            },
        },
    }
