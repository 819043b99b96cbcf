"""The approval page's part of the OpenAPI document: a browser page, reached without a key."""

from __future__ import annotations

from typing import Any

from apispec import APISpec

from .components import error_refs

__all__ = ("add_approval",)

PAGE = {"text/html": {"schema": {"type": "string"}}}
TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"},
         "description": "The unguessable token of a waiting transaction's approvalUrl link."}
CHOICE = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["result"],
    "properties": {"result": {"type": "string",
                              "enum": ["approved", "declined", "abandoned"]}}}}}}
FINISHED = {"description": "The transaction is no longer waiting: a page saying how it ended.",
            "content": PAGE}


def _operations() -> dict[str, dict[str, Any]]:
    return {
        "get": {
            "operationId": "showApprovalPage", "tags": ["Approval page"], "security": [],
            "summary": "The offsite (3-D Secure) approval page: Approve, Decline, Abandon.",
            "responses": {"200": {"description": "The page.", "content": PAGE},
                          "409": FINISHED, **error_refs(404)},
        },
        "post": {
            "operationId": "chooseOnApprovalPage", "tags": ["Approval page"], "security": [],
            "summary": "Finish the transaction with the shopper's choice, notify the "
                       "notificationUrl (approved, declined) and redirect to the redirectUrl.",
            "requestBody": CHOICE,
            "responses": {"303": {"description": "To the redirectUrl, placeholders filled.",
                                  "headers": {"Location": {"schema": {"type": "string"}}}},
                          "200": {"description": "No redirectUrl: the result as a page.",
                                  "content": PAGE},
                          "409": FINISHED, **error_refs(404, 413, 422)},
        },
    }


def add_approval(spec: APISpec) -> None:
    spec.path(path="/_sandbox/approval/{token}", operations=_operations(), parameters=[TOKEN])
