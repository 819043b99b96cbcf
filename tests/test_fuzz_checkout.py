"""Property-based fuzzing of the checkout write routes: payment instruments, transactions (create,
refund, update, query, patch), webhook credentials and webhooks, tracking resends, previews, the
approval page and the admin delivery route.

Whatever the body, the path id or the bytes, the answer is below 500; a 4xx is a problem in
Rebilly's shape and leaves the namespace exactly as it was. Runs against the Flask test client
with a fixed seed, plus one small run against the served sandbox.
"""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from typing import Any

import pytest
import requests
from helpers import (
    API_KEY,
    OTHER_KEY,
    PROBLEM_KEYS,
    TRIGGER,
    WEBSITE,
    ApiClient,
    LiveSandbox,
    card,
    new_customer,
)
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from rebilly_sandbox import create_app
from rebilly_sandbox.admin.operations import deliver_webhooks
from rebilly_sandbox.schemas.transaction import MAX_AMOUNT

#: Kinds a refused request may still write: the journal of requests and its bookkeeping.
BOOKKEEPING = ("request", "journal", "rate", "settings")

json_scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
                | st.floats(allow_nan=False, allow_infinity=False)
                | st.text(max_size=30) | st.sampled_from(["", "USD", "usd", "0", "1e309"]))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                           max_leaves=8)
raw_bodies = st.sampled_from([
    b"", b"{", b"[]", b"null", b"1", b'"x"', b'{"amount": NaN}', b'{"amount": Infinity}',
    b'{"amount": 1e999}', b'{"a": 1, "a": 2}', b"\xff\xfe{}", b'{"x": "\\ud800"}',
    b'{"x": "\\u0000"}', b"[" * 5000 + b"]" * 5000, b'{"amount": ' + b"9" * 5000 + b"}",
]) | st.binary(max_size=40)


def _mutated(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``base`` with some members replaced by any JSON value, or removed."""
    keys = st.sampled_from(sorted(base))
    changes = st.dictionaries(keys, json_values | st.just(...), max_size=3)
    return changes.map(lambda change: {key: value for key, value in {**base, **change}.items()
                                       if value is not ...})


class Checkout:
    """One app with a namespace holding one of everything the write routes act on."""

    def __init__(self) -> None:
        self.app = create_app({"db": "memory", "rate_limit": 0, "request_faults": False,
                               "webhook_allow": ("127.0.0.1/32",), "webhook_attempts": 1})
        self.app.config["TESTING"] = True
        self.client = ApiClient(self.app.test_client())
        self.state = self.app.extensions["sandbox"]
        self.customer = new_customer(self.client)
        self.instrument = self._post("/payment-instruments", {
            "customerId": self.customer, **card(), "billingAddress": {"firstName": "A"}})["id"]
        self.sale = self._sale(card())
        self.waiting = self._sale(card(TRIGGER))
        self.authorization = self._post("/transactions", {**self._payment(card()),
                                                          "type": "authorize"})["id"]
        self.credential = self._post("/service-credentials/webhook",
                                     {"host": "example.com", "auth": {"type": "none"}})["id"]
        self.webhook = self._post("/webhooks", {**self.webhook_body(), "status": "inactive"})["id"]
        other = self.client.with_key(OTHER_KEY)
        self.foreign = {"customer": new_customer(other)}
        self.foreign["transaction"] = other.post("/transactions", {
            "type": "sale", "websiteId": WEBSITE, "customerId": self.foreign["customer"],
            "currency": "USD", "amount": 5, "paymentInstruction": card()}).get_json()["id"]

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(path, body)
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()

    def _payment(self, instruction: dict[str, Any]) -> dict[str, Any]:
        return {"type": "sale", "websiteId": WEBSITE, "customerId": self.customer,
                "currency": "USD", "amount": 10, "paymentInstruction": instruction}

    def _sale(self, instruction: dict[str, Any]) -> str:
        return self._post("/transactions", self._payment(instruction))["id"]

    @staticmethod
    def webhook_body() -> dict[str, Any]:
        return {"method": "POST", "url": "https://example.com/hook", "credentialHash": "abc",
                "eventsFilter": ["transaction-processed"], "status": "active",
                "headers": [{"name": "X-A", "value": "b"}], "body": None, "filter": None}

    def contents(self) -> dict[str, Any]:
        """Every document of the namespace, bookkeeping aside, once deliveries under way ended."""
        deliver_webhooks(self.state, None)
        namespace = self.state.namespace_for(API_KEY).id
        kinds = self.state.store.namespaces().get(namespace, {})
        with self.state.store.transaction() as tx:
            return {kind: tx.all(namespace, kind) for kind in kinds
                    if not any(word in kind for word in BOOKKEEPING)}


@pytest.fixture(scope="module")
def checkout():
    world = Checkout()
    yield world
    world.state.close()


def _ids(checkout: Checkout, own: str) -> st.SearchStrategy[str]:
    """The right id, another namespace's, one of the wrong kind, or made-up text."""
    return st.sampled_from([own, checkout.foreign["transaction"], checkout.foreign["customer"],
                            checkout.customer, checkout.instrument, "inst_nope", "..", "%00",
                            "\u00e9\u00e9", "x" * 300]) | st.text(
        st.characters(min_codepoint=48, max_codepoint=0x2FFF, exclude_categories=("Cs",)),
        min_size=1, max_size=20)


def _requests(checkout: Checkout):
    """(method, path, body) for every write route, the body a dict or raw bytes."""
    c = checkout
    transaction = {**c._payment(card()), "requestId": "r1", "description": "d",
                   "redirectUrl": "https://example.com/{id}", "billingAddress": {"firstName": "A"},
                   "customFields": {}, "riskMetadata": {"ipAddress": "127.0.0.1"},
                   "upsertCustomer": False, "invoiceIds": ["in_1"]}
    instrument = {"customerId": c.customer, **card(), "billingAddress": {"firstName": "A"},
                  "customFields": {}, "useAsBackup": False}
    routes = [
        ("POST", st.just("/transactions"), _mutated(transaction)),
        ("POST", st.just("/transactions"), _mutated({**transaction, "paymentInstruction": {
            "paymentInstrumentId": c.instrument}})),
        ("POST", st.just("/payment-instruments"), _mutated(instrument)),
        ("PATCH", _ids(c, c.instrument).map(lambda i: f"/payment-instruments/{i}"),
         _mutated({"billingAddress": {"firstName": "B"}, "customFields": {"a": 1},
                   "useAsBackup": True, "expMonth": 1, "expYear": 2031,
                   "stickyGatewayAccountId": None, "cvv": "123"})),
        ("POST", _ids(c, c.instrument).map(lambda i: f"/payment-instruments/{i}/deactivation"),
         st.just({})),
        ("POST", _ids(c, c.sale).map(lambda i: f"/transactions/{i}/refund"),
         _mutated({"amount": 1, "description": "r", "isProcessedOutside": False})),
        ("POST", _ids(c, c.authorization).map(lambda i: f"/transactions/{i}/refund"),
         _mutated({"amount": 10})),
        ("POST", _ids(c, c.waiting).map(lambda i: f"/transactions/{i}/update"),
         _mutated({"result": "approved", "amount": 10, "currency": "USD"})),
        ("POST", _ids(c, c.sale).map(lambda i: f"/transactions/{i}/query"), st.just({})),
        ("PATCH", _ids(c, c.sale).map(lambda i: f"/transactions/{i}"),
         _mutated({"customFields": {"a": 1}})),
        ("POST", st.just("/service-credentials/webhook"),
         _mutated({"host": "example.org", "type": "webhook",
                   "auth": {"type": "basic", "username": "u", "password": "p"}})),
        ("POST", st.just("/webhooks"), _mutated(c.webhook_body())),
        ("PUT", _ids(c, c.webhook).map(lambda i: f"/webhooks/{i}"), _mutated(c.webhook_body())),
        ("POST", st.just("/previews/webhooks"), _mutated(c.webhook_body())),
        ("POST", _ids(c, "x").map(lambda i: f"/tracking/webhooks/{i}/resend"), st.just({})),
    ]
    return st.one_of(*[
        st.tuples(st.just(method), paths, bodies | raw_bodies)
        for method, paths, bodies in routes])


def _assert_refused_cleanly(response, body: dict[str, Any]) -> None:
    assert response.headers["Content-Type"] == "application/json"
    assert PROBLEM_KEYS <= body.keys()
    assert body["status"] == response.status_code
    assert all(isinstance(body[key], str) and body[key] for key in ("type", "title", "detail"))
    assert "Traceback" not in json.dumps(body)
    if response.status_code == 422:
        assert body["invalidFields"] and all(
            isinstance(item["field"], str) and isinstance(item["message"], str)
            for item in body["invalidFields"])


@seed(20261201)
@settings(max_examples=500, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_checkout_write_is_done_or_refused_with_a_problem_that_stores_nothing(checkout, data):
    method, path, body = data.draw(_requests(checkout))
    before = checkout.contents()
    if isinstance(body, bytes):
        response = checkout.client.request(method, path, data=body,
                                           headers={"Content-Type": "application/json"})
    else:
        response = checkout.client.request(method, path, json=body)

    assert response.status_code < 500, (method, path, body, response.get_data(as_text=True))
    if response.status_code >= 400:
        _assert_refused_cleanly(response, response.get_json())
        assert checkout.contents() == before, (method, path, body, response.get_json())


# --- refunds ------------------------------------------------------------------------------------

cents = st.integers(1, MAX_AMOUNT * 100)


@st.composite
def payments_split_into_refunds(draw) -> tuple[float, list[float]]:
    """A payment in cents and refunds (decimal amounts as a client writes them) summing to it."""
    total = draw(cents)
    cuts = sorted(draw(st.lists(st.integers(1, total - 1), max_size=3, unique=True))
                  if total > 1 else [])
    bounds = [0, *cuts, total]
    return (float(Decimal(total) / 100),
            [float(Decimal(high - low) / 100) for low, high in itertools.pairwise(bounds)])


@seed(20261201)
@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(split=payments_split_into_refunds())
def test_refunds_summing_to_the_payment_refund_it_all_and_no_more(checkout, split):
    amount, refunds = split
    sale = checkout.client.post("/transactions", {**checkout._payment(card()), "amount": amount})
    assert sale.status_code == 201
    sale_id = sale.get_json()["id"]

    for refund in refunds:
        response = checkout.client.post(f"/transactions/{sale_id}/refund", {"amount": refund})
        assert response.status_code == 201, (amount, refunds, response.get_json())

    assert checkout.client.get(f"/transactions/{sale_id}").get_json()["status"] == "refunded"
    assert checkout.client.post(f"/transactions/{sale_id}/refund",
                                {"amount": 0.01}).status_code == 422


# --- the approval page ---------------------------------------------------------------------------

@seed(20261201)
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(token=st.text(min_size=1, max_size=60), result=json_scalars.map(str))
def test_the_approval_page_never_fails_on_a_made_up_token_or_result(checkout, token, result):
    before = checkout.contents()
    path = f"/_sandbox/approval/{requests.utils.quote(token, safe='')}"
    for response in (checkout.client.client.get(path),
                     checkout.client.client.post(path, data={"result": result})):
        assert response.status_code < 500
        assert b"Traceback" not in response.get_data()
    assert checkout.contents() == before


# --- the served sandbox --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    sandbox = LiveSandbox(str(tmp_path_factory.mktemp("fuzz") / "db.json"),
                          "--rate-limit", "0", "--no-request-faults").start()
    yield sandbox
    output = sandbox.stop()
    assert "Traceback" not in output


@pytest.mark.served
@seed(20261201)
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(body=_mutated({"type": "sale", "websiteId": WEBSITE, "customerId": "cus_fuzz",
                      "upsertCustomer": True, "currency": "USD", "amount": 10,
                      "paymentInstruction": card()}) | raw_bodies)
def test_the_served_sandbox_answers_every_transaction_body_below_500(server, body):
    headers = {"REB-APIKEY": API_KEY, "Content-Type": "application/json"}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = requests.post(f"{server.url}/transactions", data=data, headers=headers, timeout=30)

    assert response.status_code < 500, (body, response.text)
    assert response.headers["Content-Type"] == "application/json"
    if response.status_code >= 400:
        problem = response.json()
        assert PROBLEM_KEYS <= problem.keys() and problem["status"] == response.status_code
