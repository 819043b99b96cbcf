"""Transaction routes: load the body or query, call the transactions service, show the result.

A declined payment is a 201 like an approved one (the result is in the body); only requests the
sandbox cannot act on are problems.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ..resources import TRANSACTIONS
from ..schemas.list_query import load_expand, load_list_query
from ..schemas.transaction import (
    RefundSchema,
    TransactionPatchSchema,
    TransactionSchema,
    TransactionUpdateSchema,
)
from ..services import transactions as service
from ..services.paging import select_fields
from .present import json_response, page_response, show_transaction, show_transactions
from .routing import add_route, base_url, load_body, service_context

transaction_schema = TransactionSchema()
refund_schema = RefundSchema()
update_schema = TransactionUpdateSchema()
patch_schema = TransactionPatchSchema()


def _expand() -> tuple[str, ...]:
    return load_expand(TRANSACTIONS, request.args.get("expand"))


def _show(transaction: dict[str, Any], status: int, expand: tuple[str, ...] = (),
          headers: dict[str, str] | None = None) -> Response:
    relations = service.for_display(service_context(), transaction, expand)
    return json_response(show_transaction(transaction, relations, base_url()), status, headers)


def _created(transaction: dict[str, Any], expand: tuple[str, ...]) -> Response:
    return _show(transaction, 201, expand,
                 {"Location": f"{base_url()}/transactions/{transaction['id']}"})


def post_transaction() -> Response:
    expand = _expand()
    return _created(service.create_transaction(service_context(), load_body(transaction_schema)),
                    expand)


def list_transactions() -> Response:
    query = load_list_query(TRANSACTIONS, request.args)
    page = service.list_transactions(service_context(), query)
    shown = show_transactions(page.documents, page.related, base_url())
    return page_response([select_fields(body, query.fields) for body in shown], page.total,
                         query.limit, query.offset)


def get_transaction(transaction_id: str) -> Response:
    expand = _expand()
    transaction, relations = service.get_transaction(service_context(), transaction_id, expand)
    return json_response(show_transaction(transaction, relations, base_url()))


def patch_transaction(transaction_id: str) -> Response:
    data = load_body(patch_schema)
    return _show(service.update_custom_fields(service_context(), transaction_id,
                                              data.get("customFields")), 200)


def refund_transaction(transaction_id: str) -> Response:
    expand = _expand()
    data = load_body(refund_schema)
    return _created(service.refund_transaction(service_context(), transaction_id, data), expand)


def query_transaction(transaction_id: str) -> Response:
    return json_response(service.query_transaction(service_context(), transaction_id), 201)


def update_transaction(transaction_id: str) -> Response:
    data = load_body(update_schema)
    transaction = service.finish_offsite(service_context(), transaction_id, data["result"],
                                         amount=data.get("amount"),
                                         currency=data.get("currency"))
    return _show(transaction, 200)


add_route("/transactions", post_transaction, ["POST"])
add_route("/transactions", list_transactions, ["GET"])
add_route("/transactions/<transaction_id>", get_transaction, ["GET"])
add_route("/transactions/<transaction_id>", patch_transaction, ["PATCH"])
add_route("/transactions/<transaction_id>/refund", refund_transaction, ["POST"])
add_route("/transactions/<transaction_id>/query", query_transaction, ["POST"])
add_route("/transactions/<transaction_id>/update", update_transaction, ["POST"])
