"""Payment token routes: ``POST /tokens`` and ``GET /tokens/{id}`` (publishable key allowed), and
``GET /tokens``, the namespace's own tokens (secret key or JWT), through the shared list
machinery with Rebilly's ``limit`` and ``offset``."""

from __future__ import annotations

from flask import Response, request

from ..resources import PAYMENT_TOKENS
from ..schemas import TokenSchema
from ..schemas.list_query import load_list_query
from ..services.tokens import create_token, list_tokens
from ..services.tokens import get_token as read_token
from .present import json_response, page_response, token_body
from .routing import add_route, base_url, load_body, service_context

token_schema = TokenSchema()


def post_token() -> Response:
    token = create_token(service_context(), load_body(token_schema))
    return json_response(token_body(token, base_url()), 201,
                         {"Location": f"{base_url()}/tokens/{token['id']}"})


def get_token(token_id: str) -> Response:
    return json_response(token_body(read_token(service_context(), token_id), base_url()))


def get_tokens() -> Response:
    query = load_list_query(PAYMENT_TOKENS, request.args)
    page = list_tokens(service_context(), query)
    root = base_url()
    return page_response([token_body(token, root) for token in page.documents], page.total,
                         query.limit, query.offset)


add_route("/tokens", post_token, ["POST"], publishable=True)
add_route("/tokens", get_tokens, ["GET"])
add_route("/tokens/<token_id>", get_token, ["GET"], publishable=True)
