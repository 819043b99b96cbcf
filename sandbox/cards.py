"""Card numbers: the Luhn check and the brand a number belongs to, by its leading digits.

The ranges cover Rebilly's sandbox test cards (docs/routes.md), so a token made from
any of them reports the brand, bin and last4 the real sandbox would.
"""

from __future__ import annotations

__all__ = ("luhn_valid", "brand_of")

#: (brand, leading-digit ranges as (low, high) over prefixes of equal length), first match wins.
_BRANDS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Maestro", (("6759", "6759"), ("676770", "676774"), ("6771", "6771"), ("5018", "5018"),
                 ("5020", "5020"), ("5038", "5038"), ("5893", "5893"), ("6304", "6304"))),
    ("American Express", (("34", "34"), ("37", "37"))),
    ("Diners Club", (("300", "305"), ("3095", "3095"), ("36", "36"), ("38", "39"))),
    ("JCB", (("3528", "3589"),)),
    ("Visa", (("4", "4"),)),
    ("MasterCard", (("51", "55"), ("2221", "2720"))),
    ("Discover", (("6011", "6011"), ("644", "649"), ("65", "65"))),
    ("China UnionPay", (("62", "62"), ("81", "81"))),
)


def luhn_valid(number: str) -> bool:
    """True when ``number`` (digits only) passes the Luhn checksum."""
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def brand_of(number: str) -> str:
    """The card brand of ``number``, or ``"Unknown"``."""
    for brand, ranges in _BRANDS:
        for low, high in ranges:
            if low <= number[: len(low)] <= high:
                return brand
    return "Unknown"
