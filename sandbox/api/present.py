"""How stored documents are shown: links made from the request's own base URL, embeds on demand.

Stored documents hold no URLs, so the same customer reads correctly whichever host name,
port or organization prefix a client used to reach the sandbox. Presenters are pure functions
of the documents, what a service read beside them, and the base URL: they never read the store.
"""

from __future__ import annotations

from typing import Any, Protocol

from flask import Response

from ..jsonencode import dumps
from ..replicas import replica_root
from ..schemas.responses import CustomerResponseSchema, TokenResponseSchema, left_out_when_unset

__all__ = ("website_body", "product_body", "plan_body", "catalog_body", "invoice_body",
           "invoice_item_body", "customer_body",
           "show_customer", "show_customers", "lead_source_body", "tag_body",
           "token_body", "json_response", "page_response", "show_transaction",
           "show_transactions")


class Relations(Protocol):
    """What a customer's answer shows beside it (``services.customer_reads.CustomerRelations``)."""

    has_lead_source: bool
    embedded: dict[str, Any] | None


#: Members whose type is not nullable: an answer leaves them out instead of sending ``null``.
CUSTOMER_LEFT_OUT = left_out_when_unset(CustomerResponseSchema)
TOKEN_LEFT_OUT = left_out_when_unset(TokenResponseSchema)
#: The same for a transaction (its answer is described in ``openapi.api``); the service stores
#: none of them as ``null``, but a transaction stored by an earlier version may hold one.
TRANSACTION_LEFT_OUT = frozenset({"parentTransactionId", "requestId", "description",
                                  "billingAddress", "processedTime"})


def without_unset(body: dict[str, Any], left_out: frozenset[str]) -> dict[str, Any]:
    """``body`` without the members of ``left_out`` that hold ``null``."""
    for name in left_out:
        if name in body and body[name] is None:
            del body[name]
    return body


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Compact UTF-8 JSON; stored documents hold only JSON types, so no custom encoder is needed."""
    return Response(dumps(body), status, headers,
                    mimetype="application/json")


def page_response(bodies: list[Any], total: int, limit: int, offset: int) -> Response:
    """A list page as Rebilly answers it: a bare array, the paging in ``Pagination-*`` headers
    (where the SDKs read it)."""
    return json_response(bodies, 200, {"Pagination-Total": str(total),
                                       "Pagination-Limit": str(limit),
                                       "Pagination-Offset": str(offset)})


def show_customer(customer: dict[str, Any], relations: Relations,
                  base_url: str) -> dict[str, Any]:
    """A customer as the API answers it, with ``_links`` and, when asked, ``_embedded``."""
    body = customer_body(customer, base_url, lead_source=relations.has_lead_source)
    if relations.embedded is not None:
        body["_embedded"] = dict(relations.embedded)
        if "defaultPaymentInstrument" in body["_embedded"]:
            instrument = body["_embedded"]["defaultPaymentInstrument"]
            body["_embedded"]["defaultPaymentInstrument"] = card_fields(instrument)
    return body


def show_customers(customers: list[dict[str, Any]], relations: list[Relations],
                   base_url: str) -> list[dict[str, Any]]:
    """Customers as the API answers them, each beside what a service read for it."""
    return [show_customer(customer, related, base_url)
            for customer, related in zip(customers, relations, strict=True)]


def customer_body(customer: dict[str, Any], base_url: str, *, lead_source: bool) -> dict[str, Any]:
    """The API representation of a stored customer, with ``_links``."""
    body = without_unset(dict(customer), CUSTOMER_LEFT_OUT)
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


def website_body(website: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A website, linked to itself (and to its logo, once it has one)."""
    links = [{"rel": "self", "href": f"{base_url}/websites/{website['id']}"}]
    if website.get("logoUrl"):
        links.append({"rel": "logoUrl", "href": website["logoUrl"]})
    return {**website, "_links": links}


def product_body(product: dict[str, Any], base_url: str) -> dict[str, Any]:
    return {**product, "_links": [{"rel": "self", "href": f"{base_url}/products/{product['id']}"}]}


def plan_body(plan: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A plan in the shape of its kind: a trial-only plan has no ``pricing`` member at all."""
    body = {**plan, "_links": [{"rel": "self", "href": f"{base_url}/plans/{plan['id']}"}]}
    if plan.get("isTrialOnly"):
        body.pop("pricing", None)
    return body


def invoice_body(invoice: dict[str, Any], base_url: str) -> dict[str, Any]:
    """An invoice with its items shown as ``/items`` does, linked to its customer and website;
    how its payments were allocated stays inside."""
    self_url = f"{base_url}/invoices/{invoice['id']}"
    shown = {name: value for name, value in invoice.items() if name != "allocations"}
    return {**shown, "items": [invoice_item_body(item, invoice["id"], base_url)
                                 for item in invoice.get("items") or ()],
            "_links": [{"rel": "self", "href": self_url},
                       {"rel": "customer", "href": f"{base_url}/customers/{invoice['customerId']}"},
                       {"rel": "website", "href": f"{base_url}/websites/{invoice['websiteId']}"}]}


def invoice_item_body(item: dict[str, Any], invoice_id: str, base_url: str) -> dict[str, Any]:
    links = [{"rel": "self", "href": f"{base_url}/invoices/{invoice_id}/items/{item['id']}"}]
    if item.get("productId"):
        links.append({"rel": "product", "href": f"{base_url}/products/{item['productId']}"})
    if item.get("planId"):
        links.append({"rel": "plan", "href": f"{base_url}/plans/{item['planId']}"})
    return {**item, "_links": links}


#: The presenter of each catalog collection, by its path.
catalog_body = {"websites": website_body, "products": product_body, "plans": plan_body}


def tag_body(tag: dict[str, Any], base_url: str) -> dict[str, Any]:
    return {**tag, "_links": [{"rel": "self", "href": f"{base_url}/tags/{tag['name']}"}]}


def token_body(token: dict[str, Any], base_url: str) -> dict[str, Any]:
    body = without_unset(dict(token), TOKEN_LEFT_OUT)
    body["_links"] = [{"rel": "self", "href": f"{base_url}/tokens/{token['id']}"}]
    return body


def show_transaction(transaction: dict[str, Any], relations: Any,
                     base_url: str) -> dict[str, Any]:
    """A transaction as the API answers it: ``_links`` for what a client can do next, and the
    ``_embedded`` documents ``expand`` asked for (``services.transactions.TransactionRelations``).

    A transaction waiting for its offsite step links to the sandbox's approval page, by the
    unguessable token stored with it (``services.approvals``), which no answer shows otherwise.
    """
    body = without_unset(dict(transaction), TRANSACTION_LEFT_OUT)
    approval_token = body.pop("approvalToken", None)
    self_url = f"{base_url}/transactions/{transaction['id']}"
    links = [{"rel": "self", "href": self_url},
             {"rel": "customer", "href": f"{base_url}/customers/{transaction['customerId']}"},
             {"rel": "website", "href": f"{base_url}/websites/{transaction['websiteId']}"}]
    instrument_id = (transaction.get("paymentInstrument") or {}).get("paymentInstrumentId")
    if instrument_id:
        links.append({"rel": "paymentCard",
                      "href": f"{base_url}/payment-instruments/{instrument_id}"})
    if transaction.get("parentTransactionId"):
        links.append({"rel": "parentTransaction",
                      "href": f"{base_url}/transactions/{transaction['parentTransactionId']}"})
    if transaction["status"] == "waiting-approval":
        if approval_token:
            root = replica_root(base_url.split("/organizations/", 1)[0])
            links.append({"rel": "approvalUrl",
                          "href": f"{root}/_sandbox/approval/{approval_token}"})
        links.append({"rel": "updateUrl", "href": f"{self_url}/update"})
    links.append({"rel": "queryUrl", "href": f"{self_url}/query"})
    if transaction["result"] == "approved" and transaction["status"] in (
            "completed", "partially-refunded") and transaction["type"] in (
            "sale", "capture", "authorize"):
        links.append({"rel": "refundUrl", "href": f"{self_url}/refund"})
    body["_links"] = links
    embedded: dict[str, Any] = {}
    expand = getattr(relations, "expand", ())
    if "parentTransaction" in expand and relations.parent is not None:
        embedded["parentTransaction"] = show_transaction(relations.parent, None, base_url)
    if "customer" in expand and relations.customer is not None:
        embedded["customer"] = customer_body(relations.customer, base_url,
                                             lead_source=relations.customer_has_lead_source)
    if expand:
        body["_embedded"] = embedded
    return body


def show_transactions(transactions: list[dict[str, Any]], relations: list[Any],
                      base_url: str) -> list[dict[str, Any]]:
    """Transactions as the API answers them, each beside what a service read for it."""
    return [show_transaction(transaction, related, base_url)
            for transaction, related in zip(transactions, relations, strict=True)]


#: Payment card members that are not nullable and may have no value: left out rather than null.
INSTRUMENT_LEFT_OUT = frozenset({"billingAddress", "brand"})
#: Rebilly's card brands; a number of no known brand shows none.
_CARD_BRANDS = frozenset({"Visa", "MasterCard", "American Express", "Discover", "Maestro",
                          "Solo", "Electron", "JCB", "Voyager", "Diners Club", "Switch",
                          "Laser", "China UnionPay", "AstroPay Card"})


def instrument_body(instrument: dict[str, Any], base_url: str,
                    customer: dict[str, Any] | None = None) -> dict[str, Any]:
    """A payment instrument as the API answers it, linked to itself and its customer, with the
    customer embedded when one is handed over (``expand=customer``)."""
    body = card_fields(instrument)
    customer_url = f"{base_url}/customers/{instrument['customerId']}"
    body["_links"] = [{"rel": "self", "href": f"{base_url}/payment-instruments/{instrument['id']}"},
                      {"rel": "customer", "href": customer_url}]
    if customer is not None:
        body["_embedded"] = {"customer": customer_body(customer, base_url, lead_source=False)}
    return body


def card_fields(instrument: dict[str, Any]) -> dict[str, Any]:
    """A stored card's members as answered: no ``null`` where the type is not nullable, and no
    brand outside Rebilly's list."""
    body = dict(instrument)
    if body.get("brand") not in _CARD_BRANDS:
        body["brand"] = None
    return without_nulls(body, INSTRUMENT_LEFT_OUT)


def show_instruments(instruments: list[dict[str, Any]], customers: list[dict[str, Any] | None],
                     base_url: str, *, expanded: bool) -> list[dict[str, Any]]:
    """Payment instruments as a list answers them; ``_embedded`` on each when ``expanded``."""
    bodies = []
    for instrument, customer in zip(instruments, customers, strict=True):
        body = instrument_body(instrument, base_url, customer)
        if expanded and customer is None:
            body["_embedded"] = {}
        bodies.append(body)
    return bodies


def without_nulls(body: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    """``body`` without those of ``names`` that hold ``null`` (members that are not nullable)."""
    for name in names:
        if body.get(name, 0) is None:
            del body[name]
    return body


def webhook_body(webhook: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A webhook as the API answers it (``body`` and ``filter`` are nullable: kept as null)."""
    return {**webhook, "_links": [{"rel": "self", "href": f"{base_url}/webhooks/{webhook['id']}"}]}


def credential_body(credential: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A webhook service credential as answered: never its password (write-only)."""
    body = {**credential, "auth": {key: value for key, value in credential["auth"].items()
                                   if key != "password"}}
    body["_links"] = [{"rel": "self",
                       "href": f"{base_url}/service-credentials/webhook/{credential['id']}"}]
    return body


def cancellation_body(cancellation: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A subscription cancellation, linked to itself."""
    return {**cancellation, "_links": [
        {"rel": "self", "href": f"{base_url}/subscription-cancellations/{cancellation['id']}"}]}


def pause_body(pause: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A subscription pause, linked to itself (also how pause events embed it)."""
    return {**pause, "_links": [
        {"rel": "self", "href": f"{base_url}/subscription-pauses/{pause['id']}"}]}


def reactivation_body(reactivation: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A subscription reactivation, linked to itself (a link Rebilly serves; the sandbox does
    not simulate reading one back)."""
    return {**reactivation, "_links": [
        {"rel": "self", "href": f"{base_url}/subscription-reactivations/{reactivation['id']}"}]}


#: The members of a coupon the API shows; the rest (a count of redemptions not canceled) is the
#: sandbox's own.
COUPON_MEMBERS = ("id", "discount", "restrictions", "description", "issuedTime", "expiredTime",
                  "status", "redemptionsCount", "revision", "createdTime", "updatedTime")
#: The members of a redemption the API shows; the invoices it discounts are the sandbox's own.
REDEMPTION_MEMBERS = ("id", "couponId", "customerId", "additionalRestrictions", "canceledTime",
                      "createdTime", "updatedTime")


def coupon_body(coupon: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A coupon, linked to itself (also how coupon events embed it)."""
    return {**{name: coupon.get(name) for name in COUPON_MEMBERS},
            "_links": [{"rel": "self", "href": f"{base_url}/coupons/{coupon['id']}"}]}


def redemption_body(redemption: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A coupon redemption, linked to itself, its customer and its coupon."""
    return {**{name: redemption.get(name) for name in REDEMPTION_MEMBERS}, "_links": [
        {"rel": "self", "href": f"{base_url}/coupons-redemptions/{redemption['id']}"},
        {"rel": "customer", "href": f"{base_url}/customers/{redemption['customerId']}"},
        {"rel": "coupon", "href": f"{base_url}/coupons/{redemption['couponId']}"}]}
