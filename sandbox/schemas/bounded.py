"""A list field with a maximum length, checked before any item is read.

Marshmallow validates a list's length only after deserializing every item, so a body of 50,000
nested objects would be read in full before being refused. The server is one process: the bound
has to stop the work, not just judge it afterwards.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields

__all__ = ("BoundedList",)


class BoundedList(fields.List):
    """``fields.List`` that refuses more than ``max_items`` items up front."""

    def __init__(self, inner: Any, *, max_items: int, **kwargs: Any):
        super().__init__(inner, **kwargs)
        self.max_items = max_items

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[Any]:
        if isinstance(value, list) and len(value) > self.max_items:
            raise ValidationError(f"Must hold at most {self.max_items} items.")
        return super()._deserialize(value, attr, data, **kwargs)
