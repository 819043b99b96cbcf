"""services.pricing: every worked example of the contract's pricing table, at several
quantities, exact decimals and the one rounding rule (2 places, half up, once)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rebilly_sandbox.services.pricing import QuantityOutOfRange, formula_price, plan_price

STAIRSTEP = {"formula": "stairstep", "brackets": [
    {"maxQuantity": 4, "price": 30}, {"maxQuantity": 10, "price": 50},
    {"maxQuantity": None, "price": 80}]}
TIERS = [{"maxQuantity": 4, "price": 10}, {"maxQuantity": 10, "price": 8},
         {"maxQuantity": None, "price": 5}]
TIERED = {"formula": "tiered", "brackets": TIERS}
VOLUME = {"formula": "volume", "brackets": TIERS}
FIXED = {"formula": "fixed-fee", "price": 30}
FLAT = {"formula": "flat-rate", "price": 10}
FLAT_CAPPED = {"formula": "flat-rate", "price": 10, "maxQuantity": 10}


@pytest.mark.parametrize(("pricing", "quantity", "price"), [
    # The contract's table: quantities 1, 5 and 12.
    (FIXED, 1, "30.00"), (FIXED, 5, "30.00"), (FIXED, 12, "30.00"),
    (FLAT, 1, "10.00"), (FLAT, 5, "50.00"), (FLAT, 12, "120.00"),
    (FLAT_CAPPED, 1, "10.00"), (FLAT_CAPPED, 5, "50.00"),
    (STAIRSTEP, 1, "30.00"), (STAIRSTEP, 5, "50.00"), (STAIRSTEP, 12, "80.00"),
    (TIERED, 1, "10.00"), (TIERED, 5, "48.00"), (TIERED, 12, "98.00"),
    (VOLUME, 1, "10.00"), (VOLUME, 5, "40.00"), (VOLUME, 12, "60.00"),
    # The bracket edges: the last unit of a bracket and the first of the next.
    (STAIRSTEP, 4, "30.00"), (STAIRSTEP, 10, "50.00"), (STAIRSTEP, 11, "80.00"),
    (TIERED, 4, "40.00"), (TIERED, 10, "88.00"), (TIERED, 11, "93.00"),
    (VOLUME, 4, "40.00"), (VOLUME, 10, "80.00"), (VOLUME, 11, "55.00"),
    (FLAT_CAPPED, 10, "100.00"),
    # Nothing bought costs nothing, a fixed fee excepted.
    (FLAT, 0, "0.00"), (STAIRSTEP, 0, "0.00"), (TIERED, 0, "0.00"), (VOLUME, 0, "0.00"),
    (FIXED, 0, "30.00"),
])
def test_the_contracts_worked_examples(pricing, quantity, price):
    assert formula_price(pricing, quantity) == Decimal(price)
    assert str(formula_price(pricing, quantity)) == price


def test_a_quantity_above_max_quantity_is_out_of_range():
    with pytest.raises(QuantityOutOfRange, match="at most 10"):
        formula_price(FLAT_CAPPED, 12)
    capped = {"formula": "volume", "brackets": [{"maxQuantity": 4, "price": 10},
                                                {"maxQuantity": 10, "price": 8}]}
    assert formula_price(capped, 10) == Decimal("80.00")
    with pytest.raises(QuantityOutOfRange, match="at most 10"):
        formula_price(capped, 11)


def test_a_quantity_below_min_quantity_is_out_of_range():
    with pytest.raises(QuantityOutOfRange, match="at least 3"):
        formula_price({**TIERED, "minQuantity": 3}, 2)
    assert formula_price({**TIERED, "minQuantity": 3}, 3) == Decimal("30.00")


@pytest.mark.parametrize("quantity", [-1, 1.5, "2", True, None])
def test_a_quantity_that_is_not_a_count_is_refused(quantity):
    with pytest.raises(ValueError):
        formula_price(FLAT, quantity)


def test_prices_are_read_as_written_and_rounded_once_half_up():
    # 0.1 + 0.2 in binary floats is 0.30000000000000004; as decimals it is 0.3.
    tiers = {"formula": "tiered", "brackets": [{"maxQuantity": 1, "price": 0.1},
                                               {"maxQuantity": None, "price": 0.2}]}
    assert formula_price(tiers, 2) == Decimal("0.30")
    # 3 x 0.335 = 1.005 exactly: half up gives 1.01 (a float sum would round to 1.00).
    assert formula_price({"formula": "flat-rate", "price": 0.335}, 3) == Decimal("1.01")
    assert formula_price({"formula": "fixed-fee", "price": 2.675}, 1) == Decimal("2.68")
    assert formula_price({"formula": "flat-rate", "price": 0.004}, 1) == Decimal("0.00")
    assert formula_price({"formula": "flat-rate", "price": 0.005}, 1) == Decimal("0.01")


def test_huge_prices_and_quantities_stay_exact():
    big = {"formula": "flat-rate", "price": 1_000_000_000_000}
    assert formula_price(big, 999_999_999) == Decimal("999999999000000000000.00")


def test_a_trial_only_plan_costs_its_trial_price():
    plan = {"pricing": None, "trial": {"price": 1.5, "period": {"unit": "day", "length": 7}}}
    assert plan_price(plan, 3) == Decimal("1.50")
    assert plan_price({"pricing": TIERED}, 5) == Decimal("48.00")
