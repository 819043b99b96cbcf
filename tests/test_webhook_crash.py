"""At-least-once across kill -9: deliveries are stored with the change that caused them, so
every event still pending when the served sandbox is killed is delivered after the restart."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from helpers import API_KEY, LiveSandbox

from rebilly_sandbox.testing import SandboxNamespace, SandboxServer
from rebilly_sandbox.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.served


def test_every_event_pending_at_kill_9_is_delivered_after_the_restart(tmp_path: Path):
    db = str(tmp_path / "db.json")
    with WebhookReceiver() as receiver:
        first = LiveSandbox(db).start()
        try:
            sandbox = SandboxNamespace(SandboxServer(first.url), API_KEY)
            receiver.register(sandbox, events=["customer-created"])
            receiver.respond_with(503)
            created = [first.post("/customers", {"primaryAddress": {"firstName": f"C{n}"}})
                       .json()["id"] for n in range(5)]
            assert sandbox.client.deliver_webhooks()["pending"] == 5
        finally:
            first.stop(signal.SIGKILL)

        receiver.respond_with(200)
        second = LiveSandbox(db).start()
        try:
            sandbox = SandboxNamespace(SandboxServer(second.url), API_KEY)
            sandbox.advance_clock(60)  # past the first retry's due time
            payloads = receiver.wait_for("customer-created", count=10, sandbox=sandbox)
        finally:
            second.stop()

    delivered = {payload["customerId"] for payload in payloads[5:]}
    assert delivered == set(created)
