"""POST /transactions and what follows it: outcomes, offsite approval, capture, repeats, lists."""

from __future__ import annotations

import pytest
from helpers import APPROVED, TRIGGER, WEBSITE, card, new_customer


def charge(client, customer_id: str, *, kind: str = "sale", amount: float = 10,
           instruction: dict | None = None, path: str = "/transactions", **extra):
    body = {"type": kind, "websiteId": WEBSITE, "customerId": customer_id, "currency": "USD",
            "amount": amount, "paymentInstruction": instruction or card(), **extra}
    return client.post(path, body)


def links(transaction: dict) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in transaction["_links"]}


def test_approved_sale_moves_counters_and_activates_the_instrument(client):
    customer_id = new_customer(client)
    response = charge(client, customer_id, amount=12.5)

    assert response.status_code == 201
    assert response.headers["X-RateLimit-Limit"]
    sale = response.get_json()
    assert response.headers["Location"] == f"http://localhost/transactions/{sale['id']}"
    assert sale["id"].startswith("txn_")
    assert (sale["type"], sale["status"], sale["result"]) == ("sale", "completed", "approved")
    assert sale["purchaseAmount"] == sale["requestAmount"] == 12.5
    assert sale["gatewayName"] == "TestProcessor"
    assert sale["gateway"]["response"]["code"] == "00"
    assert sale["bin"] == "411111"
    assert sale["billingAddress"]["firstName"] == "Ada"
    assert "requestId" not in sale and "description" not in sale
    customer = client.get(f"/customers/{customer_id}").get_json()
    assert customer["paymentCount"] == 1
    assert customer["lastPaymentTime"] == sale["processedTime"]
    assert customer["lifetimeRevenue"] == {"currency": "USD", "amount": 12.5, "amountUsd": 12.5}
    charge(client, customer_id, amount=7.5)
    customer = client.get(f"/customers/{customer_id}").get_json()
    assert customer["paymentCount"] == 2
    assert customer["averageValue"]["amount"] == 10
    instrument_id = sale["paymentInstrument"]["paymentInstrumentId"]
    stored = client.get(f"/transactions/{sale['id']}").get_json()
    assert stored["id"] == sale["id"]
    instrument = client.get(f"/payment-instruments/{instrument_id}")
    if instrument.status_code == 200:
        assert instrument.get_json()["status"] == "active"


@pytest.mark.parametrize("pan", ["4000000000000002", "5105105105105100", "371449635398431",
                                 "6011000990139424", "38520000023237", "3566002020360505",
                                 "6243030000000001", "6771790000000018"])
def test_each_declined_card_is_a_201_with_result_declined(client, pan):
    customer_id = new_customer(client)
    response = charge(client, customer_id, instruction=card(pan, cvv="1234" if pan.startswith("37")
                                                            else "123"))

    assert response.status_code == 201
    sale = response.get_json()
    assert (sale["status"], sale["result"]) == ("completed", "declined")
    assert sale["gateway"]["response"]["code"] == "05"
    assert "refundUrl" not in links(sale)
    assert client.get(f"/customers/{customer_id}").get_json()["paymentCount"] == 0


@pytest.mark.parametrize(("instruction", "code"), [(card(cvv="000"), "N7"),
                                                   (card(month=10, year=2051), "54")])
def test_cvv_and_expiry_declines_carry_their_gateway_codes(client, instruction, code):
    sale = charge(client, new_customer(client), instruction=instruction).get_json()

    assert sale["result"] == "declined"
    assert sale["gateway"]["response"]["code"] == code


@pytest.mark.parametrize("result", ["approved", "declined", "abandoned"])
def test_the_approval_trigger_waits_then_update_finishes_it(client, result):
    customer_id = new_customer(client)
    waiting = charge(client, customer_id, instruction=card(TRIGGER),
                     redirectUrl="https://shop.example/back/{id}?r={result}").get_json()

    assert (waiting["status"], waiting["result"]) == ("waiting-approval", "unknown")
    assert waiting["has3ds"] is True
    assert "processedTime" not in waiting
    assert links(waiting)["approvalUrl"].startswith("http://localhost/_sandbox/approval/")
    assert waiting["id"] not in links(waiting)["approvalUrl"], "a token, not a guessable id"
    assert links(waiting)["updateUrl"].endswith(f"/transactions/{waiting['id']}/update")
    assert client.get(f"/customers/{customer_id}").get_json()["paymentCount"] == 0

    response = client.post(f"/transactions/{waiting['id']}/update", {"result": result})

    assert response.status_code == 200
    done = response.get_json()
    assert (done["status"], done["result"]) == ("completed", result)
    assert done["revision"] == 2
    assert "approvalUrl" not in links(done)
    paid = client.get(f"/customers/{customer_id}").get_json()["paymentCount"]
    assert paid == (1 if result == "approved" else 0)
    again = client.post(f"/transactions/{waiting['id']}/update", {"result": "approved"})
    assert again.status_code == 409
    assert again.get_json()["transactionId"] == waiting["id"]


def test_update_needs_a_known_result_and_a_known_transaction(client):
    waiting = charge(client, new_customer(client), instruction=card(TRIGGER)).get_json()

    bad = client.post(f"/transactions/{waiting['id']}/update", {"result": "maybe"})
    assert bad.status_code == 422
    assert bad.get_json()["invalidFields"][0]["field"] == "result"
    assert client.post("/transactions/txn_nope/update",
                       {"result": "approved"}).status_code == 404


def test_authorize_then_sale_is_a_capture(client):
    customer_id = new_customer(client)
    authorization = charge(client, customer_id, kind="authorize", amount=50).get_json()
    instrument = {"paymentInstrumentId": authorization["paymentInstrument"]["paymentInstrumentId"]}
    assert (authorization["status"], authorization["result"]) == ("completed", "approved")
    assert client.get(f"/customers/{customer_id}").get_json()["paymentCount"] == 0

    capture = charge(client, customer_id, amount=40, instruction=instrument).get_json()

    assert capture["type"] == "capture"
    assert capture["parentTransactionId"] == authorization["id"]
    parent = client.get(f"/transactions/{authorization['id']}?expand=customer").get_json()
    assert parent["childTransactions"] == [capture["id"]]
    assert parent["status"] == "completed"
    assert parent["_embedded"]["customer"]["id"] == customer_id
    assert client.get(f"/customers/{customer_id}").get_json()["paymentCount"] == 1
    # the authorization is used up: the next sale is a plain sale
    assert charge(client, customer_id, amount=5, instruction=instrument
                  ).get_json()["type"] == "sale"


def test_a_larger_sale_does_not_capture(client):
    customer_id = new_customer(client)
    authorization = charge(client, customer_id, kind="authorize", amount=10).get_json()
    instrument = {"paymentInstrumentId": authorization["paymentInstrument"]["paymentInstrumentId"]}

    assert charge(client, customer_id, amount=11, instruction=instrument
                  ).get_json()["type"] == "sale"


def test_setup_approves(client):
    setup = charge(client, new_customer(client), kind="setup",
                   instruction=card(TRIGGER)).get_json()

    assert (setup["type"], setup["status"], setup["result"]) == ("setup", "completed", "approved")


def test_duplicate_request_id_is_a_409_naming_the_original_until_24_hours_pass(client):
    customer_id = new_customer(client)
    first = charge(client, customer_id, requestId="order-1").get_json()

    repeat = charge(client, customer_id, requestId="order-1")

    assert repeat.status_code == 409
    problem = repeat.get_json()
    assert problem["transactionId"] == first["id"]
    assert first["id"] in problem["detail"]
    found = client.get("/transactions?filter=requestId:order-1").get_json()
    assert [transaction["id"] for transaction in found] == [first["id"]]
    assert client.post("/__admin/clock", {"action": "advance",
                                          "seconds": 24 * 3600}).status_code == 200
    later = charge(client, customer_id, requestId="order-1")
    assert later.status_code == 201
    assert later.get_json()["id"] != first["id"]


def test_after_commit_fault_then_retry_finds_the_original(client):
    customer_id = new_customer(client)
    lost = client.post(
        "/transactions", {"type": "sale", "websiteId": WEBSITE, "customerId": customer_id,
                          "currency": "USD", "amount": 3, "paymentInstruction": card(),
                          "requestId": "lost-1"},
        headers={"X-Sandbox-Fault": "status=502;afterCommit=true"})
    assert lost.status_code == 502

    retry = charge(client, customer_id, amount=3, requestId="lost-1")

    assert retry.status_code == 409
    original = retry.get_json()["transactionId"]
    stored = client.get(f"/transactions/{original}").get_json()
    assert (stored["requestId"], stored["result"]) == ("lost-1", "approved")


def test_upsert_customer_creates_a_missing_customer_from_the_billing_address(client):
    response = charge(client, "cus_from_checkout", upsertCustomer=True,
                      billingAddress={"firstName": "Grace", "lastName": "Hopper",
                                      "country": "US"})

    assert response.status_code == 201
    customer = client.get("/customers/cus_from_checkout").get_json()
    assert customer["primaryAddress"]["firstName"] == "Grace"
    assert customer["websiteId"] == WEBSITE
    assert customer["paymentCount"] == 1


def test_unknown_customer_without_upsert_is_a_422_and_stores_nothing(client):
    response = charge(client, "cus_missing")

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["field"] == "customerId"
    assert client.get("/transactions").get_json() == []
    assert client.get("/customers/cus_missing").status_code == 404


def test_no_instruction_and_no_default_instrument_is_a_422(client):
    body = {"type": "sale", "websiteId": WEBSITE, "customerId": new_customer(client),
            "currency": "USD", "amount": 1}

    response = client.post("/transactions", body)

    assert response.status_code == 422
    assert response.get_json()["invalidFields"][0]["field"] == "paymentInstruction"


@pytest.mark.parametrize(("change", "field"), [
    ({"amount": 0}, "amount"),
    ({"amount": -3}, "amount"),
    ({"amount": "10"}, "amount"),
    ({"amount": 1e300}, "amount"),
    ({"type": "capture"}, "type"),
    ({"currency": "usd"}, "currency"),
    ({"currency": None}, "currency"),
    ({"description": "x" * 256}, "description"),
    ({"requestId": "has space"}, "requestId"),
    ({"requestId": "a" * 51}, "requestId"),
    ({"redirectUrl": "javascript:alert(1)"}, "redirectUrl"),
    ({"notificationUrl": "https://x.example/" + "a" * 2100}, "notificationUrl"),
    ({"isMerchantInitiated": None}, "isMerchantInitiated"),
    ({"customFields": None}, "customFields"),
    ({"paymentInstruction": None}, "paymentInstruction"),
    ({"paymentInstruction": {"pan": "4111111111111112", "expMonth": 1, "expYear": 2030}},
     "paymentInstruction.pan"),
    ({"paymentInstruction": {"token": "tok_a", "paymentInstrumentId": "inst_b"}},
     "paymentInstruction"),
    ({"paymentInstruction": {"token": "tok_unknown"}}, "paymentInstruction.token"),
    ({"riskMetadata": {"browserData": {"colorDepth": 99}}}, "riskMetadata.browserData.colorDepth"),
    ({"riskMetadata": {"ipAddress": "not-an-ip"}}, "riskMetadata.ipAddress"),
])
def test_hostile_input_is_a_422_naming_the_field_and_stores_nothing(client, change, field):
    customer_id = new_customer(client)
    body = {"type": "sale", "websiteId": WEBSITE, "customerId": customer_id, "currency": "USD",
            "amount": 10, "paymentInstruction": card(), **change}

    response = client.post("/transactions", body)

    assert response.status_code == 422, response.get_json()
    assert field in [entry["field"] for entry in response.get_json()["invalidFields"]]
    assert client.get("/transactions").get_json() == []


def test_a_body_that_is_not_an_object_is_a_400(client):
    assert client.post("/transactions", data="[1]",
                       headers={"Content-Type": "application/json"}).status_code == 400


def test_nullable_members_take_null_and_echo_it(client):
    sale = charge(client, new_customer(client), description=None, requestId=None,
                  redirectUrl=None, notificationUrl=None, riskMetadata=None,
                  billingAddress=None).get_json()

    assert sale["redirectUrl"] is None and sale["riskMetadata"] is None
    assert "description" not in sale and "requestId" not in sale


def test_risk_metadata_and_custom_fields_are_echoed_and_patched(client):
    risk = {"ipAddress": "93.92.91.90", "fingerprint": "abc",
            "browserData": {"colorDepth": 24, "isJavaEnabled": False, "language": "en-US",
                            "screenWidth": 1920, "screenHeight": 1080, "timeZoneOffset": 300}}
    sale = charge(client, new_customer(client), riskMetadata=risk,
                  customFields={"order": "A1"}, description="Order A1",
                  notificationUrl="https://shop.example/n/{id}/{result}").get_json()
    assert sale["riskMetadata"] == risk
    assert sale["notificationUrl"] == "https://shop.example/n/{id}/{result}"

    patched = client.request("PATCH", f"/transactions/{sale['id']}",
                             json={"customFields": {"order": "A2"}})

    assert patched.status_code == 200
    assert patched.get_json()["customFields"] == {"order": "A2"}
    assert patched.get_json()["revision"] == 2


def test_query_answers_the_transaction_query(client):
    sale = charge(client, new_customer(client), amount=4).get_json()

    response = client.post(f"/transactions/{sale['id']}/query")

    assert response.status_code == 201
    assert response.get_json() == {"transactionId": sale["id"], "result": "approved",
                                    "status": "completed", "amount": 4, "currency": "USD"}
    assert client.post("/transactions/txn_missing/query").status_code == 404


@pytest.mark.parametrize("prefix", ["", "/organizations/org_shop"])
@pytest.mark.parametrize("slash", ["", "/"])
def test_routes_answer_under_every_prefix_and_with_a_trailing_slash(client, prefix, slash):
    sale = charge(client, new_customer(client), path=f"{prefix}/transactions{slash}")

    assert sale.status_code == 201
    transaction = sale.get_json()
    assert client.get(f"{prefix}/transactions/{transaction['id']}{slash}").status_code == 200
    assert client.get(f"{prefix}/transactions{slash}").status_code == 200


def test_publishable_key_is_refused(client):
    response = client.with_key(None).post("/transactions", {},
                                          headers={"Authorization": "pk_sandbox_test_0123"})

    assert response.status_code == 401


def test_list_filters_sorts_and_pages_across_250_transactions(client):
    first, second = new_customer(client), new_customer(client)
    for number in range(250):
        customer_id = first if number % 2 else second
        pan = "4000000000000002" if number % 5 == 0 else APPROVED
        assert charge(client, customer_id, amount=number + 1,
                      instruction=card(pan)).status_code == 201

    page = client.get("/transactions?limit=100&offset=200&sort=amount")
    assert page.status_code == 200
    assert page.headers["Pagination-Total"] == "250"
    assert page.headers["Pagination-Offset"] == "200"
    assert [t["amount"] for t in page.get_json()] == list(range(201, 251))

    declined = client.get(f"/transactions?filter=customerId:{second};result:declined&limit=1000")
    assert declined.headers["Pagination-Total"] == "25"
    assert all(t["result"] == "declined" and t["customerId"] == second
               for t in declined.get_json())
    big = client.get("/transactions?filter=amount:240..250;type:sale&sort=-amount")
    assert [t["amount"] for t in big.get_json()] == list(range(250, 239, -1))
    assert client.get("/transactions?sort=nope").status_code == 422
    assert client.get("/transactions?expand=nope").status_code == 422
