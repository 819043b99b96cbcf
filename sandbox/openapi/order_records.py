"""The routes of an order's records in the OpenAPI document: cancellations, pauses and
reactivations, bodies read from the validating schemas."""

from __future__ import annotations

from typing import Any

from ..resources import SUBSCRIPTION_CANCELLATIONS, SUBSCRIPTION_PAUSES
from ..schemas.list_query import list_query_parameters
from ..schemas.order_records import (
    CancellationResponseSchema,
    CancellationSchema,
    PauseResponseSchema,
    PauseSchema,
    ReactivationResponseSchema,
    ReactivationSchema,
)
from ..schemas.responses import ProblemSchema
from .components import (
    CREATED_HEADERS,
    RATE_LIMITED,
    error_refs,
    json_answer,
    list_operation,
    request_body,
)

__all__ = ("order_record_operations",)

CANCELLATION_TAGS = ["Subscription cancellations"]
PAUSE_TAGS = ["Subscription pauses"]
REACTIVATION_TAGS = ["Subscription reactivations"]
_CANCELLATION = "/subscription-cancellations/{cancellation_id}"
_PAUSE = "/subscription-pauses/{pause_id}"


def _path_id(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string"}}


_CANCELLATION_ID = _path_id("cancellation_id", "A cancellation id (sub_cnl_… or one chosen "
                                               "with PUT).")
_PAUSE_ID = _path_id("pause_id", "A pause id (sub_pau_… or one chosen with PUT).")


def order_record_operations() -> dict[str, dict[str, dict[str, Any]]]:
    """Cancellations, pauses and reactivations, as apispec path operations."""
    return {**_cancellations(), **_pauses(), **_reactivations()}


def _cancellations() -> dict[str, dict[str, dict[str, Any]]]:
    answer = CancellationResponseSchema
    created = json_answer(answer, "Created.", headers=CREATED_HEADERS)
    return {
        "/subscription-cancellations": {
            "get": list_operation(
                "listSubscriptionCancellations", CANCELLATION_TAGS,
                "A page of the namespace's subscription cancellations.",
                list_query_parameters(SUBSCRIPTION_CANCELLATIONS), answer(partial=True),
                description="The page, as a bare array."),
            "post": {
                "operationId": "createSubscriptionCancellation", "tags": CANCELLATION_TAGS,
                "summary": "Cancel an active or paused order (or preview it, as a draft): "
                           "churned at once, or canceled until its churn time.",
                "requestBody": request_body(CancellationSchema),
                "responses": {"201": created, **error_refs(400, 401, 413, 422, 429)},
            },
        },
        _CANCELLATION: {
            "get": {
                "operationId": "getSubscriptionCancellation", "tags": CANCELLATION_TAGS,
                "summary": "One subscription cancellation.", "parameters": [_CANCELLATION_ID],
                "responses": {"200": json_answer(answer, "The cancellation."),
                              **error_refs(401, 404)},
            },
            "put": {
                "operationId": "upsertSubscriptionCancellation", "tags": CANCELLATION_TAGS,
                "summary": "Create the cancellation with this id, or replace a draft (which "
                           "confirms it when the body says confirmed).",
                "parameters": [_CANCELLATION_ID],
                "requestBody": request_body(CancellationSchema),
                "responses": {"200": json_answer(answer, "The draft, replaced.",
                                                 headers=RATE_LIMITED),
                              "201": created,
                              "409": json_answer(ProblemSchema, "The cancellation exists and "
                                                                "is not a draft."),
                              **error_refs(400, 401, 413, 422, 429)},
            },
        },
    }


def _pauses() -> dict[str, dict[str, dict[str, Any]]]:
    answer = PauseResponseSchema
    created = json_answer(answer, "Created.", headers=CREATED_HEADERS)
    return {
        "/subscription-pauses": {
            "get": list_operation(
                "listSubscriptionPauses", PAUSE_TAGS,
                "A page of the namespace's subscription pauses.",
                list_query_parameters(SUBSCRIPTION_PAUSES), answer(partial=True),
                description="The page, as a bare array."),
            "post": {
                "operationId": "createSubscriptionPause", "tags": PAUSE_TAGS,
                "summary": "Pause an active order: at once, or pending until effectiveTime.",
                "requestBody": request_body(PauseSchema),
                "responses": {"201": created, **error_refs(400, 401, 413, 422, 429)},
            },
        },
        _PAUSE: {
            "get": {
                "operationId": "getSubscriptionPause", "tags": PAUSE_TAGS,
                "summary": "One subscription pause.", "parameters": [_PAUSE_ID],
                "responses": {"200": json_answer(answer, "The pause."),
                              **error_refs(401, 404)},
            },
            "put": {
                "operationId": "upsertSubscriptionPause", "tags": PAUSE_TAGS,
                "summary": "Create the pause with this id, or change a pending or ongoing one.",
                "parameters": [_PAUSE_ID], "requestBody": request_body(PauseSchema),
                "responses": {"200": json_answer(answer, "Changed.", headers=RATE_LIMITED),
                              "201": created,
                              "409": json_answer(ProblemSchema, "The pause is revoked or "
                                                                "finished."),
                              **error_refs(400, 401, 413, 422, 429)},
            },
            "delete": {
                "operationId": "deleteSubscriptionPause", "tags": PAUSE_TAGS,
                "summary": "Revoke a pending pause, or finish an ongoing one (the order "
                           "resumes now).",
                "parameters": [_PAUSE_ID],
                "responses": {"204": {"description": "Revoked or finished.",
                                      "headers": RATE_LIMITED},
                              "409": json_answer(ProblemSchema, "The pause is already revoked "
                                                                "or finished."),
                              **error_refs(401, 404, 429)},
            },
        },
    }


def _reactivations() -> dict[str, dict[str, dict[str, Any]]]:
    return {
        "/subscription-reactivations": {
            "post": {
                "operationId": "createSubscriptionReactivation", "tags": REACTIVATION_TAGS,
                "summary": "Make a canceled or churned order active again.",
                "requestBody": request_body(ReactivationSchema),
                "responses": {"201": json_answer(ReactivationResponseSchema, "Created.",
                                                 headers=CREATED_HEADERS),
                              "409": json_answer(ProblemSchema, "The order is neither canceled "
                                                                "nor churned."),
                              **error_refs(400, 401, 413, 422, 429)},
            },
        },
    }
