"""Contacts (a customer's primary address, a token's billing address) as the API shows them."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

__all__ = ("CONTACT_FIELDS", "build_contact", "derived_names")

#: Every key of a contact as the API answers it, in Rebilly's order.
CONTACT_FIELDS = (
    "firstName", "lastName", "organization", "address", "address2", "city", "region",
    "country", "postalCode", "phoneNumbers", "emails", "dob", "jobTitle", "hash",
)


def build_contact(contact: dict[str, Any] | None) -> dict[str, Any] | None:
    """A contact as the API answers it: every key present, ``dob`` as text, a content hash."""
    if contact is None:
        return None
    full: dict[str, Any] = {key: contact.get(key) for key in CONTACT_FIELDS if key != "hash"}
    full["phoneNumbers"] = list(contact.get("phoneNumbers") or [])
    full["emails"] = list(contact.get("emails") or [])
    if isinstance(full["dob"], date):
        full["dob"] = full["dob"].isoformat()
    digest_source = json.dumps(full, sort_keys=True)
    full["hash"] = hashlib.sha1(digest_source.encode("utf-8")).hexdigest()
    return full


def derived_names(address: dict[str, Any] | None) -> tuple[str | None, str | None, str | None]:
    """Top-level email, firstName, lastName as Rebilly derives them from the primary address."""
    if not address:
        return None, None, None
    emails = address.get("emails") or []
    first = emails[0] if emails else None
    primary = next((entry for entry in emails if entry.get("primary")), first)
    email = primary["value"] if primary else None
    return email, address.get("firstName"), address.get("lastName")
