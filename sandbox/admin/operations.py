"""Admin operations as plain Python calls; the HTTP routes and the test helpers both use these."""

from __future__ import annotations

import re
import time
from typing import Any

from ..version import __version__
from ..errors import BadRequest, NotFound
from ..state import SandboxState

__all__ = ("health", "reset", "save_snapshot", "restore_snapshot", "list_snapshots",
           "delete_snapshot")

SNAPSHOT_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


def health(state: SandboxState) -> dict[str, Any]:
    return {
        "status": "ok",
        "version": __version__,
        "uptimeSeconds": round(time.monotonic() - state.started, 3),
        "store": state.store.kind,
    }


def reset(state: SandboxState, namespace: str | None = None) -> dict[str, Any]:
    """Clear one namespace (or all): its data and its rate-limit counter. Idempotent."""
    if namespace is None:
        removed = state.store.clear_all()
    else:
        removed = state.store.clear_namespace(namespace)
    state.rate_limiter.reset(namespace)
    return {"scope": "namespace" if namespace else "all", "removed": removed}


def _checked(name: str) -> str:
    if not SNAPSHOT_NAME.match(name):
        raise BadRequest("Snapshot names are 1-64 letters, digits, '.', '_' or '-'.")
    return name


def save_snapshot(state: SandboxState, namespace: str, name: str) -> dict[str, Any]:
    saved = state.store.save_snapshot(namespace, _checked(name))
    return {"name": name, "saved": saved}


def restore_snapshot(state: SandboxState, namespace: str, name: str) -> dict[str, Any]:
    restored = state.store.restore_snapshot(namespace, _checked(name))
    if restored is None:
        raise NotFound(f"No snapshot named {name!r} in this namespace.")
    return {"name": name, "restored": restored}


def list_snapshots(state: SandboxState, namespace: str) -> list[str]:
    return state.store.snapshots(namespace)


def delete_snapshot(state: SandboxState, namespace: str, name: str) -> None:
    if not state.store.delete_snapshot(namespace, _checked(name)):
        raise NotFound(f"No snapshot named {name!r} in this namespace.")
