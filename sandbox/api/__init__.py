"""The fake Rebilly API: the blueprint and every route module that adds to it."""

from __future__ import annotations

from flask import Flask

from ..routelist import shipped
from . import (  # noqa: F401  (each adds its routes to the blueprint)
    api_logs,
    catalog,
    coupons,
    customer_list,  # noqa: F401
    customers,
    instruments,
    invoices,
    order_records,
    orders,
    tokens,
    tracking,
    transactions,
    webhooks,
)
from .routing import bp
from .unsimulated import refuse_unsimulated

__all__ = ("init_app", "refuse_unsimulated")


def init_app(app: Flask) -> None:
    shipped()  # Rebilly's route list, read at start-up rather than on the first 404
    app.register_blueprint(bp)
