"""Payment token routes: ``POST /tokens`` (publishable key allowed) and ``GET /tokens/{id}``."""

from __future__ import annotations

from flask import Response

from ..schemas import TokenSchema
from ..services.tokens import create_token
from ..services.tokens import get_token as read_token
from .present import json_response, token_body
from .routing import add_route, base_url, load_body, service_context

token_schema = TokenSchema()


def post_token() -> Response:
    token = create_token(service_context(), load_body(token_schema))
    return json_response(token_body(token, base_url()), 201,
                         {"Location": f"{base_url()}/tokens/{token['id']}"})


def get_token(token_id: str) -> Response:
    return json_response(token_body(read_token(service_context(), token_id), base_url()))


add_route("/tokens", post_token, ["POST"], publishable=True)
add_route("/tokens/<token_id>", get_token, ["GET"], publishable=True)
