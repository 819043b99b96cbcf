"""The routes of an order's records: cancellations (list, create by ``POST`` or ``PUT`` by id,
read), pauses (list, create, read, ``PUT``, ``DELETE``) and reactivations (create). Load the
body or list query, call the service, show the result.

Creates answer 201 with ``Location``; a ``PUT`` that changes an existing record answers 200,
and a ``DELETE`` 204 without a body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, request

from ..resources import SUBSCRIPTION_CANCELLATIONS, SUBSCRIPTION_PAUSES
from ..schemas.list_query import load_list_query
from ..schemas.order_records import CancellationSchema, PauseSchema, ReactivationSchema
from ..services import cancellations, events, pauses, reactivations
from .present import (
    cancellation_body,
    json_response,
    page_response,
    pause_body,
    reactivation_body,
)
from .routing import add_route, base_url, load_body, service_context

__all__ = ()

_cancellation_schema = CancellationSchema()
_pause_schema = PauseSchema()
_reactivation_schema = ReactivationSchema()

events.register_presenter("subscription-pause", pause_body)

Presenter = Callable[[dict[str, Any], str], dict[str, Any]]


def _created(body: Presenter, document: dict[str, Any], path: str) -> Response:
    return json_response(body(document, base_url()), 201,
                         {"Location": f"{base_url()}/{path}/{document['id']}"})


def _upserted(body: Presenter, answer: tuple[dict[str, Any], bool], path: str) -> Response:
    document, created = answer
    if created:
        return _created(body, document, path)
    return json_response(body(document, base_url()))


# -- cancellations ----------------------------------------------------------------------------

def list_cancellations() -> Response:
    query = load_list_query(SUBSCRIPTION_CANCELLATIONS, request.args)
    page = cancellations.list_cancellations(service_context(), query)
    return page_response([cancellation_body(entry, base_url()) for entry in page.documents],
                         page.total, query.limit, query.offset)


def post_cancellation() -> Response:
    cancellation = cancellations.create_cancellation(service_context(),
                                                     load_body(_cancellation_schema))
    return _created(cancellation_body, cancellation, "subscription-cancellations")


def get_cancellation(cancellation_id: str) -> Response:
    return json_response(cancellation_body(
        cancellations.get_cancellation(service_context(), cancellation_id), base_url()))


def put_cancellation(cancellation_id: str) -> Response:
    answer = cancellations.upsert_cancellation(service_context(), cancellation_id,
                                               load_body(_cancellation_schema))
    return _upserted(cancellation_body, answer, "subscription-cancellations")


# -- pauses -----------------------------------------------------------------------------------

def list_pauses() -> Response:
    query = load_list_query(SUBSCRIPTION_PAUSES, request.args)
    page = pauses.list_pauses(service_context(), query)
    return page_response([pause_body(entry, base_url()) for entry in page.documents],
                         page.total, query.limit, query.offset)


def post_pause() -> Response:
    pause = pauses.create_pause(service_context(), load_body(_pause_schema))
    return _created(pause_body, pause, "subscription-pauses")


def get_pause(pause_id: str) -> Response:
    return json_response(pause_body(pauses.get_pause(service_context(), pause_id), base_url()))


def put_pause(pause_id: str) -> Response:
    answer = pauses.upsert_pause(service_context(), pause_id, load_body(_pause_schema))
    return _upserted(pause_body, answer, "subscription-pauses")


def delete_pause(pause_id: str) -> Response:
    pauses.delete_pause(service_context(), pause_id)
    return Response(status=204)


# -- reactivations ----------------------------------------------------------------------------

def post_reactivation() -> Response:
    reactivation = reactivations.create_reactivation(service_context(),
                                                     load_body(_reactivation_schema))
    return _created(reactivation_body, reactivation, "subscription-reactivations")


_CANCELLATION = "/subscription-cancellations/<cancellation_id>"
_PAUSE = "/subscription-pauses/<pause_id>"
for _view, _rule, _method in (
        (list_cancellations, "/subscription-cancellations", "GET"),
        (post_cancellation, "/subscription-cancellations", "POST"),
        (get_cancellation, _CANCELLATION, "GET"), (put_cancellation, _CANCELLATION, "PUT"),
        (list_pauses, "/subscription-pauses", "GET"),
        (post_pause, "/subscription-pauses", "POST"),
        (get_pause, _PAUSE, "GET"), (put_pause, _PAUSE, "PUT"),
        (delete_pause, _PAUSE, "DELETE"),
        (post_reactivation, "/subscription-reactivations", "POST")):
    add_route(_rule, _view, [_method])
