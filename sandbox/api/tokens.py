"""Payment token routes: ``POST /tokens`` (publishable key allowed) and ``GET /tokens/{id}``."""

from __future__ import annotations

from flask import Response, g

from ..errors import NotFound
from ..schemas import TokenSchema
from ..services.tokens import TOKENS, create_token
from ..state import get_state
from .present import json_response, token_body
from .routing import add_route, base_url, load_body, service_context

token_schema = TokenSchema()


def post_token() -> Response:
    token = create_token(service_context(), load_body(token_schema))
    return json_response(token_body(token, base_url()), 201,
                         {"Location": f"{base_url()}/tokens/{token['id']}"})


def get_token(token_id: str) -> Response:
    token = get_state().store.get(g.namespace.id, TOKENS, token_id)
    if token is None:
        raise NotFound(f"Payment token {token_id} was not found.")
    return json_response(token_body(token, base_url()))


add_route("/tokens", post_token, ["POST"], publishable=True)
add_route("/tokens/<token_id>", get_token, ["GET"], publishable=True)
