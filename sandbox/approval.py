"""``/_sandbox/approval/{token}``: the sandbox's own offsite (3-D Secure) approval page.

Rebilly sends a shopper to a transaction's ``approvalUrl``; the sandbox serves that page itself,
with Approve, Decline and Abandon buttons, server-rendered and usable without JavaScript. The
shopper's browser carries no API key, so the unguessable token in the URL names the transaction
and its namespace (``services.approvals``); a token the sandbox never issued is a 404. The page
is not part of the API: it is never faulted, rate limited or journaled, so a test's fault rules
and limits cannot stop a shopper from finishing.

A choice finishes the transaction through the same service as ``POST /transactions/{id}/update``,
starts the ``notificationUrl`` POST for an approval or a decline (Rebilly notifies those two),
and sends the browser to ``redirectUrl`` with ``{id}`` and ``{result}`` filled in (303); with no
``redirectUrl`` the page shows the result. A transaction already finished answers 409, with a
page saying so. Errors are pages for a browser (one that prefers HTML) and problem JSON for
anything else.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, Response, current_app, redirect, render_template, request

from .problems import Conflict, NotFound, SandboxError, ValidationFailed
from .replicas import unmarked_root
from .services import approvals, transactions
from .services.context import Context
from .services.notifications import Notifier, notification_body
from .state import get_state

__all__ = ("bp", "init_app", "fill_placeholders", "NOTIFIER_KEY")

bp = Blueprint("approval", __name__)

#: Where the app keeps its ``Notifier`` (``app.extensions``).
NOTIFIER_KEY = "sandbox-notifier"
#: Results whose end Rebilly notifies; an abandoned step is cleaned up without one.
NOTIFIED_RESULTS = frozenset({"approved", "declined"})
BUTTONS = (("approved", "Approve"), ("declined", "Decline"), ("abandoned", "Abandon"))
#: No script at all; forms may go anywhere (the answer to one redirects to the merchant's site);
#: the page may be framed, as Rebilly suggests; the token in the URL is never sent as a referrer.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def fill_placeholders(template: str, transaction_id: str, result: str) -> str:
    """A merchant URL with Rebilly's ``{id}`` and ``{result}`` placeholders filled in."""
    return (template.replace("{id}", quote(transaction_id, safe=""))
            .replace("{result}", quote(result, safe="")))


def show_page(token: str) -> Response:
    try:
        _, transaction = _find(token)
    except SandboxError as error:
        return _refuse(error)
    if transaction["status"] != "waiting-approval":
        return _finished_page(transaction, 409)
    return _page(transaction, 200)


def choose(token: str) -> Response:
    try:
        ctx, transaction = _find(token)
        result = request.form.get("result", "")
        if result not in approvals.APPROVAL_CHOICES:
            raise ValidationFailed([{"field": "result", "message": "Must be one of "
                                     f"{', '.join(approvals.APPROVAL_CHOICES)}."}])
        finished = transactions.finish_offsite(ctx, transaction["id"], result)
    except Conflict:  # finished meanwhile, by another click or by /update: show how it ended
        return show_page(token)
    except SandboxError as error:
        return _refuse(error)
    if finished.get("notificationUrl") and result in NOTIFIED_RESULTS:
        url = fill_placeholders(finished["notificationUrl"], finished["id"], result)
        _notifier().notify(ctx.namespace, url, notification_body(finished))
    if finished.get("redirectUrl"):
        target = fill_placeholders(finished["redirectUrl"], finished["id"], result)
        return _with_page_headers(redirect(target, 303))
    return _finished_page(finished, 200)


def _find(token: str) -> tuple[Context, dict[str, Any]]:
    """The context of the token's namespace and the transaction it names.

    :raises NotFound: for an unknown token, or one that no longer matches its transaction.
    """
    state = get_state()
    namespace, transaction_id = approvals.locate(state.store, token)
    ctx = state.context(namespace)
    # Events fired here link to the API by URL: the API's root, not the page's replica marker.
    ctx.base_url = unmarked_root(request.root_url.rstrip("/"))
    transaction, _ = transactions.get_transaction(ctx, transaction_id)
    if not approvals.is_token_of(transaction, token):
        raise NotFound("No transaction waits for approval at this address.")
    return ctx, transaction


def _page(transaction: dict[str, Any], status: int, **extra: Any) -> Response:
    body = render_template("approval.html", transaction=transaction, buttons=BUTTONS,
                           amount=_amount(transaction["amount"]), **extra)
    return _with_page_headers(Response(body, status, mimetype="text/html"))


def _finished_page(transaction: dict[str, Any], status: int) -> Response:
    return _page(transaction, status, finished=True)


def _refuse(error: SandboxError) -> Response:
    """A problem as a page for a browser, as problem JSON for any other client."""
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) != "text/html":
        raise error
    body = render_template("approval.html", error=error)
    return _with_page_headers(Response(body, error.status, mimetype="text/html"))


def _with_page_headers(response: Response) -> Response:
    response.headers.update(PAGE_HEADERS)
    return response


def _amount(amount: float) -> str:
    """Two decimals unless the amount has more."""
    return f"{amount:.2f}" if round(amount, 2) == amount else repr(amount)


def _notifier() -> Notifier:
    return current_app.extensions[NOTIFIER_KEY]


bp.add_url_rule("/_sandbox/approval/<token>", view_func=show_page, methods=["GET"],
                strict_slashes=False)
bp.add_url_rule("/_sandbox/approval/<token>", view_func=choose, methods=["POST"],
                strict_slashes=False)


def init_app(app: Flask) -> None:
    """Serve the page and give the app the notifier its choices use."""
    state = app.extensions["sandbox"]
    app.extensions[NOTIFIER_KEY] = state.notifier
    app.register_blueprint(bp)
