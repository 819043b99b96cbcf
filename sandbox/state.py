"""The one object that holds a running sandbox's state, owned by the app, never global."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from .ids import Clock, IdGenerator
from .ratelimit import RateLimiter
from .store import Store

__all__ = ("SandboxState", "get_state", "init_app")


@dataclass
class SandboxState:
    config: dict[str, Any]
    store: Store
    ids: IdGenerator
    clock: Clock
    rate_limiter: RateLimiter
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "SandboxState":
        clock = Clock()
        path = None if config["db"] == "memory" else config["db"]
        store = Store(path, fsync=config["fsync"], compact_bytes=config["journal_compact_bytes"])
        limiter = RateLimiter(config["rate_limit"], config["rate_window"],
                              lambda: clock.now().timestamp())
        return cls(config=config, store=store, ids=IdGenerator(config["seed"]), clock=clock,
                   rate_limiter=limiter)

    def close(self) -> None:
        self.store.close()


def init_app(app: Flask, state: SandboxState) -> None:
    app.extensions["sandbox"] = state


def get_state() -> SandboxState:
    return current_app.extensions["sandbox"]
