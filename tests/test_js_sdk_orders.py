"""Rebilly's official JS SDK against the served sandbox: a SaaS shop's sign-up through
``api.subscriptions`` (orders), with the runner, fixtures and skips of test_js_sdk."""

from __future__ import annotations

import pytest
from test_js_sdk import Run, pytestmark, scenario_run, server  # noqa: F401  (fixture, marks)

from rebilly_sandbox.testing import LiveServer, new_api_key


@pytest.fixture(scope="module")
def ordering(server: LiveServer) -> Run:  # noqa: F811  (the imported fixture)
    return scenario_run(server, "orders.mjs", new_api_key())


def test_create_with_an_id_gets_then_puts_with_expand(ordering):
    lines = ordering.lines()
    assert lines[lines.index("GET /subscriptions/sub_sdk_trial 404") + 1] == \
        "PUT /subscriptions/sub_sdk_trial 201"
    trial = ordering["trial"]["fields"]
    assert (trial["status"], trial["inTrial"]) == ("active", True)
    assert trial["_embedded"]["initialInvoice"]["amount"] == 0


def test_an_order_is_paid_at_once_by_the_default_card_with_its_coupon(ordering):
    assert ordering.sent("POST", "/subscriptions/")[0]["status"] == 201
    paid = ordering["paid"]["fields"]
    assert (paid["status"], paid["billingStatus"]) == ("active", "paid")
    invoice = ordering["paidInvoice"]["fields"]
    assert (invoice["subtotalAmount"], invoice["discountAmount"], invoice["amount"]) == (
        40, 10, 30)
    assert invoice["discounts"][0]["couponId"] == "SDKWELCOME"


def test_upcoming_invoice_item_change_and_refusals(ordering):
    upcoming = ordering["upcoming"]["fields"]
    assert (upcoming["amount"], upcoming["subscriptionId"]) == (20, "sub_sdk_trial")
    changed = ordering["changed"]
    assert changed["status"] == 201
    assert [item["plan"]["id"] for item in changed["fields"]["items"]] == ["sdk-trial"]
    assert ordering["voidActive"]["error"] == "RebillyConflictError"
    bad = ordering["badPlan"]
    assert bad["error"] == "RebillyValidationError"
    assert bad["invalidFields"][0]["field"] == "items.0.plan.id"
    assert ordering["listed"]["total"] == 2
