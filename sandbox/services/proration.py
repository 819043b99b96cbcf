"""What an item change bills: the lines it queues for the order's next renewal invoice.

Pure functions: no store, no HTTP. By the second, ``fraction`` = (period end − effective time) /
(period end − period start):

- ``prorated``: a credit for the old items' unused time, ``old price × fraction``; with the
  period kept (``retain…``), a debit for the new items over the same time, ``new price ×
  fraction``;
- a period restarted (``reset…``): a debit for the new items' whole first period.

Each line is rounded once to the cent, half up. The lines wait on the order (``lineItems``,
shown as the upcoming invoice's ``isInterim`` items) and are billed on the next renewal invoice.
Worked example: a 30-day period at 30.00, changed on day 10 to a 60.00 plan, retaining the
period: credit 20.00, debit 40.00; the next renewal invoice is 60.00 + 40.00 − 20.00 = 80.00.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ..ids import format_time
from .context import Context
from .invoice_amounts import cents, number
from .pricing import decimal_of

__all__ = ("change_lines", "queued_subtotal")


def change_lines(ctx: Context, order: dict[str, Any], old_price: Decimal, new_price: Decimal,
                 effective: datetime, *, prorated: bool, restart: bool) -> list[dict[str, Any]]:
    """The lines an item change queues on ``order`` (its period as it was before the change)."""
    start, end = order.get("currentPeriodStart"), order.get("currentPeriodEnd")
    lines = []
    if prorated and start and end and not order.get("inTrial"):
        begin, finish = datetime.fromisoformat(start), datetime.fromisoformat(end)
        if begin <= effective < finish:
            fraction = (Decimal((finish - effective).total_seconds())
                        / Decimal((finish - begin).total_seconds()))
            lines.append(_line(ctx, order, "credit", cents(old_price * fraction),
                               "Unused time on the previous items", effective, finish))
            if not restart:
                lines.append(_line(ctx, order, "debit", cents(new_price * fraction),
                                   "Remaining time on the new items", effective, finish))
    if restart:
        lines.append(_line(ctx, order, "debit", cents(new_price),
                           "The new items' first period", effective, None))
    return [line for line in lines if line["price"]]


def queued_subtotal(lines: list[dict[str, Any]]) -> int | float:
    """Debits less credits of queued lines (``lineItemSubtotal``)."""
    total = sum((decimal_of(line["price"]) * (-1 if line["type"] == "credit" else 1)
                 for line in lines), Decimal(0))
    return number(total)


def _line(ctx: Context, order: dict[str, Any], kind: str, price: Decimal, description: str,
          begin: datetime, finish: datetime | None) -> dict[str, Any]:
    now = format_time(ctx.clock.now())
    return {"id": ctx.ids.new("ii"), "type": kind, "unitPrice": number(price), "quantity": 1,
            "price": number(price), "description": description, "productId": None,
            "planId": None, "subscriptionId": order["id"], "tax": None,
            "periodStartTime": format_time(begin),
            "periodEndTime": format_time(finish) if finish else None, "periodNumber": None,
            "createdTime": now, "updatedTime": now}
