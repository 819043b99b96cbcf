"""The example shop's checkout in headless Chromium: a shopper types a card into the FramePay
stand-in's iframes, the page gets a token from the sandbox, the shop's backend charges it.

The shop is examples/checkout/shop.py served from a thread on ``localhost``; the sandbox is the
plugin's, on ``127.0.0.1``: two origins, as a shop and Rebilly are. Pages the tests make up
(another origin's page, a page loading FramePay from Rebilly's address) are served the same way
(a page Playwright made up would be on no address, and Chromium keeps such pages from framing
or calling a local server).
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

pytestmark = [pytest.mark.browser, pytest.mark.served]

ROOT = Path(__file__).resolve().parent.parent
APPROVED, DECLINED, THREE_D_SECURE = "4111111111111111", "4000000000000002", "4000000000003220"
#: A deadline for a step on a busy machine, never an assertion on time.
STEP_MS = 30_000


def _load_shop():
    spec = importlib.util.spec_from_file_location("example_shop",
                                                  ROOT / "examples" / "checkout" / "shop.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def shop(sandbox) -> Iterator[str]:
    """The example shop on http://localhost:<port>, charging with the test's key."""
    server = make_server("127.0.0.1", 0, _load_shop().create_shop(sandbox.url, sandbox.api_key),
                         threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def pages() -> Iterator[tuple[str, dict[str, str]]]:
    """A local site on http://localhost:<port> serving the HTML the test puts in its dict."""
    served: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = served.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}", served
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def type_card(page, number: str, expiry: str = "12 / 35", cvv: str = "123") -> None:
    card = page.frame_locator("#card iframe")
    card.locator("input.number").press_sequentially(number)
    card.locator("input.expiry").press_sequentially(expiry)
    card.locator("input.cvv").press_sequentially(cvv)


def fill_buyer(page) -> None:
    page.fill("[data-rebilly=firstName]", "Ada")
    page.fill("[data-rebilly=lastName]", "Lovelace")
    page.fill("[data-rebilly=emails]", "ada@example.com")


def pay(page, number: str) -> None:
    page.wait_for_selector("#pay:enabled", timeout=STEP_MS)
    fill_buyer(page)
    type_card(page, number)
    page.click("#pay")


def charged(sandbox) -> dict:
    [transaction] = requests.get(f"{sandbox.url}/transactions", headers=sandbox.headers,
                                 timeout=10).json()
    return transaction


def test_an_approved_card_is_charged_and_its_number_never_reaches_the_shop(
        sandbox, sandbox_checkout, shop):
    page = sandbox_checkout.open(shop)
    fields = page.frame_locator("#card iframe")
    autocomplete = [fields.locator(f"input.{name}").get_attribute("autocomplete")
                    for name in ("number", "expiry", "cvv")]

    pay(page, APPROVED)

    message = page.locator("#message[data-result=approved]")
    message.wait_for(timeout=STEP_MS)
    transaction = charged(sandbox)
    assert message.inner_text() == f"Payment approved ({transaction['id']})."
    assert (transaction["status"], transaction["result"]) == ("completed", "approved")
    assert autocomplete == ["cc-number", "cc-exp", "cc-csc"]
    assert "4111" not in page.content()  # the shop's DOM holds no card number
    [token] = sandbox.requests(method="POST", path="/tokens")
    assert token["status"] == 201
    assert token["headers"]["Authorization"].startswith("pk_")


def test_a_declined_card_shows_the_gateway_message(sandbox, sandbox_checkout, shop):
    page = sandbox_checkout.open(shop)

    pay(page, DECLINED)

    message = page.locator("#message[data-result=declined]")
    message.wait_for(timeout=STEP_MS)
    assert message.inner_text() == "Payment declined: Do not honor."
    assert charged(sandbox)["result"] == "declined"


def test_a_3ds_card_goes_through_the_approval_page_and_back_to_the_shop(sandbox,
                                                                       sandbox_checkout, shop):
    page = sandbox_checkout.open(shop)

    pay(page, THREE_D_SECURE)
    page.wait_for_selector("button#approved", timeout=STEP_MS)
    assert "10.00 USD" in page.inner_text("body")
    page.click("button#approved")

    result = page.locator("#result[data-result=approved]")
    result.wait_for(timeout=STEP_MS)
    assert page.url.startswith(f"{shop}/done?transaction=")
    assert result.inner_text().startswith("Payment approved")
    assert (charged(sandbox)["status"], charged(sandbox)["result"]) == ("completed", "approved")


def test_a_fault_on_tokens_rejects_create_token_and_the_retry_pays(sandbox, sandbox_checkout,
                                                                   shop):
    sandbox.add_fault(match={"path": "/tokens"}, status=503, times=1)
    page = sandbox_checkout.open(shop)

    pay(page, APPROVED)
    page.locator("#message[data-result=error]").wait_for(timeout=STEP_MS)
    shown = page.inner_text("#message")
    page.click("#pay")  # the shopper tries again: the rule fired once
    page.locator("#message[data-result=approved]").wait_for(timeout=STEP_MS)

    assert shown.startswith("Injected by fault rule")  # the problem's detail, as rejected
    assert [entry["status"] for entry in sandbox.requests(path="/tokens")] == [201, 503]


def test_the_fields_check_the_card_as_the_shopper_types_and_no_token_is_asked_for(
        sandbox, sandbox_checkout, shop):
    page = sandbox_checkout.open(shop)
    page.wait_for_selector("#pay:enabled", timeout=STEP_MS)

    type_card(page, "4111 1111 1111 1112", expiry="13 / 30", cvv="12")
    page.locator("[data-rebilly=firstName]").click()  # the last field loses focus
    page.wait_for_function("document.getElementById('card-error').textContent !== ''",
                           timeout=STEP_MS)
    shown = page.inner_text("#card-error")
    failure = page.evaluate("""() => Framepay.createToken(document.forms[0])
        .then(() => null, (error) => error)""")

    assert shown == "The card number is not valid."
    assert page.locator("#card.rebilly-framepay-invalid").count() == 1
    assert failure["code"] == "invalid-payment-card"
    assert set(failure) >= {"code", "type", "message", "details"}
    assert failure["details"] == ["The card number is not valid.",
                                  "The expiration month is not valid.",
                                  "The security code is not valid."]
    assert sandbox.requests(path="/tokens") == []


SPLIT_PAGE = """<!doctype html><html><head>
<script src="https://framepay.rebilly.com/framepay.js"></script></head><body>
<form><input data-rebilly="firstName" value="Grace"><input data-rebilly="lastName" value="Hopper">
<div id="number"></div><div id="expiry"></div><div id="cvv"></div></form>
<script>
  window.seen = [];
  Framepay.initialize({publishableKey: REBILLY_SANDBOX.publishableKey, organizationId: 'org-1'});
  Framepay.on('token-ready', (token) => window.seen.push('token-ready ' + token.id));
  Framepay.on('ready', () => {
    for (const [kind, where] of [['cardNumber', '#number'], ['cardExpiration', '#expiry'],
                                 ['cardCvv', '#cvv']]) {
      const element = Framepay.card.mount(where, kind);
      element.on('ready', () => window.seen.push('ready ' + kind));
      element.on('change', (event) => { if (event.valid) window.seen.push('valid ' + kind); });
    }
  });
</script></body></html>"""


def test_split_fields_on_a_page_loading_framepay_from_rebilly(sandbox, sandbox_checkout, pages):
    site, served = pages
    served["/checkout"] = SPLIT_PAGE
    page = sandbox_checkout.open(f"{site}/checkout")
    page.wait_for_function("window.seen.filter(s => s.startsWith('ready')).length === 3",
                           timeout=STEP_MS)

    page.frame_locator("#number iframe").locator("input").press_sequentially(APPROVED)
    page.frame_locator("#expiry iframe").locator("input").press_sequentially("0135")
    page.frame_locator("#cvv iframe").locator("input").press_sequentially("1234")
    token = page.evaluate("Framepay.createToken(document.forms[0], "
                          "{billingAddress: {country: 'FR'}})")

    assert (token["paymentInstrument"]["last4"], token["paymentInstrument"]["expYear"]) == (
        "1111", 2035)
    assert token["billingAddress"]["firstName"] == "Grace"
    assert token["billingAddress"]["country"] == "FR"
    assert f"token-ready {token['id']}" in page.evaluate("window.seen")
    assert {"valid cardNumber", "valid cardExpiration", "valid cardCvv"} <= set(
        page.evaluate("window.seen"))
    [made] = sandbox.requests(method="POST")
    assert made["path"] == "/organizations/org-1/tokens"


CROSS_ORIGIN_PAGE = """<!doctype html><html><body>
<form id="attack" method="post" action="@SANDBOX@/__admin/reset"></form>
<script>
  window.probe = (async () => {
    const created = await fetch('@SANDBOX@/customers', {method: 'POST',
      headers: {'REB-APIKEY': '@KEY@', 'Content-Type': 'application/json'}, body: '{}'});
    const listed = await fetch('@SANDBOX@/customers?limit=1', {headers: {'REB-APIKEY': '@KEY@'}});
    let admin = 'readable';
    try { await fetch('@SANDBOX@/__admin/requests', {headers: {'REB-APIKEY': '@KEY@'}}); }
    catch (error) { admin = 'blocked'; }
    await fetch('@SANDBOX@/__admin/reset', {method: 'POST', mode: 'no-cors'});
    return {status: created.status, location: created.headers.get('Location'),
            total: listed.headers.get('Pagination-Total'), admin: admin};
  })();
</script></body></html>"""


def test_a_page_on_another_origin_uses_the_api_but_cannot_touch_the_admin_api(
        sandbox, sandbox_checkout, pages):
    site, served = pages
    served["/page"] = (CROSS_ORIGIN_PAGE.replace("@SANDBOX@", sandbox.url)
                       .replace("@KEY@", sandbox.api_key))
    page = sandbox_checkout.open(f"{site}/page")

    probe = page.evaluate("window.probe")
    page.evaluate("document.getElementById('attack').submit()")
    page.wait_for_load_state()

    assert probe["status"] == 201 and probe["location"].startswith(f"{sandbox.url}/customers/")
    assert (probe["total"], probe["admin"]) == ("1", "blocked")
    assert "Admin writes are refused" in page.inner_text("body")
    assert len(requests.get(f"{sandbox.url}/customers", headers=sandbox.headers,
                            timeout=10).json()) == 1  # nothing was reset


INJECTING_PAGE = """<!doctype html><html><head></head><body><div id="card-mount"></div>
<script>
  // What @rebilly/framepay-vue does: inject the script and stylesheet its settings name.
  window.readyElements = 0;
  const style = document.createElement('link');
  style.rel = 'stylesheet';
  style.href = process.env.FRAMEPAY_STYLE_LINK;
  document.head.appendChild(style);
  const script = document.createElement('script');
  script.src = process.env.FRAMEPAY_SCRIPT_LINK;
  script.onload = () => {
    Framepay.initialize({publishableKey: REBILLY_SANDBOX.publishableKey});
    Framepay.on('ready', () => Framepay.card.mount('card-mount', 'card')
      .on('ready', () => { window.readyElements += 1; }));
  };
  document.head.appendChild(script);
</script></body></html>"""


def test_framepay_vues_script_link_setting_loads_the_stand_in(sandbox_checkout, pages):
    site, served = pages
    served["/vue"] = INJECTING_PAGE
    page = sandbox_checkout.open(f"{site}/vue")

    page.wait_for_function("window.readyElements === 1", timeout=STEP_MS)

    assert page.evaluate("Framepay.sandboxUrl") == sandbox_checkout.sandbox_url
    assert page.evaluate("Framepay.initialized") is True
    border = page.evaluate("getComputedStyle(document.getElementById('card-mount')).borderStyle")
    assert border == "solid"  # framepay.css came from the stand-in too
