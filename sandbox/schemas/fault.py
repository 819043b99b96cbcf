"""The fault rule payload of ``POST /__admin/faults``; a typo is a 422, never an ignored rule.

Rules live in memory for up to a week, so each part a client chooses freely is bounded in size.
"""

from __future__ import annotations

import json
import re
from typing import Any

from marshmallow import RAISE, ValidationError, fields, validate, validates_schema

from ..faults import DELIVERY_ACTIONS, NETWORK_ACTIONS, valid_fault_status
from .base import RequestSchema, StrictBoolean, StrictInteger

__all__ = ("FaultRuleSchema",)

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}")
HEADER_VALUE = re.compile(r"[\x20-\x7e\t]{0,1000}")
#: Headers that describe the connection or the body framing: the server sets them.
FRAMING_HEADERS = {"content-length", "transfer-encoding", "connection"}
#: Longest rule path, and most ``*`` in it.
MAX_PATH_LENGTH = 500
MAX_PATH_STARS = 20
#: Largest answer body, answer headers or body match of one rule, as compact UTF-8 JSON.
MAX_PART_BYTES = 16 * 1024
MAX_SEED_LENGTH = 200


def _fault_status(status: int) -> None:
    if not valid_fault_status(status):
        raise ValidationError("Must be 200-599, but not 204 or 304.")


def _header_name(name: str) -> None:
    if not HEADER_NAME.fullmatch(name):
        raise ValidationError("Not a valid header name.")
    if name.lower() in FRAMING_HEADERS:
        raise ValidationError("The server sets this header itself.")


def _path_stars(path: str) -> None:
    if path.count("*") > MAX_PATH_STARS:
        raise ValidationError(f"At most {MAX_PATH_STARS} '*' in a path.")


def _json_size(value: Any) -> None:
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_PART_BYTES:
        raise ValidationError(f"At most {MAX_PART_BYTES} bytes as JSON; this is {size}.")


def _seed(value: Any) -> None:
    if not isinstance(value, (int, str)) or isinstance(value, bool):
        raise ValidationError("A seed is a whole number or a string.")
    if isinstance(value, str) and len(value) > MAX_SEED_LENGTH:
        raise ValidationError(f"At most {MAX_SEED_LENGTH} characters.")


def _header_value(value: str) -> None:
    if not HEADER_VALUE.fullmatch(value):
        raise ValidationError("Header values are printable ASCII, at most 1000 characters.")


#: How long a rule may live, in seconds of its namespace's clock: a week, or for a
#: renewal-payment rule ten years (a dunning test moves the clock by months).
WEEK = 7 * 86400
MAX_RENEWAL_RULE_SECONDS = 10 * 365 * 86400
#: A renewal-payment rule's lifetime when none is given: 400 days of its namespace's clock.
RENEWAL_RULE_SECONDS = 400 * 86400


class StrictRequestSchema(RequestSchema):
    """Fault payloads reject unknown fields whatever ``--strict`` says."""

    class Meta:
        unknown = RAISE


class MatchSchema(StrictRequestSchema):
    method = fields.String(validate=validate.OneOf(HTTP_METHODS))
    path = fields.String(validate=[validate.Length(min=1, max=MAX_PATH_LENGTH),
                                   validate.Regexp(r"^/", error="Must start with /."),
                                   _path_stars])
    header = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)),
                         values=fields.String(validate=validate.Length(max=1000)),
                         validate=validate.Length(equal=1, error="Name exactly one header."))
    body = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=200)),
                       validate=[validate.Length(min=1, max=20), _json_size])
    #: Delivery rules only: the event type, and a ``*`` pattern for the delivery URL.
    eventType = fields.String(validate=validate.Length(min=1, max=100))
    url = fields.String(validate=[validate.Length(min=1, max=MAX_PATH_LENGTH), _path_stars])


class DelayRangeSchema(StrictRequestSchema):
    min = StrictInteger(required=True, validate=validate.Range(0, 3_600_000))
    max = StrictInteger(required=True, validate=validate.Range(0, 3_600_000))

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["min"] > data["max"]:
            raise ValidationError({"max": ["Must be at least min."]})


class DelayField(fields.Field):
    """A delay in milliseconds: a number, or ``{"min": ms, "max": ms}`` drawn from the seed."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> tuple[int, int]:
        if isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value <= 3_600_000:
                raise ValidationError("Must be between 0 and 3600000 milliseconds.")
            return (value, value)
        if isinstance(value, dict):
            loaded = DelayRangeSchema().load(value)
            return (loaded["min"], loaded["max"])
        raise ValidationError("Must be milliseconds, or {\"min\": ms, \"max\": ms}.")


#: What a request rule and a delivery rule may each match on.
REQUEST_MATCH = {"method", "path", "header", "body"}
DELIVERY_MATCH = {"eventType", "url"}
#: Parts of a rule that only answer requests, so a delivery rule cannot have them.
REQUEST_ACTION_PARTS = ("status", "body", "headers", "delay", "network", "hangSeconds")


class FaultRuleSchema(StrictRequestSchema):
    on = fields.String(load_default="request", validate=validate.OneOf(
        ("request", "delivery", "renewal-payment")))
    delivery = fields.String(validate=validate.OneOf(DELIVERY_ACTIONS))
    delaySeconds = fields.Float(allow_nan=False, validate=validate.Range(0.001, 7 * 86400))
    match = fields.Nested(MatchSchema, load_default=dict)
    status = StrictInteger(validate=_fault_status)
    body = fields.Raw(validate=_json_size)
    headers = fields.Dict(keys=fields.String(validate=_header_name),
                          values=fields.String(validate=_header_value), validate=_json_size)
    delay = DelayField()
    network = fields.String(validate=validate.OneOf(NETWORK_ACTIONS))
    hangSeconds = fields.Float(allow_nan=False, validate=validate.Range(0, 3600))
    afterCommit = StrictBoolean(load_default=False)
    times = StrictInteger(validate=validate.Range(1, 1_000_000))
    skip = StrictInteger(load_default=0, validate=validate.Range(0, 1_000_000))
    probability = fields.Float(allow_nan=False, validate=validate.Range(0, 1))
    seed = fields.Raw(validate=_seed)
    expiresInSeconds = fields.Float(allow_nan=False, load_default=3600,
                                    validate=validate.Range(0.001, MAX_RENEWAL_RULE_SECONDS))
    globalRule = fields.Boolean(data_key="global", load_default=False)

    @validates_schema
    def _coherent(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "seed" in data and "probability" not in data:
            raise ValidationError({"seed": ["A seed goes with a probability."]})
        if data["on"] == "delivery":
            self._coherent_delivery(data)
            return
        if data["on"] == "renewal-payment":
            self._coherent_renewal(data)
            return
        for name in ("delivery", "delaySeconds"):
            if name in data:
                raise ValidationError({name: ['Only for "on": "delivery".']})
        if data["match"].keys() & DELIVERY_MATCH:
            raise ValidationError({"match": ['eventType and url are for "on": "delivery".']})
        if not data.keys() & {"status", "delay", "network"}:
            raise ValidationError({"status": ["Give a status, a delay or a network fault."]})
        if "status" in data and "network" in data:
            raise ValidationError({"network": ["A rule answers with a status or a network "
                                               "fault, not both."]})
        if data["afterCommit"] and not data.keys() & {"status", "network"}:
            raise ValidationError({"afterCommit": ["Needs a status or a network fault to "
                                                   "replace the answer with."]})
        if ("body" in data or "headers" in data) and "status" not in data:
            raise ValidationError({"body": ["A body or headers go with a status."]})
        if "hangSeconds" in data and data.get("network") != "hang":
            raise ValidationError({"hangSeconds": ["Only for network: hang."]})

    @validates_schema
    def _lifetime(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Rules on requests and deliveries live at most a week of the sandbox clock; a
        renewal-payment rule, meant to outlast the clock's jumps, up to ten years."""
        if data.get("on") != "renewal-payment" and data.get("expiresInSeconds", 0) > WEEK:
            raise ValidationError({"expiresInSeconds": [
                f"Must be at most {WEEK} ({MAX_RENEWAL_RULE_SECONDS} for "
                '"on": "renewal-payment").']})

    @staticmethod
    def _coherent_renewal(data: dict[str, Any]) -> None:
        """A renewal-payment rule only declines: the autopay charges of renewal invoices
        (retries included) it fires on decline, whatever the card."""
        for name in (*REQUEST_ACTION_PARTS, "delivery", "delaySeconds"):
            if name in data:
                raise ValidationError({name: ['Not for "on": "renewal-payment", which '
                                              "declines the charge."]})
        if data["afterCommit"]:
            raise ValidationError({"afterCommit": ['Not for "on": "renewal-payment".']})
        if data["match"]:
            raise ValidationError({"match": ['A renewal-payment rule matches every renewal '
                                             'charge of its namespace: use skip and times.']})

    @staticmethod
    def _coherent_delivery(data: dict[str, Any]) -> None:
        if "delivery" not in data:
            raise ValidationError({"delivery": [
                f"Give a delivery fault: {', '.join(DELIVERY_ACTIONS)}."]})
        for name in REQUEST_ACTION_PARTS:
            if name in data:
                raise ValidationError({name: ['Not for "on": "delivery"; use "delivery".']})
        if data["afterCommit"]:
            raise ValidationError({"afterCommit": ['Not for "on": "delivery".']})
        if data["match"].keys() & REQUEST_MATCH:
            raise ValidationError({"match": ["A delivery rule matches eventType and url only."]})
        if (data["delivery"] == "delay") != ("delaySeconds" in data):
            raise ValidationError({"delaySeconds": [
                "A delay fault needs delaySeconds, and only a delay fault takes it."]})
