"""Rebilly's official JS SDK against the served sandbox: the coupon methods (``api.coupons``),
with the runner, fixtures and skips of test_js_sdk."""

from __future__ import annotations

import pytest
from test_js_sdk import Run, pytestmark, scenario_run, server  # noqa: F401  (fixture, marks)

from rebilly_sandbox.testing import LiveServer, new_api_key


@pytest.fixture(scope="module")
def couponing(server: LiveServer) -> Run:  # noqa: F811  (the imported fixture)
    return scenario_run(server, "coupons.mjs", new_api_key())


def test_create_posts_to_the_trailing_slash_path_or_gets_then_puts(couponing):
    assert couponing["generated"]["status"] == 201
    assert couponing["generated"]["fields"]["id"].startswith("cpn_")
    assert couponing.sent("POST", "/coupons/")[0]["status"] == 201
    lines = couponing.lines()
    assert lines[lines.index("GET /coupons/SDK10 404") + 1] == "PUT /coupons/SDK10 201"
    assert couponing["chosenAgain"]["error"] == "RebillyConflictError"
    invalid = couponing["invalid"]
    assert invalid["error"] == "RebillyValidationError"
    assert {entry["field"] for entry in invalid["invalidFields"]} == {"discount.value",
                                                                     "issuedTime"}


def test_redeem_applies_the_discount_and_refuses_what_the_coupon_forbids(couponing):
    redemption = couponing["redemption"]
    assert redemption["status"] == 201
    assert redemption["fields"]["id"].startswith("cpn_rdm_")
    assert couponing.sent("POST", "/coupons-redemptions")[0]["status"] == 201
    again = couponing["redeemedTwice"]
    assert again["error"] == "RebillyValidationError"
    assert "already redeemed" in again["invalidFields"][0]["message"]
    assert couponing["updateRedeemed"]["error"] == "RebillyConflictError"
    issued = couponing["issued"]["fields"]
    assert (issued["discountAmount"], issued["amount"]) == (4, 36)
    assert couponing["fetched"]["fields"] == redemption["fields"]
    assert [item["id"] for item in couponing["redemptions"]["items"]] == [
        redemption["fields"]["id"]]
    assert couponing["redemptions"]["total"] == 1


def test_cancel_expire_and_their_refusals(couponing):
    canceled = couponing["canceled"]
    assert canceled["status"] == 201
    assert canceled["fields"]["canceledTime"] is not None
    sent = couponing.sent("POST", f"/coupons-redemptions/{canceled['fields']['id']}/cancel")
    assert sent[0]["headers"]["Content-Length"] == "0"  # no body at all
    assert couponing["canceledAgain"]["error"] == "RebillyValidationError"
    assert couponing["afterCancel"]["fields"]["amount"] == 40
    assert (couponing["expired"]["status"], couponing["expired"]["fields"]["status"]) == (
        201, "expired")
    assert couponing["expiredAgain"]["error"] == "RebillyConflictError"
    assert couponing["redeemExpired"]["error"] == "RebillyValidationError"
    assert couponing["coupon"]["fields"]["redemptionsCount"] == 1
    assert [item["id"] for item in couponing["listed"]["items"]] == [
        couponing["generated"]["fields"]["id"]]
