"""The sandbox gateway: Rebilly's sandbox test cards and the outcome each gives, as pure data."""

from __future__ import annotations

import pytest

from rebilly_sandbox.cards import brand_of, luhn_valid
from rebilly_sandbox.gateway import (
    APPROVAL_TRIGGER_PAN,
    APPROVED_CARDS,
    DECLINED_CARDS,
    card_profile,
    decide,
    offsite_outcome,
)

GATEWAY_MEMBERS = {"response": {"code", "message", "type", "originalCode", "originalMessage"},
                   "avsResponse": {"code", "message", "originalCode", "originalMessage"},
                   "cvvResponse": {"code", "message", "originalCode", "originalMessage"}}


def outcome(pan, cvv="123", expiry=(12, 2030), kind="sale"):
    return decide(card_profile(pan, cvv, *expiry), kind)


def assert_filled(gateway):
    assert {name: set(part) for name, part in gateway.items()} == GATEWAY_MEMBERS
    for part in gateway.values():
        assert all(isinstance(value, str) and value for value in part.values())
        assert part["originalCode"] == part["code"]
        assert part["originalMessage"] == part["message"]


@pytest.mark.parametrize("pan", sorted(APPROVED_CARDS))
def test_rebillys_approved_cards_approve(pan):
    decided = outcome(pan)

    assert (decided["result"], decided["status"]) == ("approved", "completed")
    assert decided["gateway"]["response"]["code"] == "00"
    assert decided["gateway"]["cvvResponse"]["code"] == "M"
    assert_filled(decided["gateway"])


@pytest.mark.parametrize("pan", sorted(DECLINED_CARDS))
def test_rebillys_declined_cards_decline_with_do_not_honor(pan):
    decided = outcome(pan)

    assert (decided["result"], decided["status"]) == ("declined", "completed")
    assert decided["gateway"]["response"]["code"] == "05"
    assert decided["gateway"]["response"]["message"] == "Do not honor"
    assert decided["gateway"]["response"]["type"] == "declined"
    assert_filled(decided["gateway"])


def test_the_tables_hold_rebillys_numbers_with_their_brands():
    assert len(APPROVED_CARDS) == len(DECLINED_CARDS) == 8
    for pan, brand in {**APPROVED_CARDS, **DECLINED_CARDS}.items():
        assert luhn_valid(pan) and brand_of(pan) == brand


@pytest.mark.parametrize("pan, cvv", [("4111111111111111", "000"), ("378282246310005", "0000"),
                                      ("5555555555554444", "000")])
def test_cvv_000_and_0000_decline_with_n7(pan, cvv):
    decided = outcome(pan, cvv=cvv)

    assert decided["result"] == "declined"
    assert decided["gateway"]["response"]["code"] == "N7"
    assert decided["gateway"]["response"]["message"] == "Decline for CVV2 failure"
    assert decided["gateway"]["cvvResponse"]["code"] == "N"
    assert_filled(decided["gateway"])


def test_expiry_10_2051_declines_with_54_before_anything_else():
    decided = outcome("4111111111111111", cvv="000", expiry=(10, 2051))

    assert decided["result"] == "declined"
    assert decided["gateway"]["response"]["code"] == "54"
    assert decided["gateway"]["response"]["message"] == (
        "Expired card or expiration date is missing")
    assert outcome("4111111111111111", expiry=(11, 2051))["result"] == "approved"


def test_a_failing_cvv_comes_before_a_declining_number():
    assert outcome("4000000000000002", cvv="000")["gateway"]["response"]["code"] == "N7"


@pytest.mark.parametrize("kind", ["sale", "authorize"])
def test_the_sandbox_trigger_card_waits_for_approval(kind):
    assert luhn_valid(APPROVAL_TRIGGER_PAN) and brand_of(APPROVAL_TRIGGER_PAN) == "Visa"
    assert APPROVAL_TRIGGER_PAN not in APPROVED_CARDS and APPROVAL_TRIGGER_PAN not in DECLINED_CARDS

    decided = outcome(APPROVAL_TRIGGER_PAN, kind=kind)

    assert (decided["result"], decided["status"]) == ("unknown", "waiting-approval")
    assert_filled(decided["gateway"])


def test_a_setup_on_the_trigger_card_approves_without_an_offsite_step():
    decided = outcome(APPROVAL_TRIGGER_PAN, kind="setup")

    assert (decided["result"], decided["status"]) == ("approved", "completed")


def test_an_unknown_card_approves():
    assert outcome("4242424242424242")["result"] == "approved"


def test_a_card_without_cvv_approves_with_cvv_not_processed():
    decided = outcome("4111111111111111", cvv=None)

    assert decided["result"] == "approved"
    assert decided["gateway"]["cvvResponse"]["code"] == "P"


def test_the_profile_keeps_no_card_number():
    profile = card_profile("4000000000000002", "000", 10, 2051)

    assert profile == {"outcome": "declined", "cvvFailed": True, "cvvChecked": True,
                       "expiryFailed": True}
    assert "4000000000000002" not in repr(profile)


@pytest.mark.parametrize("result, code", [("approved", "00"), ("declined", "05"),
                                          ("abandoned", "abandoned"), ("canceled", "canceled")])
def test_offsite_outcomes_fill_the_gateway_answer(result, code):
    gateway = offsite_outcome(result)

    assert gateway["response"]["code"] == code
    assert_filled(gateway)


def test_an_unknown_offsite_result_is_refused():
    with pytest.raises(ValueError):
        offsite_outcome("maybe")


def test_each_decision_is_a_fresh_copy():
    first = outcome("4111111111111111")
    first["gateway"]["response"]["code"] = "changed"

    assert outcome("4111111111111111")["gateway"]["response"]["code"] == "00"
