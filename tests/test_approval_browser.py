"""The approval page in a real browser: headless Chromium (driven by Playwright, the package's
``sandbox_browser`` fixture) opens a waiting transaction's approvalUrl on the served sandbox,
clicks Approve, and ends up on the merchant's redirectUrl.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from approval_helpers import TRIGGER, WEBSITE, Merchant, approval_url, card
from conftest import LiveSandbox

#: How long any one browser step may take on a busy machine; a deadline, never an assertion.
STEP_SECONDS = 60


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


@pytest.mark.browser
@pytest.mark.served
@pytest.mark.slow
def test_a_shopper_approves_in_chromium_and_lands_on_the_redirect_url(served, merchant,
                                                                      sandbox_browser):
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

    page = sandbox_browser.new_page()
    page.goto(approval_url(sale))
    shown = page.inner_text("body")
    assert "42.00 EUR" in shown and "Order 1001" in shown and sale["id"] in shown
    assert {"Approve", "Decline", "Abandon"} <= set(shown.split())

    page.click("button#approved")

    page.wait_for_url(landing, timeout=STEP_SECONDS * 1000)
    page.wait_for_selector("#shop", state="attached", timeout=STEP_SECONDS * 1000)
    page.close()
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
