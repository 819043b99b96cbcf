"""A bug in a view: a problem 500 from a production app, the exception itself under test.

A test that hits a bug should fail on the bug's own traceback, not on a 500 body that hides it;
a deployed sandbox must still answer problem JSON and log the traceback for its operator.
"""

from __future__ import annotations

import pytest
from conftest import API_KEY

import rebilly_sandbox.api.customers
from rebilly_sandbox import create_app


class Bug(RuntimeError):
    pass


def explode(*args, **kwargs):
    raise Bug("internal secret: kaboom")


@pytest.fixture
def production_app():
    """An app as ``rebilly-sandbox serve`` runs it: not in testing mode."""
    app = create_app({"db": "memory"})
    yield app
    app.extensions["sandbox"].close()


def test_a_testing_app_lets_a_bug_reach_the_test(app, monkeypatch):
    monkeypatch.setattr(rebilly_sandbox.api.customers, "create_customer", explode)

    with pytest.raises(Bug, match="kaboom"):
        app.test_client().post("/customers", json={"email": "a@example.com"},
                               headers={"REB-APIKEY": API_KEY})


def test_propagate_exceptions_alone_lets_a_bug_through(production_app, monkeypatch):
    monkeypatch.setattr(rebilly_sandbox.api.customers, "create_customer", explode)
    production_app.config["PROPAGATE_EXCEPTIONS"] = True

    with pytest.raises(Bug):
        production_app.test_client().post("/customers", json={"email": "a@example.com"},
                                          headers={"REB-APIKEY": API_KEY})


def test_a_production_app_answers_a_bug_with_a_logged_problem_500(production_app, monkeypatch,
                                                                   caplog):
    monkeypatch.setattr(rebilly_sandbox.api.customers, "create_customer", explode)

    response = production_app.test_client().post(
        "/customers", json={"email": "a@example.com"}, headers={"REB-APIKEY": API_KEY})

    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "type": "about:blank", "title": "Internal Server Error", "status": 500,
        "detail": "The sandbox failed to answer; see its log.", "instance": "/customers"}
    assert "kaboom" not in response.get_data(as_text=True)
    assert "kaboom" in caplog.text


def test_a_testing_app_still_answers_problems_on_purpose(app):
    response = app.test_client().get("/customers/cus_missing", headers={"REB-APIKEY": API_KEY})

    assert response.status_code == 404
    assert response.get_json()["title"] == "Not Found"
