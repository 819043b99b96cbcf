"""Service periods on the calendar: a period's end from its start, unit and length.

Pure functions, no store. A month step that lands past a month's end keeps to the month's last
day (31 January + 1 month = 28 or 29 February), counted from the period's first start each
time, so monthly periods from 31 January end on 28 February, 31 March, 30 April.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta

__all__ = ("period_end", "shift_months", "duration_of")


def shift_months(start: datetime, months: int) -> datetime:
    """``start`` moved by whole months, the day kept to the target month's length."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def period_end(start: datetime, unit: str, length: int, count: int = 1) -> datetime:
    """The end of ``count`` periods of ``length`` ``unit``\\ s from ``start``."""
    steps = length * count
    if unit == "day":
        return start + timedelta(days=steps)
    if unit == "week":
        return start + timedelta(weeks=steps)
    if unit == "month":
        return shift_months(start, steps)
    if unit == "year":
        return shift_months(start, 12 * steps)
    raise ValueError(f"Unknown period unit {unit!r}.")


_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def duration_of(text: str) -> timedelta:
    """An ISO 8601 duration of days and time (``P7D``, ``PT36H``, ``P1DT12H``).

    :raises ValueError: for any other form (months and years have no fixed length).
    """
    match = _DURATION.fullmatch(text)
    if match is None or text in ("P", "PT"):
        raise ValueError(f"not a duration of days and time: {text!r}")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
