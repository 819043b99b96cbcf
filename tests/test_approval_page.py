"""The sandbox's offsite (3-D Secure) approval page: what it shows, what each button does, the
notificationUrl POST and its retries, and who can reach it (anyone with the URL, no key)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from approval_helpers import TRIGGER, WEBSITE, Merchant, approval_url, card, new_customer, wait_idle
from helpers import API_KEY, ApiClient, free_port

from rebilly_sandbox import create_app
from rebilly_sandbox.approval import NOTIFIER_KEY
from rebilly_sandbox.requestjournal import RequestJournal
from rebilly_sandbox.services.notifications import Notifier


@pytest.fixture
def merchant() -> Iterator[Merchant]:
    site = Merchant().start()
    yield site
    site.stop()


@pytest.fixture
def browser(app):
    """A shopper's browser: no key, and it asks for HTML first."""
    return app.test_client()


def waiting_sale(client, amount: float = 12.5, path: str = "/transactions", **extra) -> dict:
    response = client.post(path, {"type": "sale", "websiteId": WEBSITE,
                                  "customerId": new_customer(client), "currency": "USD",
                                  "amount": amount, "paymentInstruction": card(TRIGGER), **extra})
    assert response.status_code == 201
    transaction = response.get_json()
    assert transaction["status"] == "waiting-approval"
    return transaction


def outbound(client) -> list[dict]:
    """The namespace's journaled notification attempts, oldest first."""
    entries = client.get("/__admin/requests").get_json()
    return [entry for entry in reversed(entries) if entry["path"].startswith("http")]


HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_the_page_shows_the_payment_and_three_buttons_to_a_browser_without_a_key(client, browser):
    sale = waiting_sale(client, description="<b>Order 7</b>")

    page = browser.get(approval_url(sale), headers=HTML)

    assert page.status_code == 200
    assert page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert '<span id="amount">12.50</span> <span id="currency">USD</span>' in text
    assert sale["id"] in text
    assert "&lt;b&gt;Order 7&lt;/b&gt;" in text and "<b>Order 7</b>" not in text
    for value, label in (("approved", "Approve"), ("declined", "Decline"),
                         ("abandoned", "Abandon")):
        assert f'name="result" value="{value}">{label}</button>' in text
    assert text.count('<form method="post">') == 3
    assert "<script" not in text
    policy = page.headers["Content-Security-Policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert "form-action" not in policy, "the form's answer redirects to the merchant's site"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"


def test_the_token_stays_out_of_every_api_answer(client):
    sale = waiting_sale(client)

    assert "approvalToken" not in sale
    assert "approvalToken" not in client.get(f"/transactions/{sale['id']}").get_json()
    listed = client.get("/transactions").get_json()
    assert all("approvalToken" not in transaction for transaction in listed)
    assert approval_url(client.get(f"/transactions/{sale['id']}").get_json()) == \
        approval_url(sale)


@pytest.mark.parametrize("result", ["approved", "declined", "abandoned"])
def test_each_button_finishes_the_transaction_and_redirects_with_placeholders(client, browser,
                                                                             result):
    sale = waiting_sale(client, redirectUrl="https://shop.example/back/{id}?r={result}&again={id}")
    customer_id = sale["customerId"]

    answer = browser.post(approval_url(sale), data={"result": result}, headers=HTML)

    assert answer.status_code == 303
    assert answer.headers["Location"] == (f"https://shop.example/back/{sale['id']}?r={result}"
                                          f"&again={sale['id']}")
    done = client.get(f"/transactions/{sale['id']}").get_json()
    assert (done["status"], done["result"]) == ("completed", result)
    assert done["revision"] == 2
    assert "approvalUrl" not in {link["rel"] for link in done["_links"]}
    paid = client.get(f"/customers/{customer_id}").get_json()["paymentCount"]
    assert paid == (1 if result == "approved" else 0)


def test_without_a_redirect_url_the_page_shows_the_result(client, browser):
    sale = waiting_sale(client)

    answer = browser.post(approval_url(sale), data={"result": "declined"}, headers=HTML)

    assert answer.status_code == 200
    assert '<dd id="result">declined</dd>' in answer.get_data(as_text=True)


def test_a_finished_transaction_cannot_be_changed_from_its_page(client, browser):
    sale = waiting_sale(client)
    assert browser.post(approval_url(sale), data={"result": "approved"}).status_code == 200

    page = browser.get(approval_url(sale), headers=HTML)
    again = browser.post(approval_url(sale), data={"result": "declined"}, headers=HTML)

    for answer in (page, again):
        assert answer.status_code == 409
        text = answer.get_data(as_text=True)
        assert "cannot be changed" in text and "<button" not in text
        assert '<dd id="result">approved</dd>' in text
    assert client.get(f"/transactions/{sale['id']}").get_json()["result"] == "approved"


def test_a_transaction_finished_through_update_shows_as_finished(client, browser):
    sale = waiting_sale(client)
    assert client.post(f"/transactions/{sale['id']}/update",
                       {"result": "canceled"}).status_code == 200

    page = browser.get(approval_url(sale), headers=HTML)

    assert page.status_code == 409
    assert '<dd id="result">canceled</dd>' in page.get_data(as_text=True)


@pytest.mark.parametrize("token", ["nope", "x" * 40, "a" * 2000, "..%00", "txn_0123"])
def test_an_unknown_token_is_a_404_page_or_problem(client, browser, token):
    waiting_sale(client)

    page = browser.get(f"/_sandbox/approval/{token}", headers=HTML)
    problem = browser.post(f"/_sandbox/approval/{token}", data={"result": "approved"})

    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "No transaction waits for approval" in page.get_data(as_text=True)
    assert problem.status_code == 404
    assert problem.get_json()["title"] == "Not Found"


def test_a_transaction_id_is_not_an_approval_address(client, browser):
    sale = waiting_sale(client)

    assert browser.post(f"/_sandbox/approval/{sale['id']}",
                        data={"result": "approved"}).status_code == 404
    assert client.get(f"/transactions/{sale['id']}").get_json()["status"] == "waiting-approval"


def test_each_tenant_s_token_finishes_only_its_own_transaction(client, browser):
    other = client.with_key("sk_sandbox_other_tenant_55aa66bb")
    mine, theirs = waiting_sale(client), waiting_sale(other)
    assert approval_url(mine) != approval_url(theirs)

    assert browser.post(approval_url(theirs), data={"result": "declined"}).status_code == 200

    assert client.get(f"/transactions/{mine['id']}").get_json()["status"] == "waiting-approval"
    assert other.get(f"/transactions/{theirs['id']}").get_json()["result"] == "declined"
    assert client.get(f"/transactions/{theirs['id']}").status_code == 404


def test_an_unknown_result_is_a_422_and_changes_nothing(client, browser):
    sale = waiting_sale(client)

    for form in ({"result": "maybe"}, {}):
        answer = browser.post(approval_url(sale), data=form)
        assert answer.status_code == 422
        assert answer.get_json()["invalidFields"][0]["field"] == "result"
    assert client.get(f"/transactions/{sale['id']}").get_json()["status"] == "waiting-approval"


def test_a_page_opened_under_an_organization_prefix_is_served_at_the_root(client, browser):
    sale = waiting_sale(client, path="/organizations/org_shop/transactions")

    assert approval_url(sale).startswith("http://localhost/_sandbox/approval/")
    assert browser.get(approval_url(sale)).status_code == 200


def test_the_page_is_never_faulted_nor_rate_limited():
    app = create_app({"db": "memory", "rate_limit": 2})
    try:
        client = ApiClient(app.test_client(), API_KEY)
        sale = waiting_sale(client)  # two writes: the namespace's whole allowance
        assert client.post("/customers", {}).status_code == 429
        assert client.post("/__admin/faults", {"match": {"path": "/customers"},
                                               "status": 503}).status_code == 201
        browser = app.test_client()
        fault = {"X-Sandbox-Fault": "status=503", "REB-APIKEY": API_KEY}

        assert browser.get(approval_url(sale), headers=fault).status_code == 200
        assert browser.post(approval_url(sale), data={"result": "approved"},
                            headers=fault).status_code == 200
        assert client.get(f"/transactions/{sale['id']}").get_json()["result"] == "approved"
    finally:
        app.extensions["sandbox"].close()


@pytest.mark.parametrize("result", ["approved", "declined"])
def test_the_notification_url_gets_a_post_with_placeholders_filled(app, client, browser,
                                                                  merchant, result):
    sale = waiting_sale(client, notificationUrl=f"{merchant.url}/notify/{{id}}?result={{result}}")

    assert browser.post(approval_url(sale), data={"result": result}).status_code == 200

    [post] = merchant.wait_for_posts(1)
    assert post.path == f"/notify/{sale['id']}?result={result}"
    assert json.loads(post.body) == {"transactionId": sale["id"], "status": "completed",
                                     "result": result}
    assert post.headers["Content-Type"] == "application/json"
    assert post.headers["X-Sandbox-Notification-Attempt"] == "1"
    wait_idle(app.extensions[NOTIFIER_KEY])
    [entry] = outbound(client)
    assert (entry["method"], entry["status"]) == ("POST", 200)
    assert entry["path"] == f"{merchant.url}/notify/{sale['id']}"
    assert entry["query"] == f"result={result}"


def test_an_abandoned_step_sends_no_notification(app, client, browser, merchant):
    url = f"{merchant.url}/notify/{{id}}"
    abandoned, approved = (waiting_sale(client, notificationUrl=url),
                           waiting_sale(client, notificationUrl=url))

    browser.post(approval_url(abandoned), data={"result": "abandoned"})
    browser.post(approval_url(approved), data={"result": "approved"})

    merchant.wait_for_posts(1)
    wait_idle(app.extensions[NOTIFIER_KEY])
    assert [post.path for post in merchant.posts()] == [f"/notify/{approved['id']}"]


def test_the_browser_never_waits_for_the_notification(app, client, browser, merchant):
    merchant.hold = True
    sale = waiting_sale(client, notificationUrl=f"{merchant.url}/notify")

    answer = browser.post(approval_url(sale), data={"result": "approved"})
    merchant.release.set()  # only now may the merchant answer the notification

    assert answer.status_code == 200
    merchant.wait_for_posts(1)
    wait_idle(app.extensions[NOTIFIER_KEY])
    assert [entry["status"] for entry in outbound(client)] == [200], \
        "the attempt was answered after the page was: the page did not wait for it"


def test_a_notification_is_retried_until_2xx_and_redirects_are_not_followed(app, client, browser,
                                                                           merchant):
    merchant.statuses.put(302)  # a redirect is no acknowledgement, and is not followed
    sale = waiting_sale(client, notificationUrl=f"{merchant.url}/notify")

    browser.post(approval_url(sale), data={"result": "approved"})

    posts = merchant.wait_for_posts(2)
    wait_idle(app.extensions[NOTIFIER_KEY])
    assert [post.headers["X-Sandbox-Notification-Attempt"] for post in posts] == ["1", "2"]
    assert all(request.path == "/notify" for request in merchant.received)
    assert [entry["status"] for entry in outbound(client)] == [302, 200]


def move_until(done, clock, notifier, seconds: float, timeout: float = 10) -> None:
    """Move the clock on by ``seconds`` until ``done()``: a retry's due time is set once its
    attempt before has been journaled, so one move may come before it is waited for."""
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        clock.at += timedelta(seconds=seconds)
        notifier.wake()
        time.sleep(0.05)
    assert done()


class _Clock:
    """A sandbox clock a test moves by hand."""

    def __init__(self) -> None:
        self.at = datetime(2030, 1, 1, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self.at


def test_retries_stop_after_the_last_scheduled_attempt(merchant):
    for _ in range(5):
        merchant.statuses.put(503)
    journal = RequestJournal()
    clock = _Clock()
    notifier = Notifier(journal, lambda namespace: clock, retry_delays=(1, 4), timeout=10)

    assert notifier.notify("ns_test", f"{merchant.url}/notify", b"{}")
    for count in (2, 3):
        move_until(lambda count=count: len(merchant.posts()) >= count, clock, notifier,
                   seconds=4)

    wait_idle(notifier)
    assert len(merchant.posts()) == 3
    assert [entry["status"] for entry in journal.entries("ns_test")] == [503, 503, 503]


def test_a_retry_waits_for_the_sandbox_clock_not_real_time(merchant):
    merchant.statuses.put(503)
    clock = _Clock()
    notifier = Notifier(RequestJournal(), lambda namespace: clock, retry_delays=(16,), timeout=10)

    assert notifier.notify("ns_test", f"{merchant.url}/notify", b"{}")
    merchant.wait_for_posts(1)
    time.sleep(0.5)
    assert len(merchant.posts()) == 1  # the clock stands still: no retry yet
    clock.at += timedelta(seconds=15)
    notifier.wake()
    time.sleep(0.5)
    assert len(merchant.posts()) == 1  # a second short of the retry
    clock.at += timedelta(seconds=1)
    notifier.wake()

    wait_idle(notifier, timeout=5)
    assert len(merchant.posts()) == 2


def test_advancing_a_namespaces_clock_brings_its_notification_retry_on(app, client, browser,
                                                                      merchant):
    client.post("/__admin/clock", {"action": "freeze", "at": "2030-01-01T00:00:00Z"})
    merchant.statuses.put(503)
    sale = waiting_sale(client, notificationUrl=f"{merchant.url}/notify")
    browser.post(approval_url(sale), data={"result": "approved"})
    merchant.wait_for_posts(1)

    started = time.monotonic()
    while len(merchant.posts()) < 2 and time.monotonic() - started < 10:
        client.post("/__admin/clock", {"action": "advance", "seconds": 1})
        time.sleep(0.05)

    assert len(merchant.posts()) == 2 and time.monotonic() - started < 5
    wait_idle(app.extensions[NOTIFIER_KEY])
    assert [entry["status"] for entry in outbound(client)] == [503, 200]


def test_an_unreachable_merchant_is_journaled_without_a_status():
    journal = RequestJournal()
    notifier = Notifier(journal, lambda namespace: _Clock(), retry_delays=(), timeout=10)

    assert notifier.notify("ns_test", f"http://127.0.0.1:{free_port()}/gone", b"{}")

    wait_idle(notifier)
    [entry] = journal.entries("ns_test")
    assert entry["status"] is None


def test_deliveries_beyond_the_bound_are_dropped(merchant):
    merchant.hold = True
    notifier = Notifier(RequestJournal(), lambda namespace: _Clock(), retry_delays=(),
                        max_pending=1)
    try:
        assert notifier.notify("ns_test", f"{merchant.url}/one", b"{}")
        assert not notifier.notify("ns_test", f"{merchant.url}/two", b"{}")
    finally:
        merchant.release.set()
    wait_idle(notifier)
    assert [post.path for post in merchant.posts()] == ["/one"]


def test_closing_gives_up_the_retries_waiting_for_their_clock(merchant):
    merchant.statuses.put(503)
    notifier = Notifier(RequestJournal(), lambda namespace: _Clock(), retry_delays=(16,),
                        timeout=10)
    assert notifier.notify("ns_test", f"{merchant.url}/notify", b"{}")
    merchant.wait_for_posts(1)

    notifier.close()

    wait_idle(notifier, timeout=5)
    assert len(merchant.posts()) == 1
