"""Shared fixtures: an app per test, a client that sends a key, and the real served sandbox.

The classes and checks live in ``helpers``; they are re-exported here for the modules that
import them from ``conftest``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import API_KEY, OTHER_KEY, ApiClient, LiveSandbox, free_port

from rebilly_sandbox import create_app
from rebilly_sandbox.store import guard_stored_documents

__all__ = ("API_KEY", "OTHER_KEY", "ApiClient", "LiveSandbox", "free_port")


#: Fixtures that start a real server: a test asking for one is ``served`` without saying so.
#: ``pytester`` runs a pytest session of its own, in which the plugin serves its sandbox.
SERVING_FIXTURES = frozenset({"live", "sandbox", "sandbox_server", "pytester"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SERVING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.served)


@pytest.fixture(autouse=True, scope="session")
def _stored_documents_refuse_changes() -> Iterator[None]:
    """Lists, reads in place and counters share stored documents with their readers instead of
    copying them; every in-process test runs with those documents refusing changes, so code that
    changes one it only read fails here rather than corrupting state unseen."""
    guard_stored_documents()
    yield
    guard_stored_documents(False)


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


@pytest.fixture
def client(app) -> ApiClient:
    return ApiClient(app.test_client())


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSandbox]:
    sandbox = LiveSandbox(str(tmp_path / "db.json")).start()
    yield sandbox
    sandbox.stop()
