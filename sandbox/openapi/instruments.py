"""The payment instrument routes of the OpenAPI document, with their list parameters read from
the list query schema, so the document states the bounds the list enforces."""

from __future__ import annotations

from typing import Any

from ..resources import PAYMENT_INSTRUMENTS
from ..schemas.instrument import InstrumentCreateSchema, InstrumentPatchSchema
from ..schemas.list_query import list_query_parameters
from ..schemas.responses import PaymentInstrumentResponseSchema, ProblemSchema
from .components import (
    CREATED_HEADERS,
    RATE_LIMITED,
    error_refs,
    json_answer,
    list_operation,
    request_body,
)

__all__ = ("instrument_operations",)

_INSTRUMENT_ID = {"name": "instrument_id", "in": "path", "required": True,
                  "description": "A payment instrument id (inst_…).",
                  "schema": {"type": "string"}}


def instrument_operations() -> dict[str, dict[str, dict[str, Any]]]:
    """``/payment-instruments`` and its member routes, as apispec path operations."""
    card = PaymentInstrumentResponseSchema
    tags = ["Payment instruments"]
    return {
        "/payment-instruments": {
            "post": {
                "operationId": "createPaymentInstrument", "tags": tags,
                "summary": "Store a payment card from a token or a plain card; a card the "
                           "customer already holds (same fingerprint and expiry) is updated "
                           "and answered 303 to it.",
                "requestBody": request_body(InstrumentCreateSchema),
                "responses": {
                    "201": json_answer(card, "Created.", headers=CREATED_HEADERS),
                    "303": json_answer(card, "It already existed and was updated; Location "
                                             "serves it.", headers=CREATED_HEADERS),
                    **error_refs(400, 401, 413, 422, 429)},
            },
            "get": list_operation("listPaymentInstruments", tags,
                                  "A page of the namespace's payment instruments.",
                                  list_query_parameters(PAYMENT_INSTRUMENTS), card(partial=True)),
        },
        "/payment-instruments/{instrument_id}": {
            "get": {
                "operationId": "getPaymentInstrument", "tags": tags,
                "summary": "One payment instrument, with the status it shows now.",
                "parameters": [dict(_INSTRUMENT_ID)],
                "responses": {"200": json_answer(card, "The instrument."),
                              **error_refs(401, 404)},
            },
            "patch": {
                "operationId": "patchPaymentInstrument", "tags": tags,
                "summary": "Apply the fields that fit a payment card (the union of Rebilly's "
                           "token, card and bank-account bodies).",
                "parameters": [dict(_INSTRUMENT_ID)],
                "requestBody": request_body(InstrumentPatchSchema),
                "responses": {"200": json_answer(card, "Updated.", headers=RATE_LIMITED),
                              **error_refs(400, 401, 404, 413, 422, 429)},
            },
        },
        "/payment-instruments/{instrument_id}/deactivation": {
            "post": {
                "operationId": "deactivatePaymentInstrument", "tags": tags,
                "summary": "Take the instrument out of use for good (no body); it stops being "
                           "its customer's default.",
                "parameters": [dict(_INSTRUMENT_ID)],
                "responses": {
                    "201": json_answer(card, "Deactivated.", headers=CREATED_HEADERS),
                    "409": json_answer(ProblemSchema, "It was already deactivated."),
                    **error_refs(401, 404, 429)},
            },
        },
    }
