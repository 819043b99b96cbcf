"""Coupons: create (a generated ``cpn_`` id, or one chosen with PUT), replace while never
redeemed, read, list, and move their expiry; each change announced through the event outbox.

Pure Python: no Flask, no marshmallow. A coupon's ``status`` follows from its times and the
namespace clock (``draft`` before ``issuedTime``, ``expired`` from ``expiredTime``, ``issued``
between). It is stored, so lists filter and sort on it, and brought up to date whenever a coupon
is read, listed, changed or redeemed; a status reached that way fires ``coupon-issued`` or
``coupon-expired`` then, dated in ``updatedTime`` by the moment the time passed.
"""

from __future__ import annotations

from typing import Any

from ..ids import format_time
from ..problems import Conflict, ValidationFailed
from ..store import Transaction, copy_document
from .context import Context
from .documents import check_id, read, write
from .events import emit
from .listing import Page, list_documents
from .paging import ListQuery
from .tables import COUPONS

__all__ = ("COUPON_WRITABLE", "create_coupon", "upsert_coupon", "get_coupon", "list_coupons",
           "set_expiration", "refresh", "status_at")

#: The writable members a stored coupon keeps, each with its value when a body leaves it out.
COUPON_WRITABLE: dict[str, Any] = {"discount": None, "restrictions": [], "description": None,
                                   "issuedTime": None, "expiredTime": None}


def create_coupon(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Store a coupon under a generated ``cpn_`` id; return it as stored."""
    with ctx.store.transaction() as tx:
        return _store(tx, ctx, ctx.ids.new("cpn"), data)[0]


def upsert_coupon(ctx: Context, coupon_id: str, data: dict[str, Any]) -> tuple[dict, bool]:
    """Create the coupon with this id (its code), or replace it; (coupon, created).

    :raises ValidationFailed: for a malformed id.
    :raises Conflict: when the coupon has been redeemed (Rebilly freezes a redeemed coupon).
    """
    check_id(coupon_id)
    with ctx.store.transaction() as tx:
        existing = tx.read(ctx.namespace, COUPONS, coupon_id)
        if existing is not None and existing["redemptionsCount"]:
            raise Conflict(f"Coupon {coupon_id} has been redeemed and can no longer be changed; "
                           "only its expiry can move.")
        return _store(tx, ctx, coupon_id, data)


def get_coupon(ctx: Context, coupon_id: str) -> dict[str, Any]:
    """:raises NotFound: when the namespace has no such coupon."""
    with ctx.store.transaction() as tx:
        return refresh(tx, ctx, read(tx, ctx, COUPONS, coupon_id, "coupon"))


def list_coupons(ctx: Context, query: ListQuery) -> Page:
    """A page of coupons, every status first brought up to date (a list scans them all
    anyway), so ``filter=status:issued`` means issued now."""
    with ctx.store.transaction() as tx:
        now = format_time(ctx.clock.now())
        for coupon in [coupon for coupon in tx.view(ctx.namespace, COUPONS)
                       if status_at(coupon, now) != coupon["status"]]:
            refresh(tx, ctx, coupon)
    return list_documents(ctx.store, ctx.namespace, query)


def set_expiration(ctx: Context, coupon_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Move the coupon's ``expiredTime`` (None: now); fire ``coupon-expiration-modified``, and
    ``coupon-expired`` when that expires it.

    :raises NotFound: when there is no such coupon.
    :raises Conflict: when the coupon is expired and has been redeemed.
    :raises ValidationFailed: on ``expiredTime`` when a time given is not after ``issuedTime``.
    """
    with ctx.store.transaction() as tx:
        coupon = copy_document(refresh(tx, ctx, read(tx, ctx, COUPONS, coupon_id, "coupon")))
        if coupon["status"] == "expired" and coupon["redemptionsCount"]:
            raise Conflict(f"Coupon {coupon_id} expired at {coupon['expiredTime']} and has been "
                           "redeemed; its expiry can no longer move.")
        now = format_time(ctx.clock.now())
        expired_time = data.get("expiredTime")
        if expired_time is not None and expired_time <= coupon["issuedTime"]:
            raise ValidationFailed([{"field": "expiredTime", "message": "Must be later than "
                                     f"issuedTime ({coupon['issuedTime']})."}])
        before = coupon["status"]
        coupon.update(expiredTime=expired_time or now, revision=coupon["revision"] + 1,
                      updatedTime=now)
        coupon["status"] = status_at(coupon, now)
        tx.put(ctx.namespace, COUPONS, coupon)
        emit(tx, ctx, "coupon-expiration-modified", coupon_id, {"coupon": coupon})
        _announce(tx, ctx, coupon, before)
        return coupon


def status_at(coupon: dict[str, Any], now: str) -> str:
    """``draft``, ``issued`` or ``expired`` at ``now`` (all times in the stored UTC form)."""
    if coupon.get("expiredTime") is not None and coupon["expiredTime"] <= now:
        return "expired"
    return "draft" if coupon["issuedTime"] > now else "issued"


def refresh(tx: Transaction, ctx: Context, coupon: dict[str, Any]) -> dict[str, Any]:
    """The stored coupon with its status brought up to date by the clock (stored, announced),
    or the coupon itself when its status stands."""
    now = format_time(ctx.clock.now())
    status = status_at(coupon, now)
    if status == coupon["status"]:
        return coupon
    passed = {"expired": coupon.get("expiredTime"), "issued": coupon["issuedTime"]}.get(status)
    changed = {"status": status, "revision": coupon["revision"] + 1,
               "updatedTime": max(passed or now, coupon["updatedTime"])}
    updated = tx.update(ctx.namespace, COUPONS, coupon["id"], changed) or coupon
    _announce(tx, ctx, updated, coupon["status"])
    return updated


def _store(tx: Transaction, ctx: Context, coupon_id: str,
           data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Write the coupon's writable members, keeping (or starting) what the server owns."""
    existing = tx.read(ctx.namespace, COUPONS, coupon_id)
    owned = ({name: value for name, value in copy_document(existing).items()
              if name not in COUPON_WRITABLE and name not in ("id", "createdTime")}
             if existing else {"status": "draft", "redemptionsCount": 0,
                               "activeRedemptions": 0, "revision": 1})
    coupon, created = write(tx, ctx, COUPONS, coupon_id, data, COUPON_WRITABLE, owned)
    if not created:
        coupon["revision"] += 1
    before = coupon["status"]
    coupon["status"] = status_at(coupon, coupon["updatedTime"])
    tx.put(ctx.namespace, COUPONS, coupon)
    if not created:
        emit(tx, ctx, "coupon-modified", coupon_id, {"coupon": coupon})
    _announce(tx, ctx, coupon, before)
    return coupon, created


def _announce(tx: Transaction, ctx: Context, coupon: dict[str, Any], before: str) -> None:
    """The status events of a move from ``before``: ``coupon-issued`` when it becomes valid
    (also on its way to expired, if it ever was valid), then ``coupon-expired``."""
    status = coupon["status"]
    if status == before or status == "draft":
        return
    ever_valid = coupon.get("expiredTime") is None or coupon["issuedTime"] < coupon["expiredTime"]
    if status == "issued" or (before == "draft" and ever_valid):
        emit(tx, ctx, "coupon-issued", coupon["id"], {"coupon": coupon})
    if status == "expired":
        emit(tx, ctx, "coupon-expired", coupon["id"], {"coupon": coupon})
