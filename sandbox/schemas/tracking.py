"""What the webhook tracking log and the API log answer, as JSON Schema, for the OpenAPI document
only."""

from __future__ import annotations

from typing import Any

__all__ = ("TRACKING_ENTRY", "API_LOG")

_TEXT = {"type": "string"}
_HEADERS = {"type": "object", "additionalProperties": _TEXT}

#: Rebilly's WebhookTracking, plus the sandbox's ``webhookId`` and ``deliveryId``.
TRACKING_ENTRY: dict[str, Any] = {
    "type": "object",
    "required": ["id", "status", "attempt", "eventType", "source"],
    "properties": {
        "id": _TEXT, "status": {"type": "integer", "description": "The receiver's HTTP "
                                "status; 0 when none came (not sent, no answer in time)."},
        "duration": {"type": "integer", "description": "Milliseconds."},
        "initiatedTime": {"type": "string", "format": "date-time"},
        "sentTime": {"type": "string", "format": "date-time"},
        "url": _TEXT, "method": _TEXT, "request": _TEXT, "response": _TEXT,
        "requestHeaders": _HEADERS, "responseHeaders": _HEADERS,
        "entityId": _TEXT, "eventType": _TEXT,
        "source": {"type": "string", "enum": ["webhooks", "rules"]},
        "attempt": {"type": "integer"}, "organizationId": _TEXT, "webhookId": _TEXT,
        "deliveryId": _TEXT,
    },
}

_NULL = {"type": "null"}
_UNKNOWN = {"type": ["string", "null"], "description": "Always null: the sandbox does not know."}

#: Rebilly's ApiTracking as the sandbox fills it from the request journal: what the journal does
#: not keep is null.
API_LOG: dict[str, Any] = {
    "type": "object",
    "required": ["id", "status", "url", "route", "method", "request", "response",
                 "requestHeaders", "responseHeaders", "user", "ipAddress", "relatedResourceIds",
                 "duration", "organizationId", "createdTime", "updatedTime", "_links"],
    "properties": {
        "id": {"type": "string", "description": "The request journal's id of the request."},
        "status": {"type": ["integer", "null"], "description": "The answer's status; null when "
                   "the connection was dropped before one was sent."},
        "url": {"type": "string", "description": "The path and query string sent, on the root "
                "URL the log is read from."},
        "route": {"type": ["string", "null"], "description": "Rebilly's route template, such as "
                  "/customers/{id}; null for a path Rebilly does not have."},
        "method": _TEXT,
        "request": {"type": "string", "description": "The body sent, card data masked."},
        "response": {**_NULL, "description": "Always null: the journal keeps no answer body."},
        "requestHeaders": {**_HEADERS, "description": "The credential redacted."},
        "responseHeaders": {**_NULL, "description": "Always null: the journal keeps no answer "
                            "headers."},
        "user": {"type": "object", "properties": {
            **{name: _UNKNOWN for name in ("userId", "apiKeyId", "email", "firstName",
                                           "lastName", "ipAddress", "fingerprint")},
            "userAgent": {"type": ["string", "null"]}, "isSupport": {"type": "boolean"}}},
        "ipAddress": {**_NULL, "description": "Always null: the journal keeps no address."},
        "relatedResourceIds": {"type": "array", "maxItems": 0, "items": _TEXT},
        "duration": {"type": "integer", "description": "Milliseconds."},
        "organizationId": _TEXT,
        "createdTime": {"type": "string", "format": "date-time"},
        "updatedTime": {"type": "string", "format": "date-time"},
        "_links": {"type": "array", "items": {
            "type": "object", "required": ["rel", "href"],
            "properties": {"rel": _TEXT, "href": _TEXT}}},
    },
}
