"""Request bodies used across the tests."""

from __future__ import annotations

import copy
from typing import Any

#: Every writable field the seed document lists, each with a valid value, plus server-owned ones.
FULL_CUSTOMER: dict[str, Any] = {
    "websiteId": "web_0YV7DE4Z26DQSA1AC92FBJ7SEG",
    "email": "ben.franklin@example.com",
    "firstName": "Benjamin",
    "lastName": "Franklin",
    "locale": "en-GB",
    "isEddRequired": True,
    "personId": "prs_0YV7DDSDD1C8DA64KHH2W33CPF",
    "preferredPayoutInstrumentId": "inst_0YVB8KPKNXCBR9EDX7JHSED75N",
    "customFields": {"plan": "gold", "referrals": 3, "flags": {"beta": True}},
    "notificationEmails": ["billing@example.com", "ops@example.com"],
    "taxNumbers": [{"type": "eu-vat", "value": "GB123456789", "isDefault": True},
                   {"type": "other", "value": "TX-42"}],
    "tags": [{"name": "vip", "type": "customer"}, {"name": "Early Adopter", "type": "customer"}],
    "leadSource": {"medium": "cpc", "source": "google", "campaign": "spring",
                   "term": "payments", "content": "banner", "affiliate": "aff-1",
                   "subAffiliate": "sub-1", "salesAgent": "agent-7", "clickId": "abc123",
                   "path": "/pricing", "referrer": "https://www.example.com/blog"},
    "primaryAddress": {
        "firstName": "Benjamin",
        "lastName": "Franklin",
        "organization": "Franklin Printing",
        "address": "36 Craven St",
        "address2": "Floor 2",
        "city": "London",
        "region": "Westminster",
        "country": "GB",
        "postalCode": "WC2N 5NF",
        "phoneNumbers": [{"label": "main", "value": "+44 20 7925 1405", "primary": True}],
        "emails": [{"label": "main", "value": "ben.franklin@example.com", "primary": True}],
        "dob": "1706-01-17",
        "jobTitle": "Printer",
    },
}

#: Server-owned fields a client may send back; every one must be ignored.
SERVER_OWNED: dict[str, Any] = {
    "id": "cus_CLIENT_CHOSEN",
    "createdTime": "2001-01-01T00:00:00+00:00",
    "updatedTime": "2001-01-01T00:00:00+00:00",
    "revision": 99,
    "paymentCount": 7,
    "invoiceCount": 8,
    "lifetimeRevenue": {"amount": 5, "currency": "EUR", "amountUsd": 6},
    "averageValue": {"amount": 5, "currency": "EUR", "amountUsd": 6},
    "lastPaymentTime": "2001-01-01T00:00:00+00:00",
    "company": {"name": "ACME"},
    "hasFulfilledKyc": True,
    "organizationId": "org_CLIENT",
    "defaultPaymentInstrument": {"method": "payment-card", "paymentInstrumentId": "inst_X"},
    "_links": [{"rel": "self", "href": "http://evil.example/customers/x"}],
    "_embedded": {"website": {}},
}


def full_customer(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(FULL_CUSTOMER)
    body.update(changes)
    return body
