"""Webhook registration routes: service credentials and webhooks, at the paths the JS SDK calls.

``POST /service-credentials/webhook`` answers 201 for a new credential and 303 (with ``Location``)
for one identical to a credential already there. Lists take ``limit``, ``offset`` and ``filter``
only, like Rebilly's webhook list; other query parameters are ignored.

This module also tells the event payloads (``services.events``) how the API shows each resource,
so a payload's ``_embedded`` equals what a GET answers.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ..resources import WEBHOOK_CREDENTIALS, WEBHOOKS
from ..schemas.list_query import load_list_query
from ..schemas.webhook import CredentialSchema, WebhookSchema
from ..services import events
from ..services import webhooks as service
from ..services.paging import ListQuery
from .present import (
    credential_body,
    customer_body,
    instrument_body,
    json_response,
    page_response,
    show_transaction,
    webhook_body,
)
from .routing import add_route, base_url, load_body, service_context

credential_schema = CredentialSchema()
webhook_schema = WebhookSchema()

events.register_presenter(
    "customer", lambda document, base, has_lead_source=False: customer_body(
        document, base, lead_source=has_lead_source))
events.register_presenter("payment-instrument", lambda document, base: instrument_body(
    document, base))
events.register_presenter("transaction", lambda document, base: show_transaction(
    document, None, base))


def _page(bodies: list[dict[str, Any]], total: int, query: ListQuery) -> Response:
    return page_response(bodies, total, query.limit, query.offset)


def _credential_location(credential: dict[str, Any]) -> dict[str, str]:
    return {"Location": f"{base_url()}/service-credentials/webhook/{credential['id']}"}


def _webhook_location(webhook: dict[str, Any]) -> dict[str, str]:
    return {"Location": f"{base_url()}/webhooks/{webhook['id']}"}


def post_credential() -> Response:
    credential, created = service.create_credential(service_context(),
                                                    load_body(credential_schema))
    return json_response(credential_body(credential, base_url()), 201 if created else 303,
                         _credential_location(credential))


def get_credential(credential_id: str) -> Response:
    return json_response(credential_body(service.get_credential(service_context(),
                                                                credential_id), base_url()))


def list_credentials() -> Response:
    query = load_list_query(WEBHOOK_CREDENTIALS, request.args)
    page = service.list_credentials(service_context(), query)
    return _page([credential_body(credential, base_url()) for credential in page.documents],
                 page.total, query)


def post_webhook() -> Response:
    webhook = service.create_webhook(service_context(), load_body(webhook_schema))
    return json_response(webhook_body(webhook, base_url()), 201, _webhook_location(webhook))


def list_webhooks() -> Response:
    query = load_list_query(WEBHOOKS, request.args)
    page = service.list_webhooks(service_context(), query)
    return _page([webhook_body(webhook, base_url()) for webhook in page.documents],
                 page.total, query)


def get_webhook(webhook_id: str) -> Response:
    return json_response(webhook_body(service.get_webhook(service_context(), webhook_id),
                                      base_url()))


def put_webhook(webhook_id: str) -> Response:
    data = load_body(webhook_schema)
    webhook, created = service.upsert_webhook(service_context(), webhook_id, data)
    return json_response(webhook_body(webhook, base_url()), 201 if created else 200,
                         _webhook_location(webhook) if created else None)


def delete_webhook(webhook_id: str) -> Response:
    service.delete_webhook(service_context(), webhook_id)
    return Response(status=204)


add_route("/service-credentials/webhook", post_credential, ["POST"])
add_route("/service-credentials/webhook", list_credentials, ["GET"])
add_route("/service-credentials/webhook/<credential_id>", get_credential, ["GET"])
add_route("/webhooks", post_webhook, ["POST"])
add_route("/webhooks", list_webhooks, ["GET"])
add_route("/webhooks/<webhook_id>", get_webhook, ["GET"])
add_route("/webhooks/<webhook_id>", put_webhook, ["PUT"])
add_route("/webhooks/<webhook_id>", delete_webhook, ["DELETE"])
