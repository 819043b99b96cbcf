"""What the API answers, as marshmallow schemas, for the OpenAPI document only.

The views build answers from stored documents (``rebilly_sandbox.api.present``) and never dump
through these, so they cost nothing per request. The test suite checks real answers against the
document built from them, so they cannot drift from what the sandbox sends. ``unknown = RAISE``
makes the document say ``additionalProperties: false``: an undocumented key in an answer fails
that check.

They are also the nullability table of the answers: a member is ``null`` only where its field
says ``allow_none`` (where Rebilly's type is nullable). A member that is neither nullable nor
``required`` is left out of the answer while it has no value (``left_out_when_unset``), which
the presenters apply.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from .contact import EmailSchema, PhoneNumberSchema
from .customer import TAG_TYPES, TaxNumberSchema

__all__ = ("AnswerSchema", "CustomerResponseSchema", "TokenResponseSchema",
           "LeadSourceResponseSchema", "ProblemSchema", "LinkSchema", "left_out_when_unset")


class AnswerSchema(Schema):
    """Base of every answer schema: the keys listed are all the keys there are."""

    class Meta:
        unknown = RAISE


def left_out_when_unset(schema: type[Schema]) -> frozenset[str]:
    """The members of an answer that are neither nullable nor always present."""
    return frozenset(field.data_key or name for name, field in schema().fields.items()
                     if not field.allow_none and not field.required)


def text(description: str | None = None, **kwargs) -> fields.String:
    """A string member that is always present and may be null."""
    metadata = {"description": description} if description else {}
    return fields.String(required=True, allow_none=True, metadata=metadata, **kwargs)


def timestamp(nullable: bool = False) -> fields.DateTime:
    return fields.DateTime(format="iso", required=True, allow_none=nullable)


class LinkSchema(AnswerSchema):
    rel = fields.String(required=True)
    href = fields.Url(required=True, require_tld=False)


def links() -> fields.List:
    return fields.List(fields.Nested(LinkSchema), data_key="_links", required=True)


class MoneySchema(AnswerSchema):
    currency = fields.String(required=True)
    amount = fields.Float(required=True)
    amountUsd = fields.Float(required=True)


class ContactResponseSchema(AnswerSchema):
    """A contact as answered: every key present, null when it was not sent."""

    firstName = text()
    lastName = text()
    organization = text()
    address = text()
    address2 = text()
    city = text()
    region = text()
    country = text()
    postalCode = text()
    phoneNumbers = fields.List(fields.Nested(PhoneNumberSchema), required=True)
    emails = fields.List(fields.Nested(EmailSchema), required=True)
    dob = fields.Date(required=True, allow_none=True)
    jobTitle = text()
    hash = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{40}$"),
                         metadata={"description": "SHA-1 of the contact's content."})


def contact(**kwargs) -> fields.Nested:
    return fields.Nested(ContactResponseSchema, required=True, allow_none=True, **kwargs)


class TagResponseSchema(AnswerSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(TAG_TYPES))
    createdTime = timestamp()
    updatedTime = timestamp()
    links = links()


class InstrumentReferenceSchema(AnswerSchema):
    method = fields.String(required=True)
    paymentInstrumentId = fields.String(required=True)


#: Rebilly's payment card brands (an unknown number's brand is left out of an answer).
CARD_BRANDS = ("Visa", "MasterCard", "American Express", "Discover", "Maestro", "Solo",
               "Electron", "JCB", "Voyager", "Diners Club", "Switch", "Laser", "China UnionPay",
               "AstroPay Card")
INSTRUMENT_STATUSES = ("active", "inactive", "expired", "deactivated", "verification-needed")


class PaymentInstrumentSchema(AnswerSchema):
    """A payment card as answered (Rebilly's PaymentCard); the card number and CVV are never
    kept. ``_links`` and ``status`` as read now are left out only where a customer embeds it."""

    id = fields.String(required=True)
    customerId = fields.String(required=True)
    method = fields.String(required=True, validate=validate.OneOf(["payment-card"]))
    status = fields.String(required=True, validate=validate.OneOf(INSTRUMENT_STATUSES))
    fingerprint = fields.String(required=True, validate=validate.Regexp(r"^[0-9A-Za-z]+$"))
    bin = fields.String(required=True)
    last4 = fields.String(required=True)
    fpanLast4 = fields.String(required=True, allow_none=True)
    brand = fields.String(validate=validate.OneOf(CARD_BRANDS), metadata={
        "description": "Left out when the number belongs to no known brand (not nullable)."})
    expMonth = fields.Integer(required=True)
    expYear = fields.Integer(required=True)
    bankCountry = fields.String(required=True, allow_none=True)
    isPayoutable = fields.Boolean(required=True)
    billingAddress = fields.Nested(ContactResponseSchema, metadata={
        "description": "Left out when neither the card, its token nor the customer had one."})
    useAsBackup = fields.Boolean(required=True)
    customFields = fields.Dict(keys=fields.String(), required=True)
    stickyGatewayAccountId = fields.String(required=True, allow_none=True)
    expirationReminderTime = timestamp(nullable=True)
    expirationReminderNumber = fields.Integer(required=True, allow_none=True)
    referenceData = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    digitalWallet = fields.String(required=True, allow_none=True)
    riskMetadata = fields.Dict(keys=fields.String(), required=True, allow_none=True)
    createdTime = timestamp()
    updatedTime = timestamp()
    lastPaymentTime = timestamp(nullable=True)
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    links = fields.List(fields.Nested(LinkSchema), data_key="_links")


class WebsiteResponseSchema(AnswerSchema):
    """A website; one a fixture set stored with only an id and a name holds null elsewhere."""

    id = fields.String(required=True)
    name = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    servicePhone = fields.String(allow_none=True)
    serviceEmail = fields.String(allow_none=True)
    customFields = fields.Dict(keys=fields.String())
    settings = fields.Dict(allow_none=True, metadata={
        "description": "depositForm, paymentForm, amplitude and payoutRequest, as sent."})
    logoId = fields.String(allow_none=True)
    logoUrl = fields.String(allow_none=True, metadata={
        "description": "Always null: the sandbox keeps no files."})
    organizationId = fields.String()
    createdTime = timestamp()
    updatedTime = timestamp()
    links = fields.List(fields.Nested(LinkSchema), data_key="_links",
                        metadata={"description": "Only on the /websites routes, not when "
                                                 "embedded."})


class LeadSourceResponseSchema(AnswerSchema):
    """A stored lead source: the members that were sent, its ids and times."""

    id = fields.String(required=True)
    customerId = fields.String(required=True)
    medium = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    campaign = fields.String(allow_none=True)
    term = fields.String(allow_none=True)
    content = fields.String(allow_none=True)
    affiliate = fields.String(allow_none=True)
    subAffiliate = fields.String(allow_none=True)
    salesAgent = fields.String(allow_none=True)
    clickId = fields.String(allow_none=True)
    path = fields.String(allow_none=True)
    referrer = fields.String(allow_none=True)
    createdTime = timestamp()
    updatedTime = timestamp()
    links = fields.List(fields.Nested(LinkSchema), data_key="_links",
                        metadata={"description": "Only on the /customers/{id}/lead-source "
                                                 "routes, not when embedded."})


class EmbeddedSchema(AnswerSchema):
    defaultPaymentInstrument = fields.Nested(PaymentInstrumentSchema)
    website = fields.Nested(WebsiteResponseSchema)
    leadSource = fields.Nested(LeadSourceResponseSchema)


class CustomerResponseSchema(AnswerSchema):
    """A customer as the API answers it; ``_embedded`` only when ``expand`` asked for it."""

    id = fields.String(required=True)
    email = text("The primary email of primaryAddress, else its first one.")
    firstName = text("primaryAddress.firstName")
    lastName = text("primaryAddress.lastName")
    websiteId = fields.String(metadata={
        "description": "Left out when the customer has none (the member is not nullable)."})
    defaultPaymentInstrument = fields.Nested(InstrumentReferenceSchema, required=True,
                                             allow_none=True)
    preferredPayoutInstrumentId = text()
    createdTime = timestamp()
    updatedTime = timestamp()
    customFields = fields.Dict(keys=fields.String(), required=True)
    primaryAddress = contact()
    company = fields.Raw(required=True, allow_none=True,
                         metadata={"description": "Always null: the sandbox keeps no companies."})
    averageValue = fields.Nested(MoneySchema, required=True)
    paymentCount = fields.Integer(required=True)
    lastPaymentTime = timestamp(nullable=True)
    lifetimeRevenue = fields.Nested(MoneySchema, required=True)
    invoiceCount = fields.Integer(required=True)
    tags = fields.List(fields.Nested(TagResponseSchema), required=True)
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    hasFulfilledKyc = fields.Boolean(required=True)
    organizationId = fields.String(required=True)
    locale = text()
    taxNumbers = fields.List(fields.Nested(TaxNumberSchema), required=True)
    personId = text()
    notificationEmails = fields.List(fields.Email(), required=True)
    isEddRequired = fields.Boolean(required=True)
    links = links()
    embedded = fields.Nested(EmbeddedSchema, data_key="_embedded")


class InstrumentEmbeddedSchema(AnswerSchema):
    customer = fields.Nested(CustomerResponseSchema)


class PaymentInstrumentResponseSchema(PaymentInstrumentSchema):
    """A payment instrument as its own routes answer it: ``_links`` always, ``_embedded`` on a
    list that asked for ``expand=customer``."""

    links = links()
    embedded = fields.Nested(InstrumentEmbeddedSchema, data_key="_embedded")


class CardSummarySchema(AnswerSchema):
    bin = fields.String(required=True)
    last4 = fields.String(required=True)
    brand = fields.String(required=True)
    expMonth = fields.Integer(required=True)
    expYear = fields.Integer(required=True)


class TokenResponseSchema(AnswerSchema):
    """A payment token as answered: the card number and CVV are never kept."""

    id = fields.String(required=True)
    method = fields.String(required=True, validate=validate.OneOf(["payment-card"]))
    paymentInstrument = fields.Nested(CardSummarySchema, required=True)
    billingAddress = fields.Nested(ContactResponseSchema, metadata={
        "description": "Left out when the token was made without one (not nullable)."})
    isUsed = fields.Boolean(required=True)
    usageTime = timestamp(nullable=True)
    expirationTime = timestamp()
    createdTime = timestamp()
    updatedTime = timestamp()
    links = links()


class InvalidFieldSchema(AnswerSchema):
    field = fields.String(required=True, metadata={
        "description": "Dot notation with list indexes, such as primaryAddress.emails.0.value."})
    message = fields.String(required=True)


class ProblemSchema(AnswerSchema):
    """Every error the sandbox answers (RFC 9457 members); ``invalidFields`` on a 422."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True, validate=validate.Range(400, 599))
    detail = fields.String(required=True)
    instance = fields.String(required=True, metadata={"description": "The request's path."})
    invalidFields = fields.List(fields.Nested(InvalidFieldSchema))
