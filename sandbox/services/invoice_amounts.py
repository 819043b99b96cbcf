"""What an invoice adds up to, exact in decimal.

Pure functions of a stored invoice: no store, no clock, no HTTP. The one rounding rule: each
line is rounded once to the cent, half up, when it is written (an item's ``price`` =
``unitPrice`` × ``quantity``; a manual tax item's ``amount``); every sum of lines is then exact.
``amount`` = subtotal (debits less credits) − discounts + tax, and ``amountDue`` = ``amount`` less
what payments cover, never below 0. A voided invoice owes and totals 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .pricing import CENT, decimal_of

__all__ = ("cents", "number", "line_price", "totals")


def cents(value: Decimal) -> Decimal:
    """``value`` rounded to the cent, half up: the sandbox's one rounding rule."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def number(value: Decimal) -> int | float:
    """A cent amount as a JSON number: whole amounts as integers."""
    return int(value) if value == value.to_integral_value() else float(value)


def line_price(unit_price: int | float, quantity: int) -> Decimal:
    """What an item line costs: its unit price times its quantity, rounded once."""
    return cents(decimal_of(unit_price) * quantity)


def totals(invoice: Mapping[str, Any], paid: Decimal) -> dict[str, Any]:
    """The invoice's amount members for its items, discounts and tax, ``paid`` already paid."""
    if invoice.get("status") == "voided":
        return {"subtotalAmount": 0, "discountAmount": 0, "amount": 0, "amountDue": 0,
                "tax": {**(invoice.get("tax") or {}), "amount": 0}}
    subtotal = sum((_signed(item) for item in invoice.get("items") or ()), Decimal(0))
    discount = sum((decimal_of(entry["amount"]) for entry in invoice.get("discounts") or ()),
                   Decimal(0))
    tax = sum((decimal_of(entry["amount"]) for entry in (invoice.get("tax") or {}).get("items")
               or ()), Decimal(0))
    amount = subtotal - discount + tax
    return {"subtotalAmount": number(subtotal), "discountAmount": number(discount),
            "amount": number(amount), "amountDue": number(max(amount - paid, Decimal(0))),
            "tax": {**(invoice.get("tax") or {}), "amount": number(tax)}}


def _signed(item: Mapping[str, Any]) -> Decimal:
    price = decimal_of(item["price"])
    return -price if item["type"] == "credit" else price
