"""Webhook registration: service credentials (where deliveries go, how they authenticate) and
webhooks (which events go where). Pure Python: no Flask, no marshmallow.

A credential's password is stored for the delivery worker and never handed out: every read here
returns the credential without it. A webhook's ``credentialHash`` may be any non-empty text (old
Rebilly samples show 32-hex values); when it names a credential of the namespace, deliveries use
that credential's authentication, otherwise they carry none.
"""

from __future__ import annotations

import re
from typing import Any

from ..ids import format_time
from ..problems import NotFound, ValidationFailed
from ..store import Transaction, copy_document
from .context import Context
from .events import WEBHOOKS
from .listing import Page, list_documents
from .paging import ListQuery

__all__ = ("CREDENTIALS", "WEBHOOKS", "MAX_ACTIVE_WEBHOOKS", "create_credential",
           "get_credential", "list_credentials", "create_webhook", "upsert_webhook",
           "get_webhook", "delete_webhook", "list_webhooks", "without_secret")

#: Service credentials of type webhook, per namespace.
CREDENTIALS = "service-credentials"
#: Rebilly's documented limit on active webhooks per organization (here: per namespace).
MAX_ACTIVE_WEBHOOKS = 25
_CLIENT_ID = re.compile(r"[@~\-.\w]{1,50}", re.ASCII)


# -- service credentials --------------------------------------------------------------------------

def without_secret(credential: dict[str, Any]) -> dict[str, Any]:
    """A copy of a stored credential without its password (write-only)."""
    shown = copy_document(credential)
    shown["auth"].pop("password", None)
    return shown


def create_credential(ctx: Context, data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Store a webhook credential; return it (without its password) and whether it is new.

    An active credential with the same host (case-insensitively) and the same authentication,
    password included, is the one already there: it is returned unchanged and ``created`` is
    False, which the API answers 303.
    """
    auth = {key: data["auth"][key] for key in ("type", "username", "password")
            if key in data["auth"]}
    if auth["type"] == "none":
        auth = {"type": "none"}
    with ctx.store.transaction() as tx:
        for existing in tx.view(ctx.namespace, CREDENTIALS):
            if (existing["status"] == "active" and existing["auth"] == auth
                    and existing["host"].casefold() == data["host"].casefold()):
                return without_secret(existing), False
        now = format_time(ctx.clock.now())
        credential_id = ctx.ids.new("crd")
        credential = {"id": credential_id, "hash": credential_id, "type": "webhook",
                      "host": data["host"], "auth": auth, "status": "active",
                      "createdTime": now, "updatedTime": now}
        tx.insert(ctx.namespace, CREDENTIALS, credential)
        return without_secret(credential), True


def get_credential(ctx: Context, credential_id: str) -> dict[str, Any]:
    """:raises NotFound: when the namespace has no credential with this id."""
    credential = ctx.store.get(ctx.namespace, CREDENTIALS, credential_id)
    if credential is None:
        raise NotFound(f"Service credential {credential_id} was not found.")
    return without_secret(credential)


def list_credentials(ctx: Context, query: ListQuery) -> Page:
    """A page of the namespace's webhook credentials, without their passwords."""
    page = list_documents(ctx.store, ctx.namespace, query)
    return Page([without_secret(credential) for credential in page.documents], page.total, [])


# -- webhooks -------------------------------------------------------------------------------------

def create_webhook(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Register a webhook with a generated id from validated ``data``.

    :raises ValidationFailed: on ``status`` when it would be the 26th active webhook.
    """
    with ctx.store.transaction() as tx:
        now = format_time(ctx.clock.now())
        webhook = _webhook(ctx.ids.new("hook"), data, now, now)
        _check_active_limit(tx, ctx, webhook)
        tx.insert(ctx.namespace, WEBHOOKS, webhook)
        return webhook


def upsert_webhook(ctx: Context, webhook_id: str, data: dict[str, Any]) -> tuple[dict, bool]:
    """Create the webhook with this id, or replace it (keeping ``createdTime``); return
    (webhook, created).

    :raises ValidationFailed: on ``id`` when malformed; on ``status`` when the change would
        make a 26th active webhook.
    """
    if not _CLIENT_ID.fullmatch(webhook_id):
        raise ValidationFailed([{"field": "id", "message": "Must be 1-50 characters: letters, "
                                 "digits and @ ~ - . _"}])
    with ctx.store.transaction() as tx:
        now = format_time(ctx.clock.now())
        existing = tx.get(ctx.namespace, WEBHOOKS, webhook_id)
        created_time = existing["createdTime"] if existing else now
        webhook = _webhook(webhook_id, data, created_time, now)
        _check_active_limit(tx, ctx, webhook)
        tx.put(ctx.namespace, WEBHOOKS, webhook)
        return webhook, existing is None


def get_webhook(ctx: Context, webhook_id: str) -> dict[str, Any]:
    """:raises NotFound: when the namespace has no webhook with this id."""
    webhook = ctx.store.get(ctx.namespace, WEBHOOKS, webhook_id)
    if webhook is None:
        raise NotFound(f"Webhook {webhook_id} was not found.")
    return webhook


def delete_webhook(ctx: Context, webhook_id: str) -> None:
    """Remove a webhook; deliveries already written for it still go out.

    :raises NotFound: when the namespace has no webhook with this id.
    """
    with ctx.store.transaction() as tx:
        if not tx.delete(ctx.namespace, WEBHOOKS, webhook_id):
            raise NotFound(f"Webhook {webhook_id} was not found.")


def list_webhooks(ctx: Context, query: ListQuery) -> Page:
    """A page of the namespace's webhooks."""
    return list_documents(ctx.store, ctx.namespace, query)


def _webhook(webhook_id: str, data: dict[str, Any], created: str, now: str) -> dict[str, Any]:
    events = list(dict.fromkeys(data.get("eventsFilter") or []))
    return {
        "id": webhook_id,
        "eventsFilter": events,
        "status": data.get("status") or "active",
        "method": data["method"],
        "url": data["url"],
        "headers": [{"name": header["name"], "value": header["value"],
                     "status": header.get("status") or "active"}
                    for header in data.get("headers") or []],
        "credentialHash": data["credentialHash"],
        "body": data.get("body"),
        "filter": data.get("filter") or None,
        "createdTime": created,
        "updatedTime": now,
    }


def _check_active_limit(tx: Transaction, ctx: Context, webhook: dict[str, Any]) -> None:
    if webhook["status"] != "active":
        return
    active = sum(1 for other in tx.view(ctx.namespace, WEBHOOKS)
                 if other["status"] == "active" and other["id"] != webhook["id"])
    if active >= MAX_ACTIVE_WEBHOOKS:
        raise ValidationFailed([{"field": "status", "message": (
            f"At most {MAX_ACTIVE_WEBHOOKS} webhooks can be active at once; deactivate or "
            f"delete one first, or save this one as inactive.")}])
