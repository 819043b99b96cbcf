"""How an order and its upcoming invoice are shown: the stored order without the members the
sandbox keeps for itself, linked to what it refers to.

A pending order whose first payment waits for 3-D Secure links to the sandbox's approval page
(``approvalUrl``), as the waiting transaction does; a one-time order has no ``upcomingInvoice``.
"""

from __future__ import annotations

from typing import Any

from ..replicas import replica_root
from .present import invoice_item_body

__all__ = ("order_body", "upcoming_invoice_body", "HIDDEN")

#: Members an order keeps for the sandbox's own use: the plan and product ids its list filters
#: read, its coupon redemptions, the approval token of a waiting first payment, and the start
#: its periods are counted from (so month ends keep to the day they started on).
HIDDEN = frozenset({"planId", "productId", "redemptionIds", "approvalToken", "periodAnchor"})
_PLAN_HIDDEN = frozenset({"createdTime", "updatedTime"})


def order_body(order: dict[str, Any], base_url: str,
               embedded: dict[str, Any] | None = None) -> dict[str, Any]:
    """The order as the API answers it, with any ``_embedded`` documents given."""
    body = {name: value for name, value in order.items() if name not in HIDDEN}
    body["items"] = [{**item, "plan": {name: value for name, value in item["plan"].items()
                                       if name not in _PLAN_HIDDEN}}
                     for item in order["items"]]
    links = [{"rel": "self", "href": f"{base_url}/subscriptions/{order['id']}"},
             {"rel": "customer", "href": f"{base_url}/customers/{order['customerId']}"},
             {"rel": "website", "href": f"{base_url}/websites/{order['websiteId']}"}]
    for rel, member in (("initialInvoice", "initialInvoiceId"),
                        ("recentInvoice", "recentInvoiceId")):
        if order.get(member):
            links.append({"rel": rel, "href": f"{base_url}/invoices/{order[member]}"})
    token = order.get("approvalToken")
    if token and order["status"] == "pending":
        root = replica_root(base_url.split("/organizations/", 1)[0])
        links.append({"rel": "approvalUrl", "href": f"{root}/_sandbox/approval/{token}"})
    body["_links"] = links
    if embedded:
        body["_embedded"] = embedded
    return body


#: The members of Rebilly's UpcomingInvoice: what an upcoming invoice shows, also once issued.
UPCOMING_MEMBERS = ("id", "websiteId", "subscriptionId", "customerId", "currency", "items",
                    "discounts", "billingAddress", "deliveryAddress", "poNumber", "notes",
                    "shipping", "tax", "isNewOrder", "issuedTime", "dueTime", "revision",
                    "createdTime", "updatedTime", "subtotalAmount", "discountAmount", "amount",
                    "amountDue")


def upcoming_invoice_body(invoice: dict[str, Any], base_url: str) -> dict[str, Any]:
    """An upcoming invoice (or the invoice issued early in its place): its members, its lines
    shown as an invoice's, linked to its order."""
    invoice = {"shipping": None, "isNewOrder": False, **invoice}
    return {**{name: invoice.get(name) for name in UPCOMING_MEMBERS},
            "items": [{**invoice_item_body(item, invoice["id"], base_url),
                       "isInterim": item.get("isInterim", False)}
                      for item in invoice["items"]],
            "_links": [{"rel": "subscription",
                        "href": f"{base_url}/subscriptions/{invoice['subscriptionId']}"},
                       {"rel": "customer",
                        "href": f"{base_url}/customers/{invoice['customerId']}"}]}
