"""Webhook request bodies: ``POST /service-credentials/webhook`` and ``POST``/``PUT /webhooks``.

A ``null`` is accepted only where Rebilly's type is nullable (a webhook's ``body`` and ``filter``);
elsewhere it is a 422 naming the member. A webhook's ``filter`` is compiled here with the list
filter grammar, against the fields of the resources its ``eventsFilter`` covers, so a filter that
could never run is refused when the webhook is saved rather than when an event comes.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from ..outbound import FORBIDDEN_HEADERS
from ..services.events import EVENT_TYPES, filter_fields
from ..services.filters import FilterRefused, compile_filter
from .base import RequestSchema, Text
from .bounded import BoundedList

__all__ = ("CredentialSchema", "WebhookSchema", "MAX_WEBHOOK_HEADERS", "MAX_BODY_TEMPLATE")

#: Custom headers one webhook may carry.
MAX_WEBHOOK_HEADERS = 50
#: Characters of a webhook's ``body`` template.
MAX_BODY_TEMPLATE = 65_536
#: Characters of a webhook's ``url``.
MAX_URL = 2048

_HOST = re.compile(r"^[A-Za-z0-9\-.]+\Z")
#: An HTTP header name (RFC 9110 token).
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
#: A header value without control characters (no CR or LF can split the request).
_HEADER_VALUE = re.compile(r"^[^\x00-\x08\x0a-\x1f\x7f]*\Z")


def _required_text(max_length: int, **kwargs: Any) -> Text:
    return Text(max_length, pattern=None, required=True, allow_none=False, **kwargs)


class AuthSchema(RequestSchema):
    """A webhook credential's ``auth``: none, or basic or digest with a username and password."""

    type = fields.String(required=True, validate=validate.OneOf(["none", "basic", "digest"]))
    username = Text(255, pattern=None, allow_none=False)
    password = Text(255, pattern=None, allow_none=False, load_only=True)

    @validates_schema(skip_on_field_errors=True)
    def _login(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["type"] == "none":
            return
        missing = {name: [f"Required for {data['type']} authentication."]
                   for name in ("username", "password") if not data.get(name)}
        if missing:
            raise ValidationError(missing)


class CredentialSchema(RequestSchema):
    """``POST /service-credentials/webhook``: where deliveries go and how they authenticate."""

    SERVER_OWNED = frozenset({"id", "hash", "status", "createdTime", "updatedTime",
                              "deactivationTime", "_links"})

    host = Text(255, required=True, allow_none=False, pattern=_HOST,
                pattern_message="Must be a host name: letters, digits, '-' and '.'.")
    auth = fields.Nested(AuthSchema, required=True)
    type = fields.String(validate=validate.OneOf(["webhook"]))


class HeaderSchema(RequestSchema):
    """One custom header a webhook's deliveries carry while it is active."""

    name = Text(255, required=True, allow_none=False, pattern=_HEADER_NAME,
                pattern_message="Must be an HTTP header name: letters, digits and "
                                "!#$%&'*+-.^_`|~.")
    value = Text(4096, required=True, allow_none=False, pattern=_HEADER_VALUE,
                 pattern_message="Must hold no control characters.")
    status = fields.String(load_default="active",
                           validate=validate.OneOf(["active", "inactive"]))

    @validates_schema(skip_on_field_errors=True)
    def _not_the_senders(self, data: dict[str, Any], **kwargs: Any) -> None:
        """``Host``, the hop-by-hop headers and those that frame the body belong to the sender:
        a delivery goes to its URL's host, framed by the sandbox."""
        if data["name"].lower() in FORBIDDEN_HEADERS:
            raise ValidationError({"name": [f"{data['name']} is set by the sandbox and cannot "
                                            "be a webhook header."]})


class WebhookSchema(RequestSchema):
    """``POST /webhooks`` and ``PUT /webhooks/{id}``: Rebilly's GlobalWebhook."""

    SERVER_OWNED = frozenset({"id", "createdTime", "updatedTime", "_links"})

    method = fields.String(required=True,
                           validate=validate.OneOf(["GET", "POST", "PUT", "PATCH", "DELETE"]))
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                     validate=validate.Length(max=MAX_URL))
    credentialHash = _required_text(50, validate=validate.Length(min=1))
    eventsFilter = BoundedList(fields.String(validate=validate.OneOf(list(EVENT_TYPES))),
                               max_items=len(EVENT_TYPES) * 2, load_default=list)
    status = fields.String(load_default="active", validate=validate.OneOf(["active", "inactive"]))
    headers = BoundedList(fields.Nested(HeaderSchema), max_items=MAX_WEBHOOK_HEADERS,
                          load_default=list)
    body = Text(MAX_BODY_TEMPLATE, pattern=None, load_default=None)
    filter = Text(1000, pattern=None, load_default=None)

    @validates_schema(skip_on_field_errors=True)
    def _filter_runs(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("filter"):
            return
        try:
            compile_filter(data["filter"], filter_fields(data["eventsFilter"]))
        except FilterRefused as refused:
            raise ValidationError({"filter": [str(refused)]}) from None
