"""Shared fixtures: an app per test, a client that sends a key, and the real served sandbox."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox import create_app

API_KEY = "sk_sandbox_test_0123456789abcdef"
OTHER_KEY = "sk_sandbox_other_0123456789abcdef"


@pytest.fixture(autouse=True)
def _clean_sandbox_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SANDBOX_* variable from the machine leaks into a test."""
    for name in list(os.environ):
        if name.startswith("SANDBOX_"):
            monkeypatch.delenv(name)


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a test module to start the app with other settings."""
    return {}


@pytest.fixture
def app(app_config: dict[str, Any]):
    app = create_app({"db": "memory", **app_config})
    app.config["TESTING"] = True
    yield app
    app.extensions["sandbox"].close()


class ApiClient:
    """The Flask test client, sending a secret key unless told otherwise."""

    def __init__(self, client, key: str = API_KEY):
        self.client = client
        self.key = key

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        merged = {"REB-APIKEY": self.key} if self.key else {}
        merged.update(headers or {})
        return merged

    def post(self, path: str, json: Any = None, *, data: Any = None,
             headers: dict[str, str] | None = None):
        if data is None:
            return self.client.post(path, json=json, headers=self._headers(headers))
        return self.client.post(path, data=data, headers=self._headers(headers))

    def get(self, path: str, *, headers: dict[str, str] | None = None):
        return self.client.get(path, headers=self._headers(headers))

    def request(self, method: str, path: str, **kwargs: Any):
        kwargs["headers"] = self._headers(kwargs.get("headers"))
        return self.client.open(path, method=method, **kwargs)

    def with_key(self, key: str | None) -> ApiClient:
        return ApiClient(self.client, key)


@pytest.fixture
def client(app) -> ApiClient:
    return ApiClient(app.test_client())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveSandbox:
    """The real ``rebilly-sandbox serve`` in a subprocess, as a user starts it."""

    def __init__(self, db: str, *extra: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = db
        self.extra = extra
        self.process: subprocess.Popen | None = None
        # A file, not a pipe: a pipe nobody reads fills up and blocks the server's logging.
        self.log = tempfile.TemporaryFile(mode="w+")

    def start(self, timeout: float = 10.0) -> LiveSandbox:
        command = [sys.executable, "-m", "sandbox", "serve", "--port", str(self.port),
                   "--db", self.db, *self.extra]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sandbox exited early: {self.output()}")
            try:
                requests.get(self.url + "/", timeout=0.5)
                return self
            except requests.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError("sandbox did not start in time")

    def stop(self, sig: int = signal.SIGTERM) -> str:
        """Stop the server (SIGTERM by default) and return everything it printed."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        self.process.wait(timeout=10)
        output = self.output()
        self.log.close()
        return output

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def post(self, path: str, json: Any = None, key: str = API_KEY, **kwargs: Any):
        headers = {"REB-APIKEY": key, **kwargs.pop("headers", {})}
        return requests.post(self.url + path, json=json, headers=headers, timeout=10, **kwargs)

    def get(self, path: str, key: str = API_KEY, **kwargs: Any):
        headers = {"REB-APIKEY": key, **kwargs.pop("headers", {})}
        return requests.get(self.url + path, headers=headers, timeout=10, **kwargs)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSandbox]:
    sandbox = LiveSandbox(str(tmp_path / "db.json")).start()
    yield sandbox
    sandbox.stop()
