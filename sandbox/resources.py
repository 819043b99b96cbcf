"""What each listable resource declares once: the fields its list sorts, filters, searches, expands.

The list machinery (``schemas.list_query`` parses, ``services.filters`` compiles filters,
``services.paging`` picks the page) reads only these declarations, so a new resource is listed
by declaring its fields here, in a few lines. Pure data: no Flask, no marshmallow, no store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ("ListedResource", "LIST_PARAMETERS", "TEXT", "INSTANT", "NUMBER", "BOOLEAN", "TAGS",
           "IDS",
           "CUSTOMERS", "TRANSACTIONS", "PAYMENT_INSTRUMENTS", "WEBHOOKS", "WEBHOOK_CREDENTIALS",
           "WEBHOOK_TRACKING", "PAYMENT_TOKENS", "API_LOGS", "WEBSITES", "PRODUCTS", "PLANS",
           "INVOICES", "SUBSCRIPTIONS", "SUBSCRIPTION_CANCELLATIONS", "SUBSCRIPTION_PAUSES",
           "SUBSCRIPTION_REACTIVATIONS", "COUPONS", "COUPON_REDEMPTIONS")

#: How a field's stored value is read and compared: text compares whole values case-insensitively,
#: date-times and numbers also take ranges, tags match any tag's name.
TEXT, INSTANT, NUMBER, BOOLEAN, TAGS = "text", "date-time", "number", "boolean", "tags"
#: A list of ids (an order's plans): a filter value matches when the list holds it.
IDS = "ids"

#: Every query parameter a list can take.
LIST_PARAMETERS = ("limit", "offset", "sort", "filter", "q", "fields", "expand")


@dataclass(frozen=True, eq=False)
class ListedResource:
    """One resource as its list sees it. Compared by identity: each is declared once."""

    #: The store table its documents live in.
    table: str
    #: One document, in messages ("a customer embeds ...").
    singular: str
    #: Many documents, in the API description ("Customers to skip.").
    plural: str
    #: Fields ``sort`` accepts, with their kind, in the order messages list them.
    sortable: Mapping[str, str]
    #: Fields ``filter`` accepts, with their kind, in the order messages list them.
    filterable: Mapping[str, str]
    #: Fields ``q`` looks into for a case-insensitive substring.
    searched: tuple[str, ...] = ()
    #: What ``searched`` covers, in words, for the API description.
    searched_description: str = ""
    #: Related objects ``expand`` may embed.
    expandable: tuple[str, ...] = ()
    #: A ``sort`` value shown in the API description.
    sort_example: str = "-createdTime"
    #: Fields lists answer from indexes: equality filters on the text and tags ones among them,
    #: sorts on the sortable ones. Every other filter and sort scans the namespace.
    indexed: tuple[str, ...] = ()
    #: The order of a list given no ``sort``: insertion order, or its reverse when True (the
    #: newest first, as a log is read).
    newest_first: bool = False
    #: The query parameters its list takes (those Rebilly's SDK sends for it); any other is
    #: ignored, and the OpenAPI document shows only these.
    parameters: tuple[str, ...] = LIST_PARAMETERS


CUSTOMERS = ListedResource(
    table="customers",
    singular="customer",
    plural="Customers",
    sortable={
        "id": TEXT,
        "email": TEXT,
        "firstName": TEXT,
        "lastName": TEXT,
        "websiteId": TEXT,
        "createdTime": INSTANT,
        "updatedTime": INSTANT,
        "paymentCount": NUMBER,
        "lastPaymentTime": INSTANT,
        "invoiceCount": NUMBER,
        "averageValue.amount": NUMBER,
        "averageValue.currency": TEXT,
        "lifetimeRevenue.amount": NUMBER,
        "lifetimeRevenue.currency": TEXT,
    },
    filterable={
        "id": TEXT,
        "email": TEXT,
        "firstName": TEXT,
        "lastName": TEXT,
        "websiteId": TEXT,
        "organizationId": TEXT,
        "locale": TEXT,
        "personId": TEXT,
        "primaryAddress.firstName": TEXT,
        "primaryAddress.lastName": TEXT,
        "primaryAddress.organization": TEXT,
        "primaryAddress.city": TEXT,
        "primaryAddress.region": TEXT,
        "primaryAddress.country": TEXT,
        "primaryAddress.postalCode": TEXT,
        "averageValue.currency": TEXT,
        "lifetimeRevenue.currency": TEXT,
        "createdTime": INSTANT,
        "updatedTime": INSTANT,
        "lastPaymentTime": INSTANT,
        "paymentCount": NUMBER,
        "invoiceCount": NUMBER,
        "averageValue.amount": NUMBER,
        "lifetimeRevenue.amount": NUMBER,
        "isEddRequired": BOOLEAN,
        "hasFulfilledKyc": BOOLEAN,
        "tags": TAGS,
    },
    searched=("firstName", "lastName", "email", "primaryAddress.organization"),
    searched_description="names, email and organization",
    expandable=("defaultPaymentInstrument", "website", "leadSource"),
    sort_example="-createdTime,email",
    indexed=("id", "email", "websiteId", "tags", "createdTime"),
)


TRANSACTIONS = ListedResource(
    table="transactions",
    singular="transaction",
    plural="Transactions",
    sortable={
        "id": TEXT,
        "customerId": TEXT,
        "amount": NUMBER,
        "purchaseAmount": NUMBER,
        "rebillNumber": NUMBER,
        "retryNumber": NUMBER,
        "requestId": TEXT,
        "currency": TEXT,
        "purchaseCurrency": TEXT,
        "requestCurrency": TEXT,
        "processedTime": INSTANT,
        "createdTime": INSTANT,
        "updatedTime": INSTANT,
    },
    filterable={
        "id": TEXT,
        "customerId": TEXT,
        "websiteId": TEXT,
        "type": TEXT,
        "status": TEXT,
        "result": TEXT,
        "currency": TEXT,
        "requestId": TEXT,
        "parentTransactionId": TEXT,
        "paymentInstrument.paymentInstrumentId": TEXT,
        "paymentInstrument.method": TEXT,
        "gatewayName": TEXT,
        "amount": NUMBER,
        "createdTime": INSTANT,
        "updatedTime": INSTANT,
        "processedTime": INSTANT,
        "isProcessedOutside": BOOLEAN,
        "isMerchantInitiated": BOOLEAN,
    },
    searched=("id", "description", "requestId"),
    searched_description="id, description and requestId",
    expandable=("parentTransaction", "customer"),
    sort_example="-createdTime,amount",
    indexed=("id", "customerId", "websiteId", "status", "result", "createdTime"),
)


PAYMENT_INSTRUMENTS = ListedResource(
    table="payment-instruments",
    singular="payment instrument",
    plural="Payment instruments",
    sortable={
        "createdTime": INSTANT,
        "updatedTime": INSTANT,
        "lastPaymentTime": INSTANT,
    },
    filterable={
        "id": TEXT,
        "customerId": TEXT,
        "status": TEXT,
        "method": TEXT,
        "brand": TEXT,
        "bin": TEXT,
        "last4": TEXT,
        "fingerprint": TEXT,
        "expMonth": NUMBER,
        "expYear": NUMBER,
        "createdTime": INSTANT,
        "updatedTime": INSTANT,
        "lastPaymentTime": INSTANT,
    },
    searched=("bin", "last4", "brand", "billingAddress.firstName", "billingAddress.lastName"),
    searched_description="bin, last4, brand and the billing name",
    expandable=("customer",),
    sort_example="-createdTime",
    # Not status: the status a card shows turns to expired on the sandbox clock.
    indexed=("id", "customerId", "createdTime"),
)


#: Webhooks: Rebilly's list takes only limit, offset and filter (no sort, q or expand).
WEBHOOKS = ListedResource(
    table="webhooks",
    singular="webhook",
    plural="Webhooks",
    parameters=("limit", "offset", "filter"),
    sortable={},
    filterable={
        "id": TEXT,
        "status": TEXT,
        "method": TEXT,
        "url": TEXT,
        "credentialHash": TEXT,
        "createdTime": INSTANT,
        "updatedTime": INSTANT,
    },
)


#: Webhook service credentials, listed with limit, offset and filter.
WEBHOOK_CREDENTIALS = ListedResource(
    table="service-credentials",
    singular="service credential",
    plural="Service credentials",
    parameters=("limit", "offset", "filter"),
    sortable={},
    filterable={
        "id": TEXT,
        "host": TEXT,
        "status": TEXT,
        "auth.type": TEXT,
        "createdTime": INSTANT,
        "updatedTime": INSTANT,
    },
)


#: What the tracking log sorts and filters on: an entry's own members, then its times.
_TRACKING_MEMBERS = {
    "id": TEXT,
    "eventType": TEXT,
    "entityId": TEXT,
    "status": NUMBER,
    "source": TEXT,
    "attempt": NUMBER,
    "duration": NUMBER,
    "url": TEXT,
    "method": TEXT,
}
_TRACKING_TIMES = {"initiatedTime": INSTANT, "sentTime": INSTANT}

#: The webhook tracking log (one entry per delivery attempt), newest first unless sorted; the JS
#: SDK's ``getAllWebhookTrackingLogs`` sends limit, offset, sort, filter and q.
WEBHOOK_TRACKING = ListedResource(
    table="webhook-tracking",
    singular="webhook tracking entry",
    plural="Webhook tracking entries",
    parameters=("limit", "offset", "sort", "filter", "q"),
    sortable={**_TRACKING_MEMBERS, **_TRACKING_TIMES},
    filterable={**_TRACKING_MEMBERS, "webhookId": TEXT, "organizationId": TEXT,
                **_TRACKING_TIMES},
    searched=("url", "eventType", "entityId"),
    searched_description="url, eventType and entityId",
    sort_example="-initiatedTime",
    newest_first=True,
)


#: Payment tokens: Rebilly's list takes only limit and offset (the JS SDK's
#: ``paymentTokens.getAll``), oldest first.
PAYMENT_TOKENS = ListedResource(
    table="tokens",
    singular="payment token",
    plural="Payment tokens",
    parameters=("limit", "offset"),
    sortable={},
    filterable={},
)


#: What the API log sorts and filters on: a logged request's own members.
_API_LOG_MEMBERS = {
    "id": TEXT,
    "method": TEXT,
    "route": TEXT,
    "url": TEXT,
    "status": NUMBER,
    "duration": NUMBER,
    "organizationId": TEXT,
    "createdTime": INSTANT,
}

#: The API log: the namespace's request journal in Rebilly's ApiTracking shape, newest first
#: unless sorted. Not a store table: it is read from the journal, which lives in memory. The JS
#: SDK's ``getAllApiLogs`` sends limit, offset, sort, filter, q (and expand, not taken).
API_LOGS = ListedResource(
    table="request-journal",
    singular="API log",
    plural="API logs",
    parameters=("limit", "offset", "sort", "filter", "q"),
    sortable=_API_LOG_MEMBERS,
    filterable=_API_LOG_MEMBERS,
    searched=("url", "route", "method"),
    searched_description="url, route and method",
    sort_example="-createdTime",
    newest_first=True,
)


#: The catalog's lists (websites, products, plans): Rebilly's SDK sends limit, offset, sort,
#: filter and q, and sorts them only on their times (plans on ``currency`` too).
_CATALOG_PARAMETERS = ("limit", "offset", "sort", "filter", "q")
_TIMES = {"createdTime": INSTANT, "updatedTime": INSTANT}

WEBSITES = ListedResource(
    table="websites",
    singular="website",
    plural="Websites",
    parameters=_CATALOG_PARAMETERS,
    sortable=dict(_TIMES),
    filterable={"id": TEXT, "name": TEXT, "url": TEXT, "servicePhone": TEXT,
                "serviceEmail": TEXT, **_TIMES},
    searched=("name", "url"),
    searched_description="name and url",
)

PRODUCTS = ListedResource(
    table="products",
    singular="product",
    plural="Products",
    parameters=_CATALOG_PARAMETERS,
    sortable=dict(_TIMES),
    filterable={"id": TEXT, "name": TEXT, "unitLabel": TEXT, "requiresShipping": BOOLEAN,
                "taxCategoryId": TEXT, "accountingCode": TEXT, **_TIMES},
    searched=("name", "description"),
    searched_description="name and description",
)

PLANS = ListedResource(
    table="plans",
    singular="plan",
    plural="Plans",
    parameters=_CATALOG_PARAMETERS,
    sortable={"currency": TEXT, **_TIMES},
    filterable={"id": TEXT, "name": TEXT, "productId": TEXT, "currency": TEXT,
                "isActive": BOOLEAN, "isTrialOnly": BOOLEAN, "pricing.formula": TEXT,
                "recurringInterval.unit": TEXT, **_TIMES},
    searched=("name", "description"),
    searched_description="name and description",
    sort_example="-createdTime,currency",
)

#: Invoices sort on their amounts and times, and filter on whose they are and their status.
INVOICES = ListedResource(
    table="invoices",
    singular="invoice",
    plural="Invoices",
    parameters=_CATALOG_PARAMETERS,
    sortable={"currency": TEXT, "amount": NUMBER, "amountDue": NUMBER,
              "autopayRetryNumber": NUMBER, "abandonedTime": INSTANT, "voidedTime": INSTANT,
              "paidTime": INSTANT, "dueTime": INSTANT, "issuedTime": INSTANT, **_TIMES},
    filterable={"id": TEXT, "customerId": TEXT, "websiteId": TEXT, "subscriptionId": TEXT,
                "status": TEXT, "type": TEXT, "currency": TEXT, "invoiceNumber": NUMBER,
                "amount": NUMBER, "amountDue": NUMBER, "issuedTime": INSTANT,
                "dueTime": INSTANT, "paidTime": INSTANT, **_TIMES},
    searched=("id", "poNumber", "notes"),
    searched_description="id, poNumber and notes",
    sort_example="-issuedTime,amount",
)

#: Orders (``/subscriptions``): subscription orders and one-time orders in one list. ``planId``
#: and ``productId`` read the order's items.
SUBSCRIPTIONS = ListedResource(
    table="subscriptions",
    singular="order",
    plural="Orders",
    parameters=(*_CATALOG_PARAMETERS, "expand"),
    sortable={"id": TEXT, "status": TEXT, "renewalTime": INSTANT, "activationTime": INSTANT,
              "canceledTime": INSTANT, "churnTime": INSTANT, "rebillNumber": NUMBER, **_TIMES},
    filterable={"id": TEXT, "customerId": TEXT, "websiteId": TEXT, "orderType": TEXT,
                "status": TEXT, "billingStatus": TEXT, "currency": TEXT, "planId": IDS,
                "productId": IDS, "inTrial": BOOLEAN, "autopay": BOOLEAN,
                "renewalTime": INSTANT, "activationTime": INSTANT, "canceledTime": INSTANT,
                "churnTime": INSTANT, "rebillNumber": NUMBER, **_TIMES},
    searched=("id", "poNumber", "notes"),
    searched_description="id, poNumber and notes",
    expandable=("customer", "website", "initialInvoice", "recentInvoice", "upcomingInvoice",
                "paymentInstrument"),
    sort_example="-createdTime,renewalTime",
    indexed=("id", "customerId", "status", "createdTime"),
)

#: The records of an order's life: cancellations, pauses and reactivations, listed with limit,
#: offset, filter and sort as Rebilly's SDK sends them.
_ORDER_RECORD_PARAMETERS = ("limit", "offset", "sort", "filter")

SUBSCRIPTION_CANCELLATIONS = ListedResource(
    table="subscription-cancellations",
    singular="subscription cancellation",
    plural="Subscription cancellations",
    parameters=_ORDER_RECORD_PARAMETERS,
    sortable={"churnTime": INSTANT, "canceledTime": INSTANT, **_TIMES},
    filterable={"id": TEXT, "subscriptionId": TEXT, "status": TEXT, "reason": TEXT,
                "canceledBy": TEXT, "churnTimePolicy": TEXT, "churnTime": INSTANT, **_TIMES},
)

SUBSCRIPTION_PAUSES = ListedResource(
    table="subscription-pauses",
    singular="subscription pause",
    plural="Subscription pauses",
    parameters=_ORDER_RECORD_PARAMETERS,
    sortable={"effectiveTime": INSTANT, "endTime": INSTANT, **_TIMES},
    filterable={"id": TEXT, "subscriptionId": TEXT, "status": TEXT, "pausedBy": TEXT,
                "effectiveTime": INSTANT, "endTime": INSTANT, **_TIMES},
)

#: Reactivations are made, not listed (Rebilly's list route is outside what is simulated); the
#: declaration names their table for reset, export and fixtures.
SUBSCRIPTION_REACTIVATIONS = ListedResource(
    table="subscription-reactivations",
    singular="subscription reactivation",
    plural="Subscription reactivations",
    parameters=_ORDER_RECORD_PARAMETERS,
    sortable=dict(_TIMES),
    filterable={"id": TEXT, "subscriptionId": TEXT, **_TIMES},
)

COUPONS = ListedResource(
    table="coupons",
    singular="coupon",
    plural="Coupons",
    parameters=_CATALOG_PARAMETERS,
    sortable={"id": TEXT, "issuedTime": INSTANT, "expiredTime": INSTANT,
              "redemptionsCount": NUMBER, **_TIMES},
    filterable={"id": TEXT, "status": TEXT, "discount.type": TEXT, "issuedTime": INSTANT,
                "expiredTime": INSTANT, "redemptionsCount": NUMBER, **_TIMES},
    searched=("id", "description"),
    searched_description="id and description",
)

COUPON_REDEMPTIONS = ListedResource(
    table="coupons-redemptions",
    singular="coupon redemption",
    plural="Coupon redemptions",
    parameters=_CATALOG_PARAMETERS,
    sortable={"canceledTime": INSTANT, **_TIMES},
    filterable={"id": TEXT, "couponId": TEXT, "customerId": TEXT, "canceledTime": INSTANT,
                **_TIMES},
    searched=("id", "couponId", "customerId"),
    searched_description="id, couponId and customerId",
)
