"""Unusable bodies, odd routes and methods, oversize bodies, crashes: problem JSON, no writes."""

from __future__ import annotations

import json

import pytest
from helpers import assert_problem, stored

import rebilly_sandbox.api.customers


def nested_objects(levels: int, leaf: str = "1") -> str:
    return '{"a": ' * levels + leaf + "}" * levels


def nested_arrays(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("body, detail_part", [
    (b'{"email": }', "not valid JSON"),
    (b"{email: 'a@example.com'}", "not valid JSON"),
    (b'{"email": "a@example.com",}', "not valid JSON"),
    (b'{"email": "a@example.com"} trailing', "not valid JSON"),
    (b'{"email": "a@example.com"', "not valid JSON"),
    (b'{"primaryAddress": {"city": "London"', "not valid JSON"),
    (b'{"email": "a@exa', "not valid JSON"),
    (b"{", "not valid JSON"),
    (b"", "empty"),
    (b"   \r\n\t ", "empty"),
    (b"[]", "array"),
    (b'[{"email": "a@example.com"}]', "array"),
    (b'"customer"', "string"),
    (b"42", "number"),
    (b"-1.5", "number"),
    (b"null", "null"),
    (b"true", "boolean"),
    (b"false", "boolean"),
])
def test_body_that_is_not_a_json_object(client, app, body, detail_part):
    response = client.post("/customers", data=body)

    problem = assert_problem(response, 400, "Bad Request")
    assert detail_part in problem["detail"]
    assert stored(app) == 0


@pytest.mark.parametrize("body", [
    b'{"firstName": "\xff"}',
    b'{"firstName": "\xc0\xaf"}',
    b'{"firstName": "\xe2\x82"}',
    b'{"firstName": "\xed\xa0\x80"}',
    b'\xff\xfe{\x00}\x00',
    "{\"firstName\": \"Zo\u00eb\"}".encode("latin-1"),
])
def test_body_that_is_not_utf8(client, app, body):
    response = client.post("/customers", data=body)

    problem = assert_problem(response, 400, "Bad Request")
    assert "UTF-8" in problem["detail"]
    assert stored(app) == 0


@pytest.mark.parametrize("body, detail_part", [
    (b'{"firstName": "\\ud800"}', "surrogate"),
    (b'{"firstName": "Ada\\udfff"}', "surrogate"),
    (b'{"primaryAddress": {"city": "\\ud83d"}}', "surrogate"),
    (b'{"tags": [{"name": "\\ude00", "type": "customer"}]}', "surrogate"),
    (b'{"customFields": {"\\ud800": 1}}', "surrogate"),
    (b'{"firstName": "a\\u0000b"}', "NUL"),
    (b'{"customFields": {"note": ["ok", "\\u0000"]}}', "NUL"),
    (b'{"customFields": {"a\\u0000": 1}}', "NUL"),
    (b'{"firstName": "a\x00b"}', "control character"),
])
def test_strings_no_text_can_hold(client, app, body, detail_part):
    response = client.post("/customers", data=body)

    problem = assert_problem(response, 400, "Bad Request")
    assert detail_part in problem["detail"]
    assert stored(app) == 0


def test_syntax_error_detail_gives_line_and_column(client):
    response = client.post("/customers", data=b'{\n  "firstName": "a\x00b"\n}')

    detail = assert_problem(response, 400, "Bad Request")["detail"]
    assert detail == ("The request body is not valid JSON: Invalid control character "
                      "at line 2 column 18.")


def test_bad_string_is_located_in_the_detail(client):
    response = client.post("/customers", data=b'{"primaryAddress": {"city": "\\ud800"}}')

    assert "primaryAddress.city" in assert_problem(response, 400)["detail"]


@pytest.mark.parametrize("body, key", [
    (b'{"email": "a@example.com", "email": "b@example.com"}', "email"),
    (b'{"primaryAddress": {"city": "A", "city": "B"}}', "city"),
    (b'{"tags": [{"name": "a", "type": "customer", "name": "b"}]}', "name"),
    (b'{"customFields": {"x": 1, "x": 1}}', "x"),
])
def test_duplicate_keys(client, app, body, key):
    response = client.post("/customers", data=body)

    problem = assert_problem(response, 400, "Bad Request")
    assert "repeats the key" in problem["detail"]
    assert repr(key) in problem["detail"]
    assert stored(app) == 0


@pytest.mark.parametrize("body, detail_part", [
    (b'{"customFields": {"x": NaN}}', "NaN"),
    (b'{"customFields": {"x": Infinity}}', "Infinity"),
    (b'{"customFields": {"x": -Infinity}}', "-Infinity"),
    (b'{"customFields": {"x": 1e999}}', "too large"),
    (b'{"customFields": {"x": -1e999}}', "too large"),
    (b'{"customFields": {"x": 1.5E+400}}', "too large"),
    (b'{"customFields": {"x": ' + b"9" * 5000 + b"}}", "too many digits"),
])
def test_numbers_json_cannot_represent(client, app, body, detail_part):
    response = client.post("/customers", data=body)

    problem = assert_problem(response, 400, "Bad Request")
    assert detail_part in problem["detail"]
    assert stored(app) == 0


@pytest.mark.parametrize("body", [
    '{"customFields": ' + nested_objects(100) + "}",
    '{"customFields": {"a": ' + nested_arrays(100) + "}}",
    '{"customFields": ' + nested_objects(100_000) + "}",
    '{"customFields": {"a": ' + nested_arrays(100_000) + "}}",
    nested_arrays(100_000),
    "[" * 100_000,
    '{"a": ' * 100_000,
])
def test_deep_nesting_is_a_400_not_a_crash(client, app, body):
    response = client.post("/customers", data=body.encode())

    problem = assert_problem(response, 400, "Bad Request")
    assert "nested deeper" in problem["detail"]
    assert stored(app) == 0


def test_nesting_up_to_the_limit_is_accepted(client, app):
    depth = app.extensions["sandbox"].config["max_json_depth"]
    # The body object is one level and customFields another.
    deepest = '{"customFields": ' + nested_objects(depth - 2, "{}") + "}"
    too_deep = '{"customFields": ' + nested_objects(depth - 1, "{}") + "}"

    assert client.post("/customers", data=deepest.encode()).status_code == 201
    assert_problem(client.post("/customers", data=too_deep.encode()), 400, "Bad Request")
    assert stored(app) == 1


def test_brackets_inside_strings_do_not_count_as_nesting(client, app):
    note = '\\"' + "[{" * 200
    body = '{"customFields": {"note": "' + note + '", "list": [1, 2, 3]}}'
    response = client.post("/customers", data=body.encode())

    assert response.status_code == 201
    assert response.get_json()["customFields"]["note"] == json.loads('"' + note + '"')
    assert stored(app) == 1


def test_utf8_bom_before_a_valid_body_is_accepted(client, app):
    response = client.post("/customers", data=b'\xef\xbb\xbf{"email": "bom@example.com"}')

    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json()["email"] == "bom@example.com"
    assert stored(app) == 1


def test_a_bom_alone_is_not_a_body(client, app):
    assert_problem(client.post("/customers", data=b"\xef\xbb\xbf"), 400, "Bad Request")
    assert stored(app) == 0


@pytest.mark.parametrize("content_type", [
    None,
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/xml",
    "application/octet-stream",
])
def test_json_is_parsed_whatever_the_content_type(client, app, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/customers", data=b'{"email": "any@example.com"}', headers=headers)

    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json()["email"] == "any@example.com"
    assert stored(app) == 1


class TestBodySizeLimit:
    """Bodies larger than ``max_body_bytes`` are a 413 problem, read no further."""

    @pytest.fixture
    def app_config(self):
        return {"max_body_bytes": 1000}

    def test_body_over_the_limit_is_a_413(self, client, app):
        body = json.dumps({"customFields": {"note": "x" * 1000}}).encode()
        response = client.post("/customers", data=body)

        problem = assert_problem(response, 413)
        assert "larger" in problem["detail"]
        assert stored(app) == 0

    def test_body_under_the_limit_is_accepted(self, client, app):
        body = json.dumps({"customFields": {"note": "x" * 900}}).encode()

        assert client.post("/customers", data=body).status_code == 201
        assert stored(app) == 1


@pytest.mark.parametrize("method, path", [
    ("GET", "/nope"),
    ("POST", "/customer"),
    ("POST", "/v1/customers"),
    ("GET", "/customers/cus_1/notes"),
    ("POST", "/organizations/org_1/nope"),
])
def test_unknown_route_is_a_404_problem(client, app, method, path):
    response = client.request(method, path, data=b'{"email": "a@example.com"}')

    problem = assert_problem(response, 404, "Not Found")
    assert problem["detail"]
    assert stored(app) == 0


@pytest.mark.parametrize("method, path, allowed", [
    ("DELETE", "/customers", "POST"),
    ("PATCH", "/customers/cus_1", "GET"),
    ("DELETE", "/organizations/org_1/customers", "POST"),
])
def test_wrong_method_is_a_405_problem_with_allow(client, app, method, path, allowed):
    response = client.request(method, path)

    assert_problem(response, 405, "Method Not Allowed")
    allow = [item.strip() for item in response.headers["Allow"].split(",")]
    assert allowed in allow
    assert method not in allow
    assert stored(app) == 0


def test_unexpected_exception_is_a_500_problem_without_a_traceback(client, app, monkeypatch,
                                                                    caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("internal secret: kaboom")

    monkeypatch.setattr(rebilly_sandbox.api.customers, "create_customer", explode)
    app.config["TESTING"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False

    response = client.post("/customers", {"email": "a@example.com"})

    problem = assert_problem(response, 500, "Internal Server Error")
    text = response.get_data(as_text=True)
    assert "Traceback" not in text
    assert "kaboom" not in text
    assert "RuntimeError" not in text
    assert "kaboom" in caplog.text, "the failure is logged for the operator"
    assert problem["detail"]
    assert stored(app) == 0
