"""The admin route table is the one description of the admin API: the blueprint serves exactly
its rows, the OpenAPI document has one operation per row, each row's namespace use is what the
route does, and SandboxClient calls every JSON operation through the methods its row names."""

from __future__ import annotations

import inspect
from contextlib import nullcontext
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import API_KEY, OTHER_KEY

from sandbox.admin.routes import ADMIN_PREFIX, ADMIN_ROUTES, AdminRoute
from sandbox.client import SandboxClient
from sandbox.testing import LiveServer

IGNORED_METHODS = {"HEAD", "OPTIONS"}
NAMESPACE_DETAIL = "Name the namespace with the REB-APIKEY header of its API key."
BASE_URL = "http://sandbox.test"

#: A value for each client method parameter of that name, for calls that are only recorded.
SAMPLE_ARGUMENTS = {"name": "before", "rule_id": "flt_1", "at": "2030-01-01T00:00:00Z",
                    "seconds": 5, "api_key": OTHER_KEY}
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

    def request(self, method: str, url: str, *, headers: dict[str, str], **kwargs: Any):
        self.sent.append((method, url, dict(headers)))
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
