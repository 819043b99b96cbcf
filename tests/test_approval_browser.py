"""The approval page in a real browser: headless Chromium opens a waiting transaction's
approvalUrl on the served sandbox, clicks Approve, and ends up on the merchant's redirectUrl.

Chromium is driven over the DevTools protocol through ``--remote-debugging-pipe`` (JSON
messages, each ending in a NUL byte, on file descriptors 3 and 4), so no driver binary and no
WebSocket library is needed. The click is a real mouse press and release at the button's centre.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from approval_helpers import TRIGGER, WEBSITE, Merchant, approval_url, card
from conftest import LiveSandbox
from test_dashboard import chromium  # noqa: F401  (the fixture that finds or installs it)

#: How long any one browser step may take on a busy machine; a deadline, never an assertion.
STEP_SECONDS = 60


class DevTools:
    """Headless Chromium with a DevTools protocol connection over a pipe."""

    def __init__(self, chromium_path: Path, profile: Path):
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def on_fds_3_and_4() -> None:  # in the child, before exec: the fds Chromium reads
            read_end = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
            write_end = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        command = [str(chromium_path), "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-quic", "--no-first-run", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", "--disable-extensions",
                   "--disable-default-apps", "--no-proxy-server",
                   "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                   f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"]
        self.process = subprocess.Popen(  # noqa: S603
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, close_fds=False, preexec_fn=on_fds_3_and_4,
            env={**os.environ, "HOME": str(profile)})
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._ids = iter(range(1, 1_000_000))

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and return its result, skipping events on the way."""
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + STEP_SECONDS
        while True:
            answer = self._next_message(deadline)
            if answer.get("id") == message_id:
                assert "error" not in answer, f"{method}: {answer['error']}"
                return answer["result"]

    def _next_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "Chromium did not answer in time"
            readable, _, _ = select.select([self._from_browser], [], [], remaining)
            if readable:
                chunk = os.read(self._from_browser, 1 << 16)
                assert chunk, "Chromium closed the DevTools pipe"
                self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def evaluate(self, session: str, expression: str) -> Any:
        result = self.call("Runtime.evaluate", session, expression=expression,
                           returnByValue=True)
        return result["result"].get("value")

    def wait_for(self, session: str, expression: str) -> Any:
        """Poll ``expression`` in the page until it is truthy; its value."""
        deadline = time.monotonic() + STEP_SECONDS
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(session, expression)
            except AssertionError:  # the page is navigating: its context went away
                value = None
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"never true in the page: {expression}")

    def click(self, session: str, selector: str) -> None:
        """Press and release the left mouse button at the centre of ``selector``."""
        box = self.wait_for(session, f"""(() => {{
            const element = document.querySelector({json.dumps(selector)});
            if (!element) return null;
            const box = element.getBoundingClientRect();
            return {{x: box.x + box.width / 2, y: box.y + box.height / 2}};
        }})()""")
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", session, type=kind, x=box["x"], y=box["y"],
                      button="left", clickCount=1)

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (AssertionError, OSError):
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        os.close(self._to_browser)
        os.close(self._from_browser)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[LiveSandbox]:
    """The real ``rebilly-sandbox serve`` (monkey-patched, notifications as greenlets)."""
    sandbox = LiveSandbox(str(tmp_path / "db.json")).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def merchant() -> Iterator[Merchant]:
    site = Merchant().start()
    yield site
    site.stop()


@pytest.fixture
def devtools(chromium, tmp_path: Path) -> Iterator[DevTools]:  # noqa: F811
    browser = DevTools(chromium, tmp_path / "profile")
    yield browser
    browser.close()


@pytest.mark.browser
@pytest.mark.served
@pytest.mark.slow
def test_a_shopper_approves_in_chromium_and_lands_on_the_redirect_url(served, merchant,
                                                                      devtools):
    customer = served.post("/customers", {"websiteId": WEBSITE,
                                          "primaryAddress": {"firstName": "Ada",
                                                             "lastName": "Byron"}})
    assert customer.status_code == 201
    created = served.post("/transactions", {
        "type": "sale", "websiteId": WEBSITE, "customerId": customer.json()["id"],
        "currency": "EUR", "amount": 42, "description": "Order 1001",
        "paymentInstruction": card(TRIGGER),
        "redirectUrl": f"{merchant.url}/back?transaction={{id}}&result={{result}}",
        "notificationUrl": f"{merchant.url}/notify/{{id}}/{{result}}"})
    assert created.status_code == 201
    sale = created.json()
    landing = f"{merchant.url}/back?transaction={sale['id']}&result=approved"

    target = devtools.call("Target.createTarget", url=approval_url(sale))["targetId"]
    session = devtools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    shown = devtools.wait_for(session, "document.readyState === 'complete' && "
                                       "document.getElementById('amount') && "
                                       "document.body.innerText")
    assert "42.00 EUR" in shown and "Order 1001" in shown and sale["id"] in shown
    assert {"Approve", "Decline", "Abandon"} <= set(shown.split())

    devtools.click(session, "button#approved")

    assert devtools.wait_for(
        session, f"location.href === {json.dumps(landing)} && "
                 "document.getElementById('shop') && location.href") == landing
    done = served.get(f"/transactions/{sale['id']}").json()
    assert (done["status"], done["result"]) == ("completed", "approved")
    [notification] = merchant.wait_for_posts(1)
    assert notification.path == f"/notify/{sale['id']}/approved"
    assert not any(request.headers.get("REB-APIKEY") for request in merchant.received)
    notified = f"{merchant.url}/notify/{sale['id']}/approved"
    deadline = time.monotonic() + STEP_SECONDS  # the journal entry follows the merchant's answer
    while time.monotonic() < deadline:
        journal = served.get("/__admin/requests").json()
        attempts = [entry["status"] for entry in journal if entry["path"] == notified]
        if attempts:
            break
        time.sleep(0.05)
    assert attempts == [200]
