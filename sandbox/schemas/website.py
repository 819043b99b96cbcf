"""The body of ``POST /websites`` and ``PUT /websites/{id}``: Rebilly's Website with its settings.

``FixtureWebsiteSchema`` is the same body as a fixture set names it: an ``id`` of its own, and
only that required, so sets written before websites had a route (id, name, url) still load.
"""

from __future__ import annotations

import re

from marshmallow import fields, validate

from .base import RequestSchema, StrictBoolean, StrictInteger, Text

__all__ = ("WebsiteSchema", "FixtureWebsiteSchema")

HEX_COLOR = re.compile(r"^[0-9A-Fa-f]{1,6}$")
#: ``HH:MM`` or ``HH:MM:SS``, with an optional UTC offset (``Z`` or ``+02:00``).
TIME_OF_DAY = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?(Z|[+-][0-9]{2}:[0-9]{2})?$")
#: Items a list in the settings may hold (the sandbox's own bound: Rebilly declares none).
MAX_ITEMS = 100


class ThemeSchema(RequestSchema):
    colorPrimary = Text(6, pattern=HEX_COLOR, pattern_message="Must be a hex colour.")
    colorSecondary = Text(6, pattern=HEX_COLOR, pattern_message="Must be a hex colour.")
    buttonTemplate = Text(100, pattern=None)


class DepositFormSchema(RequestSchema):
    theme = fields.Nested(ThemeSchema, allow_none=True)


class FeaturesSchema(RequestSchema):
    showCoupons = fields.List(Text(255, allow_none=False), validate=validate.Length(max=MAX_ITEMS))
    fullPageRedirect = StrictBoolean(load_default=False)
    skipRedirectOnPaymentComplete = StrictBoolean(load_default=False)
    hideZeroAmountSummaryItems = StrictBoolean(load_default=False)


class PaymentFormSchema(RequestSchema):
    css = fields.String(allow_none=True, validate=validate.Length(max=65535))
    theme = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True,
                        validate=validate.Length(max=MAX_ITEMS))
    features = fields.Nested(FeaturesSchema)


class AmplitudeSchema(RequestSchema):
    tracking = StrictBoolean(load_default=False)
    apiKey = fields.String(allow_none=True, validate=validate.Length(min=20, max=50))


class PayoutRequestSchema(RequestSchema):
    SERVER_OWNED = frozenset({"automaticReadinessLastExecutedAt"})

    automaticReadinessEnabled = StrictBoolean(load_default=False)
    pendingPeriodHours = StrictInteger(validate=validate.Range(min=1, max=8760))
    automaticReadinessTime = Text(14, pattern=TIME_OF_DAY,
                                  pattern_message="Must be a time of day, HH:MM[:SS][offset].")


class SettingsSchema(RequestSchema):
    depositForm = fields.Nested(DepositFormSchema)
    paymentForm = fields.Nested(PaymentFormSchema)
    amplitude = fields.Nested(AmplitudeSchema)
    payoutRequest = fields.Nested(PayoutRequestSchema)


class WebsiteSchema(RequestSchema):
    SERVER_OWNED = frozenset({"id", "logoUrl", "organizationId", "createdTime", "updatedTime",
                              "_links"})

    name = Text(255, required=True, allow_none=False)
    url = Text(2083, pattern=None, required=True, allow_none=False)
    servicePhone = Text(255, pattern=None, required=True, allow_none=False)
    serviceEmail = fields.Email(required=True, validate=validate.Length(max=255),
                                error_messages={"invalid": "Not a valid email address."})
    customFields = fields.Dict(keys=fields.String(), load_default=dict)
    settings = fields.Nested(SettingsSchema, allow_none=True)
    logoId = Text(50, pattern=None)


class FixtureWebsiteSchema(WebsiteSchema):
    """A fixture set's website: its id is named, and nothing else is required."""

    SERVER_OWNED = WebsiteSchema.SERVER_OWNED - {"id"}

    id = Text(50, pattern=re.compile(r"[@~\-.\w]{1,50}", re.ASCII), required=True,
              allow_none=False, pattern_message="Must be 1-50 characters: letters, digits "
                                                "and @ ~ - . _")
    name = Text(255)
    url = Text(2083, pattern=None)
    servicePhone = Text(255, pattern=None)
    serviceEmail = fields.Email(allow_none=True, validate=validate.Length(max=255),
                                error_messages={"invalid": "Not a valid email address."})
