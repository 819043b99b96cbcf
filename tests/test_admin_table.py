"""The admin route table is the one description of the admin API: the blueprint serves exactly
its rows, the OpenAPI document has one operation per row, each row's namespace use is what the
route does, SandboxClient calls every JSON operation through the methods its row names, and the
helper for a row with a body takes every field that body declares."""

from __future__ import annotations

import inspect
from contextlib import nullcontext
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import API_KEY, OTHER_KEY

from rebilly_sandbox.admin.routes import ADMIN_PREFIX, ADMIN_ROUTES, AdminRoute
from rebilly_sandbox.client import SandboxClient
from rebilly_sandbox.schemas.fault import FaultRuleSchema
from rebilly_sandbox.testing import LiveServer, SandboxNamespace, SandboxServer

IGNORED_METHODS = {"HEAD", "OPTIONS"}
NAMESPACE_DETAIL = "Name the namespace with the REB-APIKEY header of its API key."
BASE_URL = "http://sandbox.test"

#: A value for each client method parameter of that name, for calls that are only recorded.
SAMPLE_ARGUMENTS = {"name": "before", "rule_id": "flt_1", "at": "2030-01-01T00:00:00Z",
                    "seconds": 5, "api_key": OTHER_KEY, "action": "real"}
#: The client's own plumbing: methods that send no request.
LOCAL_METHODS = {"for_key", "close"}
#: Calls that reach a second operation, or a second form of one, of the same method.
EXTRA_CALLS = (("load_fixtures", {"inline": {"customers": []}}),
               ("reset", {"all_namespaces": True}))


def _route(rule: str, method: str) -> AdminRoute:
    return next(route for route in ADMIN_ROUTES
                if ADMIN_PREFIX + route.rule == rule and route.method == method)


def _sample_path(route: AdminRoute) -> str:
    return (ADMIN_PREFIX + route.rule).replace("<name>", "before").replace("<rule_id>", "flt_1")


def test_the_blueprint_serves_exactly_the_rows_of_the_table(app):
    served = {(rule.rule, method, app.view_functions[rule.endpoint])
              for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")
              for method in rule.methods - IGNORED_METHODS}

    assert served == {(ADMIN_PREFIX + route.rule, route.method, route.view)
                      for route in ADMIN_ROUTES}
    assert len(served) == len(ADMIN_ROUTES)


def test_the_document_has_one_operation_per_row_with_its_summary(app):
    document = app.test_client().get("/__admin/openapi.json").get_json()
    documented = {(path, method.upper()): (operation["operationId"], operation["summary"])
                  for path, item in document["paths"].items() if path.startswith(ADMIN_PREFIX)
                  for method, operation in item.items() if method != "parameters"}

    assert documented == {(route.path, route.method): (route.operation_id, route.summary)
                          for route in ADMIN_ROUTES}
    assert len({route.operation_id for route in ADMIN_ROUTES}) == len(ADMIN_ROUTES)


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=lambda route: route.operation_id)
def test_a_row_says_whether_its_route_needs_the_namespace_header(app, route):
    response = app.test_client().open(_sample_path(route), method=route.method)
    named_the_namespace = (response.status_code == 400
                           and response.get_json()["detail"] == NAMESPACE_DETAIL)

    assert named_the_namespace == (route.namespace == "required"), response.get_data()


class Sent(Exception):
    """Raised by the recording session in place of sending: the call ends there."""


class RecordingSession:
    """Stands in for ``requests.Session``: records each request and sends nothing."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, str]]] = []
        self.bodies: list[Any] = []

    def request(self, method: str, url: str, *, headers: dict[str, str], **kwargs: Any):
        self.sent.append((method, url, dict(headers)))
        self.bodies.append(kwargs.get("json"))
        raise Sent

    def close(self) -> None:
        pass


def _client_calls() -> list[tuple[str, dict[str, Any]]]:
    """Every public SandboxClient method once, with sample arguments, then the extra calls."""
    calls = []
    for name, method in inspect.getmembers(SandboxClient, inspect.isfunction):
        if not name.startswith("_"):
            parameters = inspect.signature(method).parameters
            calls.append((name, {key: value for key, value in SAMPLE_ARGUMENTS.items()
                                 if key in parameters}))
    return [*calls, *EXTRA_CALLS]


def test_the_client_calls_each_json_operation_through_the_methods_its_row_names(app):
    session = RecordingSession()
    client = SandboxClient(BASE_URL, api_key=API_KEY, session=session)
    adapter = app.url_map.bind("sandbox.test")
    reached: set[tuple[str, str]] = set()

    for name, arguments in _client_calls():
        before = len(session.sent)
        with nullcontext() if name in LOCAL_METHODS else pytest.raises(Sent):
            getattr(client, name)(**arguments)
        for method, url, headers in session.sent[before:]:
            rule, _ = adapter.match(urlsplit(url).path, method=method, return_rule=True)
            route = _route(rule.rule, method)
            reached.add((name, route.operation_id))
            if route.namespace == "required":
                assert headers.get("REB-APIKEY") == API_KEY, (name, route.operation_id)
            elif route.namespace is None:
                assert "REB-APIKEY" not in headers, (name, route.operation_id)

    assert reached == {(name, route.operation_id) for route in ADMIN_ROUTES
                       for name in route.client}


def test_only_an_operation_that_answers_other_than_json_has_no_client_method():
    without = [route.operation_id for route in ADMIN_ROUTES if not route.client]

    assert without == ["dashboard"]
    assert all(answer.media_type != "application/json"
               for answer in _route(ADMIN_PREFIX + "/", "GET").answers.values())


@pytest.mark.served
def test_the_client_fetches_the_document_with_the_server_it_called():
    with LiveServer() as server, SandboxClient(server.url) as client:
        document = client.openapi()

    assert document["servers"] == [{"url": server.url}]
    assert {"/__admin/openapi.json", "/customers"} <= set(document["paths"])


BODY_ROUTES = [route for route in ADMIN_ROUTES if route.body is not None]


def _declared(schema: type) -> list[str]:
    """The JSON names of the fields a body schema takes."""
    return [field.data_key or name for name, field in schema().fields.items()
            if not field.dump_only]


def _recording_helpers() -> tuple[RecordingSession, list[Any]]:
    """A client and a pytest plugin namespace whose requests are only recorded."""
    session = RecordingSession()
    namespace = SandboxNamespace(SandboxServer(BASE_URL), API_KEY)
    namespace.client.session = session
    return session, [SandboxClient(BASE_URL, api_key=API_KEY, session=session), namespace]


def _send(helper: Any, name: str, body: dict[str, Any]) -> None:
    """Hand a whole body to a payload helper: inline fixtures are one mapping, the rest
    keywords."""
    with pytest.raises(Sent):
        if name == "load_fixtures":
            helper(inline=body)
        else:
            helper(**body)


def test_every_route_with_a_body_has_a_helper():
    assert {route.operation_id for route in BODY_ROUTES} == {
        "loadInlineFixtures", "moveClock", "addFault"}
    assert all(route.client for route in BODY_ROUTES)


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda route: route.operation_id)
def test_the_helper_of_a_route_with_a_body_sends_every_field_the_body_declares(route):
    session, helpers = _recording_helpers()
    body = {name: f"value of {name}" for name in _declared(route.body)}
    name = route.client[0]

    for helper in helpers:
        if hasattr(helper, name):
            _send(getattr(helper, name), name, body)

    assert session.bodies and all(sent == body for sent in session.bodies)


@pytest.mark.parametrize("field", [name for name, field in FaultRuleSchema().fields.items()
                                   if name != (field.data_key or name) or not name.islower()])
def test_add_fault_takes_a_camel_case_field_in_snake_case_too(field):
    session, helpers = _recording_helpers()
    snake = "".join(f"_{letter.lower()}" if letter.isupper() else letter for letter in field)
    json_name = FaultRuleSchema().fields[field].data_key or field

    for helper in helpers:
        _send(helper.add_fault, "add_fault", {snake: 1})

    assert session.bodies == [{json_name: 1}, {json_name: 1}]


def test_a_delivery_rule_is_sent_as_docs_webhooks_spells_it():
    session, [client, namespace] = _recording_helpers()

    _send(client.add_fault, "add_fault", {"on": "delivery", "delivery": "delay",
                                          "delaySeconds": 30, "times": 1})
    _send(namespace.add_fault, "add_fault", {"on": "delivery", "delivery": "delay",
                                             "delay_seconds": 30, "times": 1})

    assert session.bodies == [{"on": "delivery", "delivery": "delay", "delaySeconds": 30,
                               "times": 1}] * 2


@pytest.mark.parametrize("helper", [0, 1], ids=["client", "namespace"])
def test_an_unknown_field_is_a_type_error_naming_it_and_what_is_taken(helper):
    session, helpers = _recording_helpers()

    with pytest.raises(TypeError) as caught:
        helpers[helper].add_fault(status=503, delay_secs=30)

    message = str(caught.value)
    assert "'delay_secs'" in message and "'status'" not in message.split(";")[0]
    assert "delaySeconds (delay_seconds)" in message and "global (global_rule)" in message
    assert session.sent == []


def test_a_field_given_in_both_spellings_is_a_type_error():
    session, [client, _] = _recording_helpers()

    with pytest.raises(TypeError, match="'hangSeconds' twice"):
        client.add_fault(network="hang", hangSeconds=1, hang_seconds=2)
    with pytest.raises(TypeError, match="unknown keyword.*'minutes'.*it takes action, time, "
                                        "seconds"):
        client.move_clock("advance", minutes=2)
    assert session.sent == []


def test_the_clock_helpers_send_their_action_with_its_fields():
    session, [client, _] = _recording_helpers()

    for call in (lambda: client.freeze_clock(), lambda: client.set_clock("2030-01-01T00:00:00Z"),
                 lambda: client.advance_clock(5), lambda: client.move_clock("real")):
        with pytest.raises(Sent):
            call()

    assert session.bodies == [{"action": "freeze"},
                              {"action": "set", "time": "2030-01-01T00:00:00Z"},
                              {"action": "advance", "seconds": 5}, {"action": "real"}]
