"""How stored documents are shown: links made from the request's own base URL, embeds on demand.

Stored documents hold no URLs, so the same customer reads correctly whichever host name,
port or organization prefix a client used to reach the sandbox. Presenters are pure functions
of the documents, what a service read beside them, and the base URL: they never read the store.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from flask import Response

__all__ = ("customer_body", "show_customer", "show_customers", "lead_source_body", "tag_body",
           "token_body", "json_response")


class Relations(Protocol):
    """What a customer's answer shows beside it (``services.customer_reads.CustomerRelations``)."""

    has_lead_source: bool
    embedded: dict[str, Any] | None


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Compact JSON; stored documents hold only JSON types, so no custom encoder is needed."""
    return Response(json.dumps(body, separators=(",", ":")), status, headers,
                    mimetype="application/json")


def show_customer(customer: dict[str, Any], relations: Relations,
                  base_url: str) -> dict[str, Any]:
    """A customer as the API answers it, with ``_links`` and, when asked, ``_embedded``."""
    body = customer_body(customer, base_url, lead_source=relations.has_lead_source)
    if relations.embedded is not None:
        body["_embedded"] = relations.embedded
    return body


def show_customers(customers: list[dict[str, Any]], relations: list[Relations],
                   base_url: str) -> list[dict[str, Any]]:
    """Customers as the API answers them, each beside what a service read for it."""
    return [show_customer(customer, related, base_url)
            for customer, related in zip(customers, relations, strict=True)]


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
        instrument_id = instrument["paymentInstrumentId"]
        links.append({"rel": "defaultPaymentInstrument",
                      "href": f"{base_url}/payment-instruments/{instrument_id}"})
    if lead_source:
        links.append({"rel": "leadSource", "href": f"{self_url}/lead-source"})
    body["_links"] = links
    return body


def lead_source_body(lead_source: dict[str, Any], customer_id: str,
                     base_url: str) -> dict[str, Any]:
    """A customer's lead source, linked to itself and to its customer."""
    self_url = f"{base_url}/customers/{customer_id}"
    return {**lead_source, "_links": [
        {"rel": "self", "href": f"{self_url}/lead-source"}, {"rel": "customer", "href": self_url}]}


def tag_body(tag: dict[str, Any], base_url: str) -> dict[str, Any]:
    return {**tag, "_links": [{"rel": "self", "href": f"{base_url}/tags/{tag['name']}"}]}


def token_body(token: dict[str, Any], base_url: str) -> dict[str, Any]:
    return {**token, "_links": [{"rel": "self", "href": f"{base_url}/tokens/{token['id']}"}]}
