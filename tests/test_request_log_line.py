"""The per-request log line: the same words whether or not what the client sent needed escaping,
a percent sign in a path is logged as sent, and the record names the logger and its level."""

from __future__ import annotations

import logging

import pytest

from rebilly_sandbox.requestlog import MAX_LOGGED_CHARS, printable

HEADERS = {"REB-APIKEY": "sk_sandbox_log_line_key_0001"}


@pytest.mark.parametrize("text, shown", [
    ("/customers", "/customers"),
    ("/a\\b", "/a\\\\b"),
    ("/a\nb\x1b\u2028", "/a\\nb\\x1b\\u2028"),
    ("/é/ü", "/é/ü"),
    ("x" * (MAX_LOGGED_CHARS + 1), "x" * MAX_LOGGED_CHARS + "…"),
])
def test_printable_escapes_only_what_needs_it(text, shown):
    assert printable(text) == shown


def test_a_request_is_logged_as_one_finished_line(app, caplog):
    caplog.set_level(logging.INFO, logger="sandbox.requests")
    response = app.test_client().get("/customers/cus_100%25_missing", headers=HEADERS)

    [record] = [r for r in caplog.records if r.name == "sandbox.requests"]
    assert response.status_code == 404
    assert record.levelno == logging.INFO
    method, path, status, elapsed, namespace = record.getMessage().split(" ")
    assert (method, path, status) == ("GET", "/customers/cus_100%_missing", "404")
    assert elapsed.endswith("ms") and float(elapsed[:-2]) >= 0
    assert namespace == "ns=sk_sandbox_…0001"
