"""The pytest plugin's ``webhook_receiver`` fixture, used by a test suite of its own."""

from __future__ import annotations

import pytest

pytest_plugins = ("pytester",)

SUITE = '''
import requests


def test_the_receiver_gets_customer_created(sandbox, webhook_receiver):
    webhook_receiver.register(sandbox, events=["customer-created"],
                              auth={"type": "basic", "username": "u", "password": "p"})
    created = requests.post(f"{sandbox.url}/customers", headers=sandbox.headers,
                            json={"primaryAddress": {"firstName": "Ada"}}).json()

    [payload] = webhook_receiver.wait_for("customer-created", timeout=10)
    assert payload["customerId"] == created["id"]
    assert webhook_receiver.requests[0].headers["Authorization"].startswith("Basic ")


def test_the_receiver_answers_errors_and_the_retry_comes_with_the_clock(sandbox,
                                                                        webhook_receiver):
    sandbox.freeze_clock("2030-01-01T00:00:00Z")
    webhook_receiver.respond_with(500, times=1)
    webhook_receiver.register(sandbox, events=["customer-created"])
    requests.post(f"{sandbox.url}/customers", headers=sandbox.headers,
                  json={"primaryAddress": {"firstName": "Ada"}})
    sandbox.client.deliver_webhooks()
    sandbox.advance_clock(3600)

    assert len(webhook_receiver.wait_for("customer-created", count=2)) == 2
    assert [entry["status"] for entry in sandbox.client.webhook_tracking()] == [200, 500]
'''


@pytest.fixture(autouse=True)
def _not_an_xdist_worker(monkeypatch):
    """The generated session is a top-level one, even when this suite runs under xdist."""
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)


def test_the_fixture_receives_deliveries_and_answers_errors(pytester: pytest.Pytester):
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess("-q", "-p", "no:randomly")

    result.assert_outcomes(passed=2)
