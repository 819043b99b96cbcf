"""A 422's detail names the reason when there is one: the body-level (schema-level) message, or
the message every failing field shares; otherwise it counts the fields. Detail is all an SDK's
error shows."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import stored
from marshmallow import ValidationError, fields, validates_schema

from rebilly_sandbox.problems import ValidationFailed
from rebilly_sandbox.schemas import load
from rebilly_sandbox.schemas.base import RequestSchema

ADDRESS = {"firstName": "Ada", "lastName": "Lovelace", "country": "US"}
CARDS_ONLY = "The sandbox stores payment cards only (method payment-card)."
BANK_ACCOUNT = {"method": "ach", "accountNumber": "123456789", "routingNumber": "011000015",
                "accountType": "checking", "bankName": "Bank", "billingAddress": ADDRESS}
PAYPAL = {"method": "paypal", "billingAddress": ADDRESS}


def customer(client) -> str:
    response = client.post("/customers", {"primaryAddress": ADDRESS})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@pytest.mark.parametrize("form", [BANK_ACCOUNT, PAYPAL], ids=["bank-account", "paypal"])
def test_an_instrument_that_is_not_a_card_names_the_reason_in_detail(app, client, form):
    response = client.post("/payment-instruments", {"customerId": customer(client), **form})

    problem = response.get_json()
    assert response.status_code == 422
    assert problem["detail"] == ("The sandbox stores payment cards only (method payment-card): "
                                 "4 fields failed validation.")
    assert problem["invalidFields"] == [{"field": name, "message": CARDS_ONLY}
                                        for name in ("method", "pan", "expMonth", "expYear")]
    assert stored(app, "payment-instruments") == 0


def test_a_fixture_instrument_that_is_not_a_card_names_the_reason_too(client):
    response = client.post("/__admin/fixtures", {"paymentInstruments": [
        {"customerId": "cus_1", **BANK_ACCOUNT}]})

    assert response.status_code == 422
    assert response.get_json()["detail"].startswith("The sandbox stores payment cards only")


def test_fields_failing_for_different_reasons_keep_the_count(client):
    response = client.post("/payment-instruments", {
        "customerId": customer(client), "method": "payment-card", "pan": "4111111111111112",
        "expMonth": 13, "expYear": 2031, "billingAddress": ADDRESS})

    problem = response.get_json()
    assert response.status_code == 422
    assert problem["detail"] == "Invalid data sent: 2 fields failed validation."
    assert {entry["field"] for entry in problem["invalidFields"]} == {"pan", "expMonth"}


def test_a_card_missing_its_members_for_want_of_them_says_so(client):
    response = client.post("/payment-instruments", {"customerId": customer(client),
                                                    "billingAddress": ADDRESS})

    assert response.get_json()["detail"] == ("Missing data for required field (send a token "
                                             "or a card): 4 fields failed validation.")


def test_one_failing_field_is_named_with_its_message_as_before(client):
    response = client.post("/customers", {"primaryAddress": {"country": "gb"}})

    assert response.get_json()["detail"].startswith("primaryAddress.country: Must be an ISO")


class PeriodSchema(RequestSchema):
    """A body whose validator judges it whole: a schema-level error beside field errors."""

    start = fields.Integer()
    end = fields.Integer()
    label = fields.String()

    @validates_schema(skip_on_field_errors=False)
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("start", 0) > data.get("end", 0):
            raise ValidationError("A period ends after it starts.")


def test_a_body_level_reason_is_the_detail_whatever_the_fields_say():
    with pytest.raises(ValidationFailed) as caught:
        load(PeriodSchema(), {"start": 5, "end": 1, "label": 7})

    error = caught.value
    assert error.detail == "A period ends after it starts: 2 fields failed validation."
    assert error.extra["invalidFields"] == [
        {"field": "label", "message": "Not a valid string."},
        {"field": "body", "message": "A period ends after it starts."}]


def test_a_body_level_reason_alone_is_the_detail():
    with pytest.raises(ValidationFailed) as caught:
        load(PeriodSchema(), {"start": 5, "end": 1})

    assert caught.value.detail == "A period ends after it starts: 1 field failed validation."


def test_a_field_named_body_is_no_body_level_reason():
    error = ValidationFailed([{"field": "body", "message": "Must be an object."},
                              {"field": "status", "message": "Must be 200-599."}])

    assert error.detail == "Invalid data sent: 2 fields failed validation."


def test_an_explicit_detail_still_wins():
    error = ValidationFailed([{"field": "a", "message": "x"}, {"field": "b", "message": "x"}],
                             detail="Too many rules.")

    assert error.detail == "Too many rules."
