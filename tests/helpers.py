"""What many test modules share: keys, clients for the in-process app and the served sandbox,
and the checks every answer gets (problem bodies, what was stored)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import requests

from rebilly_sandbox.client import SandboxClient

API_KEY = "sk_sandbox_test_0123456789abcdef"
OTHER_KEY = "sk_sandbox_other_0123456789abcdef"

#: The members every problem body has (RFC 9457, in Rebilly's shape).
PROBLEM_KEYS = frozenset({"type", "title", "status", "detail"})


def stored(app, kind: str = "customers", key: str = API_KEY) -> int:
    """How many ``kind`` documents the namespace of ``key`` holds: a refusal wrote nothing."""
    state = app.extensions["sandbox"]
    return state.store.count(state.namespace_for(key).id, kind)


def json_of(response) -> Any:
    """The JSON body of a Flask test response or a ``requests`` response."""
    if hasattr(response, "get_json"):
        return response.get_json()
    return response.json()


def assert_problem(response, status: int, title: str | None = None) -> dict[str, Any]:
    """Check an RFC 9457 problem body served as ``application/json`` without field errors;
    return it."""
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = json_of(response)
    assert PROBLEM_KEYS <= body.keys()
    assert "invalidFields" not in body
    assert body["status"] == status
    if title is not None:
        assert body["title"] == title
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


class ApiClient:
    """The Flask test client, sending a secret key unless told otherwise."""

    def __init__(self, client, key: str | None = API_KEY):
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
        # One connection pool for every admin client of this server, closed with it.
        self.session = requests.Session()

    def start(self, timeout: float = 10.0,
              preexec_fn: Callable[[], None] | None = None) -> LiveSandbox:
        """Start the server and wait until it answers; ``preexec_fn`` runs in the child first
        (to set a resource limit, say)."""
        command = [sys.executable, "-m", "rebilly_sandbox", "serve", "--port", str(self.port),
                   "--db", self.db, *self.extra]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                        preexec_fn=preexec_fn)
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
        self.session.close()
        return output

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def admin(self, key: str | None = API_KEY, **options: Any) -> SandboxClient:
        """The project's own admin client for this server, seen from the namespace of ``key``."""
        return SandboxClient(self.url, key, session=self.session, **options)

    def post(self, path: str, json: Any = None, key: str = API_KEY, **kwargs: Any):
        headers = {"REB-APIKEY": key, **kwargs.pop("headers", {})}
        return requests.post(self.url + path, json=json, headers=headers, timeout=10, **kwargs)

    def get(self, path: str, key: str = API_KEY, **kwargs: Any):
        headers = {"REB-APIKEY": key, **kwargs.pop("headers", {})}
        return requests.get(self.url + path, headers=headers, timeout=10, **kwargs)


# --- checkout -------------------------------------------------------------------------------

#: The website id checkout tests charge on (the sandbox accepts any well-formed one).
WEBSITE = "web_shop"
#: Rebilly's approved Visa test card, and the sandbox-only card whose payments wait for approval.
APPROVED = "4111111111111111"
TRIGGER = "4000000000003220"


def card(pan: str = APPROVED, *, cvv: str = "123", month: int = 12, year: int = 2030) -> dict:
    """A plain-card ``paymentInstruction``."""
    return {"method": "payment-card", "pan": pan, "cvv": cvv, "expMonth": month, "expYear": year}


def new_customer(client) -> str:
    """Create a customer through ``client`` (an ``ApiClient``) and return its id."""
    response = client.post("/customers", {"websiteId": WEBSITE,
                                          "primaryAddress": {"firstName": "Ada",
                                                             "lastName": "Byron"}})
    assert response.status_code == 201
    return response.get_json()["id"]
