"""The coupon routes: coupons (create by ``POST`` or ``PUT`` by id, read, list, move the
expiry) and their redemptions (redeem, read, list, cancel). Load the body or list query, call
the service, show the result.

Actions answer 201 with ``Location``: the expiration with the coupon, a cancel with the
redemption (Rebilly declares no body there; the SDK reads one if it comes). A cancel takes no
body.
"""

from __future__ import annotations

from flask import Response, request

from ..resources import COUPON_REDEMPTIONS, COUPONS
from ..schemas.coupon import CouponExpirationSchema, CouponSchema, RedemptionSchema
from ..schemas.list_query import load_list_query
from ..services import coupons, discounts, events
from .present import coupon_body, json_response, page_response, redemption_body
from .routing import add_route, base_url, load_body, service_context

__all__ = ()

_coupon_schema = CouponSchema()
_expiration_schema = CouponExpirationSchema()
_redemption_schema = RedemptionSchema()

events.register_presenter("coupon", coupon_body)
events.register_presenter("coupon-redemption", redemption_body)


def _coupon_at(coupon_id: str) -> dict[str, str]:
    return {"Location": f"{base_url()}/coupons/{coupon_id}"}


def _redemption_at(redemption_id: str) -> dict[str, str]:
    return {"Location": f"{base_url()}/coupons-redemptions/{redemption_id}"}


def post_coupon() -> Response:
    coupon = coupons.create_coupon(service_context(), load_body(_coupon_schema))
    return json_response(coupon_body(coupon, base_url()), 201, _coupon_at(coupon["id"]))


def list_coupons() -> Response:
    query = load_list_query(COUPONS, request.args)
    page = coupons.list_coupons(service_context(), query)
    return page_response([coupon_body(coupon, base_url()) for coupon in page.documents],
                         page.total, query.limit, query.offset)


def get_coupon(coupon_id: str) -> Response:
    return json_response(coupon_body(coupons.get_coupon(service_context(), coupon_id),
                                     base_url()))


def put_coupon(coupon_id: str) -> Response:
    coupon, created = coupons.upsert_coupon(service_context(), coupon_id,
                                            load_body(_coupon_schema))
    if created:
        return json_response(coupon_body(coupon, base_url()), 201, _coupon_at(coupon_id))
    return json_response(coupon_body(coupon, base_url()))


def set_coupon_expiration(coupon_id: str) -> Response:
    coupon = coupons.set_expiration(service_context(), coupon_id,
                                    load_body(_expiration_schema))
    return json_response(coupon_body(coupon, base_url()), 201, _coupon_at(coupon_id))


def post_redemption() -> Response:
    redemption = discounts.create_redemption(service_context(), load_body(_redemption_schema))
    return json_response(redemption_body(redemption, base_url()), 201,
                         _redemption_at(redemption["id"]))


def list_redemptions() -> Response:
    query = load_list_query(COUPON_REDEMPTIONS, request.args)
    page = discounts.list_redemptions(service_context(), query)
    return page_response([redemption_body(redemption, base_url())
                          for redemption in page.documents],
                         page.total, query.limit, query.offset)


def get_redemption(redemption_id: str) -> Response:
    return json_response(redemption_body(
        discounts.get_redemption(service_context(), redemption_id), base_url()))


def cancel_redemption(redemption_id: str) -> Response:
    redemption = discounts.cancel(service_context(), redemption_id)
    return json_response(redemption_body(redemption, base_url()), 201,
                         _redemption_at(redemption_id))


for _view, _rule, _method in (
        (post_coupon, "/coupons", "POST"), (list_coupons, "/coupons", "GET"),
        (get_coupon, "/coupons/<coupon_id>", "GET"),
        (put_coupon, "/coupons/<coupon_id>", "PUT"),
        (set_coupon_expiration, "/coupons/<coupon_id>/expiration", "POST"),
        (post_redemption, "/coupons-redemptions", "POST"),
        (list_redemptions, "/coupons-redemptions", "GET"),
        (get_redemption, "/coupons-redemptions/<redemption_id>", "GET"),
        (cancel_redemption, "/coupons-redemptions/<redemption_id>/cancel", "POST")):
    add_route(_rule, _view, [_method])
