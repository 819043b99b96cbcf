"""What a plan's pricing formula charges for a quantity, exact in decimal.

Pure functions of the stored ``pricing`` object (``schemas.plan`` has validated it) and a
quantity: no store, no clock, no HTTP. Prices are stored as JSON numbers; each is read through
its shortest decimal form (``10.1`` is 10.1, not the binary float nearest it), every sum and
product is exact, and only the total is rounded, once: to 2 decimal places, half up.

Bracket formulas read ``maxQuantity`` as an absolute upper bound (brackets 1-4, 5-10, 11 and up
for ``4, 10, null``), as Rebilly's pricing-formulas page and its stair-step and volume examples
do. A quantity of 0 costs nothing (a fixed fee excepted, which ignores the quantity).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = ("FORMULAS", "BRACKET_FORMULAS", "QuantityOutOfRange", "plan_price", "formula_price",
           "decimal_of", "CENT")

BRACKET_FORMULAS = ("stairstep", "tiered", "volume")
FORMULAS = ("fixed-fee", "flat-rate", *BRACKET_FORMULAS)
CENT = Decimal("0.01")


class QuantityOutOfRange(ValueError):
    """The quantity is below the formula's ``minQuantity`` or above its last ``maxQuantity``."""


def decimal_of(value: int | float | str) -> Decimal:
    """A stored JSON number as the decimal it was written as (its shortest repr)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def plan_price(plan: Mapping[str, Any], quantity: int = 1) -> Decimal:
    """What ``quantity`` units of ``plan`` cost per period, rounded to the cent.

    A trial-only plan has no pricing: it costs its trial price whatever the quantity.
    """
    if plan.get("pricing") is None:
        return _rounded(decimal_of((plan.get("trial") or {}).get("price", 0)))
    return formula_price(plan["pricing"], quantity)


def formula_price(pricing: Mapping[str, Any], quantity: int) -> Decimal:
    """What ``quantity`` units cost under ``pricing``, rounded to the cent (half up).

    :raises QuantityOutOfRange: below ``minQuantity`` or above the last ``maxQuantity``.
    :raises ValueError: for a negative quantity or an unknown formula.
    """
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise ValueError("The quantity must be an integer of 0 or more.")
    formula = pricing["formula"]
    if formula == "fixed-fee":
        return _rounded(decimal_of(pricing["price"]))
    _check_bounds(pricing, quantity)
    if formula == "flat-rate":
        return _rounded(decimal_of(pricing["price"]) * quantity)
    if formula not in BRACKET_FORMULAS:
        raise ValueError(f"Unknown pricing formula {formula!r}.")
    if quantity == 0:
        return _rounded(Decimal(0))
    return _rounded(_BRACKETS[formula](pricing["brackets"], quantity))


def _check_bounds(pricing: Mapping[str, Any], quantity: int) -> None:
    minimum = pricing.get("minQuantity")
    if minimum is not None and quantity < minimum:
        raise QuantityOutOfRange(f"The quantity must be at least {minimum}.")
    maximum = (_last_bound(pricing["brackets"]) if pricing["formula"] in BRACKET_FORMULAS
               else pricing.get("maxQuantity"))
    if maximum is not None and quantity > maximum:
        raise QuantityOutOfRange(f"The quantity must be at most {maximum}.")


def _last_bound(brackets: Sequence[Mapping[str, Any]]) -> int | None:
    """The highest quantity the brackets price: None when the last one has no upper limit."""
    return brackets[-1].get("maxQuantity") if brackets else 0


def _landing(brackets: Sequence[Mapping[str, Any]], quantity: int) -> Mapping[str, Any]:
    """The bracket whose range holds ``quantity`` (the bounds were checked before)."""
    for bracket in brackets:
        if bracket.get("maxQuantity") is None or quantity <= bracket["maxQuantity"]:
            return bracket
    raise QuantityOutOfRange(f"The quantity must be at most {_last_bound(brackets)}.")


def _stairstep(brackets: Sequence[Mapping[str, Any]], quantity: int) -> Decimal:
    """The whole price of the bracket the quantity lands in."""
    return decimal_of(_landing(brackets, quantity)["price"])


def _volume(brackets: Sequence[Mapping[str, Any]], quantity: int) -> Decimal:
    """Every unit at the unit price of the bracket the whole quantity lands in."""
    return decimal_of(_landing(brackets, quantity)["price"]) * quantity


def _tiered(brackets: Sequence[Mapping[str, Any]], quantity: int) -> Decimal:
    """Each unit at the unit price of the tier it falls in, the tiers' totals added."""
    total, below = Decimal(0), 0
    for bracket in brackets:
        upper = bracket.get("maxQuantity")
        top = quantity if upper is None else min(quantity, upper)
        if top > below:
            total += decimal_of(bracket["price"]) * (top - below)
        if upper is None or quantity <= upper:
            break
        below = upper
    return total


_BRACKETS = {"stairstep": _stairstep, "tiered": _tiered, "volume": _volume}


def _rounded(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
