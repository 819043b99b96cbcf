"""Payment instrument routes: load the body, call the service, show the result.

``POST /payment-instruments`` answers 201 for a new card and 303 for one the customer already
held (updated); both carry ``Location``, which the GET route serves, so a client that follows the
redirect reads the instrument. The deactivation takes no body and no Content-Type.
"""

from __future__ import annotations

from flask import Response, request

from ..resources import PAYMENT_INSTRUMENTS
from ..schemas.instrument import InstrumentCreateSchema, InstrumentPatchSchema
from ..schemas.list_query import load_list_query
from ..services import instruments
from ..services.paging import select_fields
from .present import instrument_body, json_response, page_response, show_instruments
from .routing import add_route, base_url, load_body, service_context

create_schema = InstrumentCreateSchema()
patch_schema = InstrumentPatchSchema()


def _location(instrument_id: str) -> dict[str, str]:
    return {"Location": f"{base_url()}/payment-instruments/{instrument_id}"}


def post_instrument() -> Response:
    instrument, created = instruments.create_instrument(service_context(),
                                                        load_body(create_schema))
    return json_response(instrument_body(instrument, base_url()), 201 if created else 303,
                         _location(instrument["id"]))


def list_instruments() -> Response:
    query = load_list_query(PAYMENT_INSTRUMENTS, request.args)
    page = instruments.list_instruments(service_context(), query)
    shown = show_instruments(page.documents, page.related, base_url(),
                             expanded="customer" in query.expand)
    return page_response([select_fields(body, query.fields) for body in shown], page.total,
                         query.limit, query.offset)


def get_instrument(instrument_id: str) -> Response:
    instrument = instruments.get_instrument(service_context(), instrument_id)
    return json_response(instrument_body(instrument, base_url()))


def patch_instrument(instrument_id: str) -> Response:
    instrument = instruments.update_instrument(service_context(), instrument_id,
                                               load_body(patch_schema))
    return json_response(instrument_body(instrument, base_url()))


def deactivate_instrument(instrument_id: str) -> Response:
    instrument = instruments.deactivate_instrument(service_context(), instrument_id)
    return json_response(instrument_body(instrument, base_url()), 201,
                         _location(instrument["id"]))


add_route("/payment-instruments", post_instrument, ["POST"])
add_route("/payment-instruments", list_instruments, ["GET"])
add_route("/payment-instruments/<instrument_id>", get_instrument, ["GET"])
add_route("/payment-instruments/<instrument_id>", patch_instrument, ["PATCH"])
add_route("/payment-instruments/<instrument_id>/deactivation", deactivate_instrument, ["POST"])
