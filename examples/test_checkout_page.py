"""A shop's checkout page tested in a real browser, the way an application's own suite would.

The `sandbox_checkout` fixture comes with the package: a Chromium page (Playwright) whose
FramePay is the sandbox's stand-in, with the test's namespace's publishable key. The shop here is
examples/checkout/shop.py, served from a thread; a shop's own suite serves its own app instead.
"""

import importlib.util
import threading
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser

SHOP = Path(__file__).resolve().parent / "checkout" / "shop.py"


@pytest.fixture
def shop_url(sandbox):
    """The shop, charging in the test's namespace, on http://localhost:<port>."""
    spec = importlib.util.spec_from_file_location("shop", SHOP)
    shop = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shop)
    server = make_server("127.0.0.1", 0, shop.create_shop(sandbox.url, sandbox.api_key),
                         threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_shopper_pays_with_a_card(sandbox, sandbox_checkout, shop_url):
    page = sandbox_checkout.open(shop_url)
    page.wait_for_selector("#pay:enabled")
    page.fill("[data-rebilly=firstName]", "Ada")
    page.fill("[data-rebilly=lastName]", "Lovelace")
    card = page.frame_locator("#card iframe")
    card.locator("[autocomplete=cc-number]").press_sequentially("4111111111111111")
    card.locator("[autocomplete=cc-exp]").press_sequentially("1235")
    card.locator("[autocomplete=cc-csc]").press_sequentially("123")
    page.click("#pay")

    page.wait_for_selector("#message[data-result=approved]")
    [sale] = requests.get(f"{sandbox.url}/transactions", headers=sandbox.headers,
                          timeout=5).json()
    assert sale["result"] == "approved"
    assert sale["billingAddress"]["firstName"] == "Ada"
