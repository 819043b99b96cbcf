"""How stored documents are shown: links made from the request's own base URL, embeds on demand.

Stored documents hold no URLs, so the same customer reads correctly whichever host name,
port or organization prefix a client used to reach the sandbox.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response

from ..services.customers import LEAD_SOURCES, embedded
from ..state import get_state

__all__ = ("customer_body", "show_customers", "tag_body", "token_body", "json_response")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Compact JSON; stored documents hold only JSON types, so no custom encoder is needed."""
    return Response(json.dumps(body, separators=(",", ":")), status, headers,
                    mimetype="application/json")


def show_customers(customers: list[dict[str, Any]], namespace: str, base_url: str,
                   expand: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Customers as the API answers them, with ``_links`` and, when asked, ``_embedded``."""
    shown = []
    with get_state().store.transaction() as tx:
        for customer in customers:
            has_lead_source = tx.exists(namespace, LEAD_SOURCES, customer["id"])
            body = customer_body(customer, base_url, lead_source=has_lead_source)
            if expand:
                body["_embedded"] = embedded(tx, namespace, customer, expand)
            shown.append(body)
    return shown


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


def token_body(token: dict[str, Any], base_url: str) -> dict[str, Any]:
    return {**token, "_links": [{"rel": "self", "href": f"{base_url}/tokens/{token['id']}"}]}
