"""The sandbox's payment gateway: Rebilly's sandbox test cards and the outcome each one gives.

A card is judged once, when it is tokenised or stored: ``card_profile`` keeps what a later payment
needs (the outcome its number gives, a failing CVV, the failing expiry) without the number itself.
``decide`` turns a profile into a transaction's result, status and gateway answer, and
``offsite_outcome`` gives the gateway answer of a finished offsite (3-D Secure) step.
Pure data and functions: no Flask, no marshmallow, no store.
"""

from __future__ import annotations

from typing import Any

__all__ = (
    "APPROVAL_TRIGGER_PAN",
    "APPROVED_CARDS",
    "DECLINED_CARDS",
    "FAILING_CVVS",
    "FAILING_EXPIRY",
    "OFFSITE_RESULTS",
    "card_profile",
    "decide",
    "offsite_outcome",
)

#: Rebilly's sandbox test cards that approve, by brand.
APPROVED_CARDS: dict[str, str] = {
    "4111111111111111": "Visa",
    "5555555555554444": "MasterCard",
    "378282246310005": "American Express",
    "6011111111111117": "Discover",
    "30569309025904": "Diners Club",
    "3530111333300000": "JCB",
    "6253111111111114": "China UnionPay",
    "6759641111111119": "Maestro",
}

#: Rebilly's sandbox test cards that decline, by brand.
DECLINED_CARDS: dict[str, str] = {
    "4000000000000002": "Visa",
    "5105105105105100": "MasterCard",
    "371449635398431": "American Express",
    "6011000990139424": "Discover",
    "38520000023237": "Diners Club",
    "3566002020360505": "JCB",
    "6243030000000001": "China UnionPay",
    "6771790000000018": "Maestro",
}

#: The sandbox's own trigger, not Rebilly's (Rebilly publishes no 3-D Secure test card): a
#: Luhn-valid Visa number whose sales and authorizations wait for an offsite approval.
APPROVAL_TRIGGER_PAN = "4000000000003220"

#: CVVs that decline any card (000, or 0000 for American Express).
FAILING_CVVS = frozenset({"000", "0000"})

#: The expiry (month, year) that declines any card.
FAILING_EXPIRY = (10, 2051)

#: Results an offsite step can finish with.
OFFSITE_RESULTS = ("approved", "declined", "abandoned", "canceled")

#: Transaction types that move money, so a card needing approval stops them for the offsite step.
_PAYMENT_TYPES = frozenset({"sale", "authorize"})


def card_profile(pan: str, cvv: str | None, exp_month: int, exp_year: int) -> dict[str, Any]:
    """What the gateway will need of a card later, without its number.

    ``outcome`` is what the number gives (an unknown number approves), ``cvvFailed`` and
    ``expiryFailed`` mark the special cases that decline any card, and ``cvvChecked`` says whether
    a CVV was given at all (the CVV answer of an approval depends on it).
    """
    if pan in DECLINED_CARDS:
        outcome = "declined"
    elif pan == APPROVAL_TRIGGER_PAN:
        outcome = "approval-required"
    else:
        outcome = "approved"
    return {
        "outcome": outcome,
        "cvvFailed": cvv in FAILING_CVVS,
        "cvvChecked": cvv is not None,
        "expiryFailed": (exp_month, exp_year) == FAILING_EXPIRY,
    }


def decide(profile: dict[str, Any], transaction_type: str) -> dict[str, Any]:
    """The result, status and gateway answer of a ``transaction_type`` on a profiled card.

    The checks run in order: the failing expiry, the failing CVV, a declining number, a number that
    needs offsite approval (sales and authorizations only; a ``setup`` approves), else approved.
    """
    cvv = _cvv_answer(profile)
    if profile.get("expiryFailed"):
        return _declined("54", "Expired card or expiration date is missing", cvv)
    if profile.get("cvvFailed"):
        return _declined("N7", "Decline for CVV2 failure", _CVV_NO_MATCH)
    if profile.get("outcome") == "declined":
        return _declined("05", "Do not honor", cvv)
    if profile.get("outcome") == "approval-required" and transaction_type in _PAYMENT_TYPES:
        return {
            "result": "unknown",
            "status": "waiting-approval",
            "gateway": _gateway(_response("offsite", "Waiting for offsite approval (3-D Secure)",
                                          "offsite"), _AVS_NOT_CHECKED, cvv),
        }
    return {"result": "approved", "status": "completed",
            "gateway": _gateway(_APPROVED, _AVS_MATCH, cvv)}


def offsite_outcome(result: str) -> dict[str, Any]:
    """The gateway answer of an offsite (3-D Secure) step that finished with ``result``.

    :raises ValueError: for a result that is not one of ``OFFSITE_RESULTS``.
    """
    if result == "approved":
        return _gateway(_APPROVED, _AVS_MATCH, _CVV_MATCH)
    if result == "declined":
        response = _response("05", "3-D Secure authentication failed", "declined")
    elif result == "abandoned":
        response = _response("abandoned", "The shopper abandoned the offsite approval",
                             "abandoned")
    elif result == "canceled":
        response = _response("canceled", "The offsite approval was canceled", "canceled")
    else:
        raise ValueError(f"offsite result must be one of {', '.join(OFFSITE_RESULTS)}")
    return _gateway(response, _AVS_NOT_CHECKED, _CVV_NOT_CHECKED)


def _response(code: str, message: str, kind: str) -> dict[str, str]:
    return {"code": code, "message": message, "type": kind,
            "originalCode": code, "originalMessage": message}


def _check(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message, "originalCode": code, "originalMessage": message}


_APPROVED = _response("00", "Approved", "approved")
_AVS_MATCH = _check("Y", "Street address and postal code match")
_AVS_NOT_CHECKED = _check("U", "Address information is unavailable")
_CVV_MATCH = _check("M", "CVV2 match")
_CVV_NO_MATCH = _check("N", "CVV2 no match")
_CVV_NOT_CHECKED = _check("P", "CVV2 not processed")


def _cvv_answer(profile: dict[str, Any]) -> dict[str, str]:
    return _CVV_MATCH if profile.get("cvvChecked", True) else _CVV_NOT_CHECKED


def _declined(code: str, message: str, cvv: dict[str, str]) -> dict[str, Any]:
    return {"result": "declined", "status": "completed",
            "gateway": _gateway(_response(code, message, "declined"), _AVS_MATCH, cvv)}


def _gateway(response: dict[str, str], avs: dict[str, str], cvv: dict[str, str]) -> dict[str, Any]:
    """A fresh gateway block (copies, so a stored transaction never shares the constants)."""
    return {"response": dict(response), "avsResponse": dict(avs), "cvvResponse": dict(cvv)}
