"""A checkout flow tested against the sandbox, the way an application's own suite would.

Nothing to configure: the `sandbox` fixture comes with the package. Each test gets a namespace
of its own, so tests can run in any order, or in parallel with pytest-xdist.
"""

import uuid

import requests

CARD = {"pan": "4111111111111111", "cvv": "123", "expMonth": 12, "expYear": 2030}
BUYER = {"firstName": "Ada", "lastName": "Lovelace", "country": "GB",
         "emails": [{"label": "main", "value": "ada@example.com", "primary": True}]}


def make_card_token(sandbox):
    """What the browser does: tokenise the card with the publishable key."""
    response = requests.post(f"{sandbox.url}/tokens", timeout=5,
                             headers={"Authorization": sandbox.publishable_key},
                             json={"method": "payment-card", "paymentInstrument": CARD,
                                   "billingAddress": {"firstName": "Ada", "lastName": "Lovelace",
                                                      "country": "GB"}})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def create_customer(sandbox, body, attempts=3):
    """What the server does: create the customer, retrying a 5xx answer."""
    for _ in range(attempts):
        response = requests.post(f"{sandbox.url}/customers", json=body, headers=sandbox.headers,
                                 timeout=5)
        if response.status_code < 500:
            return response
    return response


def api(sandbox, method, path, body=None):
    """What the shop's server does: call the API with the secret key."""
    return requests.request(method, f"{sandbox.url}{path}", json=body, headers=sandbox.headers,
                            timeout=5)


def test_checkout_charges_the_saved_card_and_refunds_part_of_it(sandbox):
    # The publishable key shares the namespace of the secret key with the same suffix.
    assert sandbox.publishable_key == "pk_" + sandbox.api_key.removeprefix("sk_")
    token = make_card_token(sandbox)

    created = create_customer(sandbox, {"primaryAddress": BUYER})
    assert created.status_code == 201
    customer = created.json()
    assert customer["email"] == "ada@example.com"

    saved = api(sandbox, "POST", "/payment-instruments",
                {"customerId": customer["id"], "token": token})
    assert saved.status_code == 201, saved.text
    instrument = saved.json()
    assert (instrument["status"], instrument["last4"]) == ("inactive", "1111")

    sale = api(sandbox, "POST", "/transactions", {
        "type": "sale", "customerId": customer["id"], "websiteId": "shop-eu",
        "currency": "EUR", "amount": 49.9, "requestId": f"order-{uuid.uuid4().hex[:12]}",
        "paymentInstruction": {"paymentInstrumentId": instrument["id"]}})
    assert sale.status_code == 201, sale.text
    charged = sale.json()
    assert (charged["type"], charged["result"], charged["status"]) == ("sale", "approved",
                                                                      "completed")
    assert api(sandbox, "GET", f"/payment-instruments/{instrument['id']}").json()["status"] \
        == "active"
    assert api(sandbox, "GET", f"/customers/{customer['id']}").json()["paymentCount"] == 1

    refunded = api(sandbox, "POST", f"/transactions/{charged['id']}/refund",
                   {"amount": 9.9, "description": "one item returned"})

    assert refunded.status_code == 201, refunded.text
    assert refunded.json()["type"] == "refund"
    assert refunded.headers["Location"].endswith(f"/transactions/{refunded.json()['id']}")
    assert api(sandbox, "GET", f"/transactions/{charged['id']}").json()["status"] \
        == "partially-refunded"


def test_a_declined_card_is_an_answer_not_an_error(sandbox):
    customer = create_customer(sandbox, {"primaryAddress": BUYER}).json()

    sale = api(sandbox, "POST", "/transactions", {
        "type": "sale", "customerId": customer["id"], "websiteId": "shop-eu",
        "currency": "EUR", "amount": 12,
        "paymentInstruction": {"method": "payment-card", "pan": "4000000000000002",
                               "expMonth": 12, "expYear": 2030, "cvv": "123"}})

    assert sale.status_code == 201
    assert sale.json()["result"] == "declined"
    assert sale.json()["gateway"]["response"]["code"] == "05"


def test_a_503_is_retried(sandbox):
    sandbox.add_fault(match={"method": "POST", "path": "/customers"}, status=503, times=1)

    response = create_customer(sandbox, {"primaryAddress": BUYER})

    assert response.status_code == 201
    assert [entry["status"] for entry in sandbox.requests(method="POST")] == [201, 503]


def test_a_create_that_failed_after_storing_is_recovered_with_put(sandbox):
    # The customer is stored, then the answer is lost: a blind POST retry would duplicate it.
    sandbox.add_fault(match={"method": "PUT", "path": "/customers/*"}, status=502,
                      after_commit=True, times=1)
    customer_id = f"checkout-{uuid.uuid4().hex[:12]}"  # chosen by the client, so retries are safe
    url = f"{sandbox.url}/customers/{customer_id}"

    first = requests.put(url, json={"primaryAddress": BUYER}, headers=sandbox.headers, timeout=5)
    retry = requests.put(url, json={"primaryAddress": BUYER}, headers=sandbox.headers, timeout=5)

    assert first.status_code == 502
    assert retry.status_code == 200, "the retry finds the customer the failed answer stored"
    listed = requests.get(f"{sandbox.url}/customers", headers=sandbox.headers, timeout=5).json()
    assert [c["id"] for c in listed] == [customer_id]
    assert sandbox.requests(method="PUT")[-1]["stored"] is True
