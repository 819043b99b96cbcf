"""Payment token routes: ``POST /tokens`` (publishable key allowed) and ``GET /tokens/{id}``."""

from __future__ import annotations

from flask import Response, g, request

from ..errors import NotFound
from ..jsonbody import parse_json_object
from ..schemas import TokenSchema, load
from ..services.customers import Context
from ..services.tokens import TOKENS, create_token
from ..state import get_state
from .present import json_response, token_body
from .routing import add_route, base_url

token_schema = TokenSchema()


def post_token() -> Response:
    state = get_state()
    body = parse_json_object(request.get_data(cache=False),
                             max_depth=state.config["max_json_depth"])
    data = load(token_schema, body, strict=state.config["strict"])
    ctx = Context(state.store, state.ids, state.clock, g.namespace.id, g.organization_id)
    token = create_token(ctx, data)
    return json_response(token_body(token, base_url()), 201,
                         {"Location": f"{base_url()}/tokens/{token['id']}"})


def get_token(token_id: str) -> Response:
    token = get_state().store.get(g.namespace.id, TOKENS, token_id)
    if token is None:
        raise NotFound(f"Payment token {token_id} was not found.")
    return json_response(token_body(token, base_url()))


add_route("/tokens", post_token, ["POST"], publishable=True)
add_route("/tokens/<token_id>", get_token, ["GET"], publishable=True)
