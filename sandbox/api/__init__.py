"""The fake Rebilly API: the blueprint and every route module that adds to it."""

from __future__ import annotations

from flask import Flask

from . import (  # noqa: F401  (each adds its routes to the blueprint)
    customer_list,  # noqa: F401
    customers,
    instruments,
    tokens,
    tracking,
    transactions,
    webhooks,
)
from .routing import bp

__all__ = ("init_app",)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
