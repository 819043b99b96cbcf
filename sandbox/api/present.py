"""How stored documents are shown: links made from the request's own base URL.

Stored documents hold no URLs, so the same customer reads correctly whichever host name,
port or organization prefix a client used to reach the sandbox.
"""

from __future__ import annotations

from typing import Any

__all__ = ("customer_body", "tag_body")


def customer_body(customer: dict[str, Any], base_url: str, *, lead_source: bool) -> dict[str, Any]:
    """The API representation of a stored customer, with ``_links``."""
    body = dict(customer)
    body["tags"] = [tag_body(tag, base_url) for tag in customer.get("tags", [])]
    self_url = f"{base_url}/customers/{customer['id']}"
    links = [{"rel": "self", "href": self_url}]
    if customer.get("websiteId"):
        links.append({"rel": "website", "href": f"{base_url}/websites/{customer['websiteId']}"})
    instrument = customer.get("defaultPaymentInstrument")
    if instrument:
        links.append({"rel": "defaultPaymentInstrument",
                      "href": f"{base_url}/payment-instruments/{instrument['paymentInstrumentId']}"})
    if lead_source:
        links.append({"rel": "leadSource", "href": f"{self_url}/lead-source"})
    body["_links"] = links
    return body


def tag_body(tag: dict[str, Any], base_url: str) -> dict[str, Any]:
    return {**tag, "_links": [{"rel": "self", "href": f"{base_url}/tags/{tag['name']}"}]}
