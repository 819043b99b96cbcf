"""Test helpers: the sandbox served from inside a test process, and per-test namespaces.

``LiveServer`` runs the real server (gevent's WSGI server, as ``rebilly-sandbox serve`` does)
in a thread of the test process, so a suite gets real sockets, real network faults and real
delays without starting a subprocess. The pytest plugin (``rebilly_sandbox.pytest_plugin``) is built
on these; they work the same from any test runner.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .client import SandboxClient

if TYPE_CHECKING:
    from flask import Flask

__all__ = ("LiveServer", "SandboxServer", "SandboxNamespace", "new_api_key", "worker_keys")


class LiveServer:
    """The sandbox served on a free port from a thread of this process.

    It needs no monkey-patching: the server runs on a gevent hub of its own in its own thread,
    and requests are greenlets of that thread, so an injected delay or hang holds up only its
    own request, and the test's threads, sockets and ``time.sleep`` stay the standard ones.

    ``overrides`` are settings (``rebilly_sandbox.config``) on top of ``{"db": "memory"}``; the port
    is bound before the thread starts, so ``url`` is known and usable at once.
    """

    def __init__(self, overrides: Mapping[str, Any] | None = None, host: str = "127.0.0.1",
                 port: int = 0):
        # Imported here so that importing this module (as the pytest plugin does) stays cheap.
        from . import create_app
        from .serving import Server

        self.app: Flask = create_app({"db": "memory", **(overrides or {})})
        config = self.app.extensions["sandbox"].config
        try:
            self._server = Server.from_config(self.app, config, host, port)
            self._stop_serving = self._server.start_in_thread()
        except BaseException:
            self.app.extensions["sandbox"].close()
            raise
        self._stopped = False

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def port(self) -> int:
        return self._server.port

    def stop(self) -> None:
        """Stop serving (in-flight requests finish), then close the store. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._stop_serving()
        self.app.extensions["sandbox"].close()

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LiveServer({self.url!r})"


def new_api_key(worker: str | None = None) -> str:
    """A fresh secret key, so a test gets a namespace nobody else uses.

    The pytest-xdist worker id is part of it, so keys from parallel workers never collide and
    the server's log shows which worker sent what.
    """
    worker = worker or os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"sk_sandbox_{worker}_{secrets.token_hex(8)}"


def worker_keys(keys: Sequence[str], worker: str | None = None,
                workers: int | None = None) -> tuple[str, ...]:
    """This pytest-xdist worker's share of the keys a server accepts.

    Worker ``gwN`` of M takes every M-th key from the N-th, so two workers never use one
    namespace at once; a worker runs its tests one at a time, so one key is enough for it.

    :raises ValueError: when there are fewer keys than workers.
    """
    worker = worker or os.environ.get("PYTEST_XDIST_WORKER", "main")
    workers = workers or int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    share = tuple(keys[index::workers])
    if not share:
        raise ValueError(f"{len(keys)} API key(s) for {workers} pytest-xdist workers: the "
                         f"sandbox must accept at least one key per worker")
    return share


class SandboxServer:
    """A running sandbox, in-process (``live``) or external, its admin token, and the keys
    tests use on it.

    ``api_keys`` are for a server that accepts only the keys of its ``--api-keys``: each test
    gets the next key of this worker's share and the namespace is reset around it. Without
    them each test gets a fresh key, hence a namespace nobody else has used.
    """

    def __init__(self, url: str, admin_token: str | None = None,
                 live: LiveServer | None = None, api_keys: Sequence[str] = ()):
        self.url = url.rstrip("/")
        self.admin_token = admin_token
        self.live = live
        self.api_keys = worker_keys(api_keys) if api_keys else ()
        self._turns = itertools.count()

    def next_api_key(self) -> str:
        """The key for the next test's namespace."""
        if not self.api_keys:
            return new_api_key()
        return self.api_keys[next(self._turns) % len(self.api_keys)]

    @property
    def external(self) -> bool:
        return self.live is None

    def client_for(self, api_key: str | None) -> SandboxClient:
        """An admin client for ``api_key``'s namespace (``None``: every namespace)."""
        return SandboxClient(self.url, api_key=api_key, admin_token=self.admin_token)

    def __repr__(self) -> str:
        return f"SandboxServer({self.url!r}, external={self.external})"


class SandboxNamespace:
    """One test's namespace: its key, the headers to send, and its admin calls."""

    def __init__(self, server: SandboxServer, api_key: str):
        self.server = server
        self.url = server.url
        self.api_key = api_key
        self.client = server.client_for(api_key)

    @property
    def headers(self) -> dict[str, str]:
        """``{"REB-APIKEY": api_key}``, a new dict each time, to extend freely."""
        return {"REB-APIKEY": self.api_key}

    @property
    def publishable_key(self) -> str:
        """``pk_sandbox_…`` with this key's suffix: it makes tokens in the same namespace."""
        return "pk_" + self.api_key[len("sk_"):]

    def reset(self) -> dict[str, Any]:
        return self.client.reset()

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        """A fault rule for this namespace: ``SandboxClient.add_fault``, every field of it."""
        return self.client.add_fault(**rule)

    def load_fixtures(self, name: str | None = None,
                      inline: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.client.load_fixtures(name, inline=inline)

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """The namespace's request journal, newest first (``method``, ``path``, ``status``,
        ``limit``)."""
        return self.client.requests(**filters)

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return self.client.advance_clock(seconds)

    def advance(self, *, days: float = 0, hours: float = 0, minutes: float = 0,
                seconds: float = 0) -> dict[str, Any]:
        """``SandboxClient.advance``: the clock moved and every billing step it made due run."""
        return self.client.advance(days=days, hours=hours, minutes=minutes, seconds=seconds)

    def set_clock(self, at: datetime | str) -> dict[str, Any]:
        return self.client.set_clock(at)

    def freeze_clock(self, at: datetime | str | None = None) -> dict[str, Any]:
        return self.client.freeze_clock(at)

    @property
    def shown_key(self) -> str:
        """The key as reports show it: a generated throwaway whole, so its namespace can be
        found on a shared server; a key the server was configured with, redacted."""
        if not self.server.api_keys:
            return self.api_key
        tail = self.api_key[-4:] if len(self.api_key) >= 16 else ""
        return f"{self.api_key[:3]}…{tail}"

    def __repr__(self) -> str:
        return f"SandboxNamespace({self.url!r}, api_key={self.shown_key!r})"
