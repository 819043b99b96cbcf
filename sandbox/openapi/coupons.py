"""The coupon routes in the OpenAPI document: coupons, their expiration, and redemptions with
their cancel, bodies read from the validating schemas."""

from __future__ import annotations

from typing import Any

from ..resources import COUPON_REDEMPTIONS, COUPONS
from ..schemas.coupon import (
    CouponExpirationSchema,
    CouponResponseSchema,
    CouponSchema,
    RedemptionResponseSchema,
    RedemptionSchema,
)
from ..schemas.list_query import list_query_parameters
from ..schemas.responses import ProblemSchema
from .components import (
    CREATED_HEADERS,
    RATE_LIMITED,
    error_refs,
    json_answer,
    list_operation,
    request_body,
)

__all__ = ("coupon_operations",)

TAGS = ["Coupons"]
_COUPON = "/coupons/{coupon_id}"
_REDEMPTION = "/coupons-redemptions/{redemption_id}"
_COUPON_ID = {"name": "coupon_id", "in": "path", "required": True, "schema": {"type": "string"},
              "description": "A coupon id: its code (cpn_… or one chosen with PUT)."}
_REDEMPTION_ID = {"name": "redemption_id", "in": "path", "required": True,
                  "schema": {"type": "string"}, "description": "A redemption id (cpn_rdm_…)."}


def coupon_operations() -> dict[str, dict[str, dict[str, Any]]]:
    """``/coupons``, one coupon, its expiration, and the redemption routes, as apispec path
    operations."""
    coupon_created = json_answer(CouponResponseSchema, "Created.", headers=CREATED_HEADERS)
    redemption_created = json_answer(RedemptionResponseSchema, "The redemption.",
                                     headers=CREATED_HEADERS)
    return {
        "/coupons": {
            "post": {
                "operationId": "createCoupon", "tags": TAGS,
                "summary": "Create a coupon with a generated id (its code).",
                "requestBody": request_body(CouponSchema),
                "responses": {"201": coupon_created, **error_refs(400, 401, 413, 422, 429)},
            },
            "get": list_operation("listCoupons", TAGS, "A page of the namespace's coupons, "
                                  "each status as of now.", list_query_parameters(COUPONS),
                                  CouponResponseSchema(partial=True),
                                  description="The page, as a bare array."),
        },
        _COUPON: {
            "get": {
                "operationId": "getCoupon", "tags": TAGS, "summary": "One coupon.",
                "parameters": [_COUPON_ID],
                "responses": {"200": json_answer(CouponResponseSchema, "The coupon."),
                              **error_refs(401, 404)},
            },
            "put": {
                "operationId": "upsertCoupon", "tags": TAGS,
                "summary": "Create the coupon with this id (its code), or replace one never "
                           "redeemed.",
                "parameters": [_COUPON_ID],
                "requestBody": request_body(CouponSchema),
                "responses": {"200": json_answer(CouponResponseSchema, "Replaced.",
                                                 headers=RATE_LIMITED),
                              "201": coupon_created,
                              "409": json_answer(ProblemSchema, "The coupon has been redeemed."),
                              **error_refs(400, 401, 413, 422, 429)},
            },
        },
        f"{_COUPON}/expiration": {
            "post": {
                "operationId": "setCouponExpiration", "tags": TAGS,
                "summary": "Move the coupon's expiry; null or \"\" expires it now.",
                "parameters": [_COUPON_ID],
                "requestBody": request_body(CouponExpirationSchema),
                "responses": {"201": json_answer(CouponResponseSchema, "The coupon.",
                                                 headers=CREATED_HEADERS),
                              "409": json_answer(ProblemSchema, "The coupon is expired and has "
                                                                "been redeemed."),
                              **error_refs(400, 401, 404, 413, 422, 429)},
            },
        },
        "/coupons-redemptions": {
            "post": {
                "operationId": "redeemCoupon", "tags": TAGS,
                "summary": "Redeem an issued coupon for a customer; it then discounts the "
                           "customer's invoices its restrictions allow.",
                "requestBody": request_body(RedemptionSchema),
                "responses": {"201": redemption_created,
                              **error_refs(400, 401, 413, 422, 429)},
            },
            "get": list_operation("listCouponRedemptions", TAGS,
                                  "A page of the namespace's coupon redemptions.",
                                  list_query_parameters(COUPON_REDEMPTIONS),
                                  RedemptionResponseSchema(partial=True),
                                  description="The page, as a bare array."),
        },
        _REDEMPTION: {
            "get": {
                "operationId": "getCouponRedemption", "tags": TAGS,
                "summary": "One coupon redemption.", "parameters": [_REDEMPTION_ID],
                "responses": {"200": json_answer(RedemptionResponseSchema, "The redemption."),
                              **error_refs(401, 404)},
            },
        },
        f"{_REDEMPTION}/cancel": {
            "post": {
                "operationId": "cancelCouponRedemption", "tags": TAGS,
                "summary": "Cancel a redemption: its discount leaves the customer's draft, "
                           "unpaid and past-due invoices. Takes no body.",
                "parameters": [_REDEMPTION_ID],
                "responses": {"201": redemption_created,
                              **error_refs(401, 404, 422, 429)},
            },
        },
    }
