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


def test_checkout_saves_the_card_and_updates_the_customer(sandbox):
    # The publishable key shares the namespace of the secret key with the same suffix.
    assert sandbox.publishable_key == "pk_" + sandbox.api_key.removeprefix("sk_")
    token = make_card_token(sandbox)

    created = create_customer(sandbox, {"primaryAddress": BUYER, "paymentToken": token})

    assert created.status_code == 201
    customer = created.json()
    assert customer["email"] == "ada@example.com"
    assert customer["defaultPaymentInstrument"]["method"] == "payment-card"

    updated = requests.put(f"{sandbox.url}/customers/{customer['id']}", headers=sandbox.headers,
                           json={"primaryAddress": {**BUYER, "city": "London"}}, timeout=5)

    assert updated.status_code == 200
    assert updated.json()["primaryAddress"]["city"] == "London"
    assert updated.json()["revision"] == 2


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
