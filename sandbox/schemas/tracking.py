"""What the webhook tracking log answers, as JSON Schema, for the OpenAPI document only."""

from __future__ import annotations

from typing import Any

__all__ = ("TRACKING_ENTRY",)

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
