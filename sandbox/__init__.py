"""rebilly-sandbox: a local fake of Rebilly's customers API for tests and CI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:
    from flask import Flask

__all__ = ("create_app", "__version__")


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the sandbox app: defaults, then ``SANDBOX_*`` variables, then ``overrides``.

    :raises ConfigError: for a setting that cannot be used.
    :raises StorageError: when the database files cannot be opened.
    """
    # Imported here, not at the top, so that importing the package loads no Flask and
    # ``rebilly-sandbox serve`` can install gevent's cooperative sockets and locks first.
    from .app import build_app

    return build_app(overrides)
