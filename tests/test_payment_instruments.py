"""Payment instruments over the Flask test client: create (token and plain card, 201 and 303),
read, list, patch, deactivate, status on the sandbox clock, and hostile input."""

from __future__ import annotations

import json

import pytest
from conftest import API_KEY
from helpers import assert_problem, stored

PUBLISHABLE = "pk_sandbox" + API_KEY[len("sk_sandbox"):]
ADDRESS = {"firstName": "Ada", "lastName": "Lovelace", "country": "GB"}
PREFIXES = ["", "/organizations/org_checkout"]


class Admin:
    def __init__(self, client):
        self.client = client

    def post(self, path, body=None):
        return self.client.post(f"/__admin{path}", json=body, headers={"REB-APIKEY": API_KEY})

    def get(self, path):
        return self.client.get(f"/__admin{path}", headers={"REB-APIKEY": API_KEY})


@pytest.fixture
def admin(app):
    return Admin(app.test_client())


@pytest.fixture
def frozen(admin):
    admin.post("/clock", {"action": "freeze", "time": "2030-01-15T12:00:00+00:00"})
    return admin


def token(client, pan="4111111111111111", exp=(12, 2031), cvv="123", **extra):
    card = {"pan": pan, "expMonth": exp[0], "expYear": exp[1]}
    if cvv is not None:
        card["cvv"] = cvv
    response = client.post("/tokens", {"method": "payment-card", "paymentInstrument": card,
                                       **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def customer(client, **extra):
    response = client.post("/customers", {"primaryAddress": ADDRESS, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def plain_card(customer_id, pan="5555555555554444", **extra):
    return {"method": "payment-card", "customerId": customer_id, "pan": pan, "expMonth": 11,
            "expYear": 2032, "cvv": "321", "billingAddress": ADDRESS, **extra}


def instrument(client, customer_id, pan="4111111111111111", **extra):
    response = client.post("/payment-instruments",
                           {"customerId": customer_id, "token": token(client, pan), **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_token_becomes_an_inactive_payment_card(client, frozen, prefix):
    customer_id = customer(client)
    response = client.post(f"{prefix}/payment-instruments/", {
        "customerId": customer_id, "token": token(client, billingAddress={"firstName": "Tok"}),
        "customFields": {"shop": "one"}, "useAsBackup": True})

    assert response.status_code == 201
    body = response.get_json()
    assert body["id"].startswith("inst_")
    assert response.headers["Location"] == f"http://localhost{prefix}/payment-instruments/{body['id']}"
    assert "X-RateLimit-Limit" in response.headers and "X-RateLimit-Remaining" in response.headers
    assert {key: body[key] for key in ("customerId", "method", "status", "bin", "last4", "brand",
                                       "expMonth", "expYear", "useAsBackup", "customFields",
                                       "revision", "lastPaymentTime")} == {
        "customerId": customer_id, "method": "payment-card", "status": "inactive",
        "bin": "411111", "last4": "1111", "brand": "Visa", "expMonth": 12, "expYear": 2031,
        "useAsBackup": True, "customFields": {"shop": "one"}, "revision": 1,
        "lastPaymentTime": None}
    assert body["fingerprint"].isalnum()
    assert body["billingAddress"]["firstName"] == "Tok"
    assert body["createdTime"] == body["updatedTime"] == "2030-01-15T12:00:00+00:00"
    assert body["_links"] == [
        {"rel": "self", "href": f"http://localhost{prefix}/payment-instruments/{body['id']}"},
        {"rel": "customer", "href": f"http://localhost{prefix}/customers/{customer_id}"}]
    assert "pan" not in body and "cvv" not in body and "outcome" not in json.dumps(body)
    assert client.get(f"{prefix}/payment-instruments/{body['id']}").get_json() == body


def test_a_token_is_single_use_and_expires(client, frozen):
    customer_id = customer(client)
    used = token(client)
    assert client.post("/payment-instruments",
                       {"customerId": customer_id, "token": used}).status_code == 201
    again = client.post("/payment-instruments", {"customerId": customer_id, "token": used})
    assert again.status_code == 422
    assert again.get_json()["invalidFields"][0]["field"] == "token"

    old = token(client)
    frozen.post("/clock", {"action": "advance", "seconds": 31 * 60})
    late = client.post("/payment-instruments", {"customerId": customer_id, "token": old})
    assert late.status_code == 422 and late.get_json()["invalidFields"][0]["field"] == "token"
    unknown = client.post("/payment-instruments", {"customerId": customer_id, "token": "tok_x"})
    assert unknown.get_json()["invalidFields"][0]["field"] == "token"


def test_an_unknown_customer_is_a_422_on_customer_id_and_uses_no_token(app, client):
    tok = token(client)
    response = client.post("/payment-instruments", {"customerId": "cus_nobody", "token": tok})

    assert response.status_code == 422
    assert response.get_json()["invalidFields"] == [
        {"field": "customerId", "message": "No customer with this id exists."}]
    assert client.get(f"/tokens/{tok}").get_json()["isUsed"] is False
    assert stored(app, "payment-instruments") == 0


def test_a_plain_card_is_stored_without_its_number(app, client):
    customer_id = customer(client)
    response = client.post("/payment-instruments", plain_card(customer_id))

    assert response.status_code == 201
    body = response.get_json()
    assert (body["bin"], body["last4"], body["brand"]) == ("555555", "4444", "MasterCard")
    assert body["billingAddress"]["lastName"] == "Lovelace"
    state = app.extensions["sandbox"]
    namespace = state.namespace_for(API_KEY).id
    assert "5555555555554444" not in json.dumps(state.store.get(namespace, "payment-instruments",
                                                                body["id"]))


def test_a_luhn_invalid_pan_is_a_422_on_pan(app, client):
    customer_id = customer(client)
    response = client.post("/payment-instruments", plain_card(customer_id,
                                                              pan="4111111111111112"))

    assert response.status_code == 422
    assert [entry["field"] for entry in response.get_json()["invalidFields"]] == ["pan"]
    assert stored(app, "payment-instruments") == 0


def test_the_same_card_again_is_a_303_to_the_updated_instrument(client):
    customer_id = customer(client)
    first = client.post("/payment-instruments", plain_card(customer_id)).get_json()
    again = client.post("/payment-instruments",
                        plain_card(customer_id, customFields={"again": "yes"}))

    assert again.status_code == 303
    location = again.headers["Location"]
    assert location.endswith(f"/payment-instruments/{first['id']}")
    followed = client.get(location.replace("http://localhost", ""))
    assert followed.status_code == 200
    assert followed.get_json()["customFields"] == {"again": "yes"}
    assert followed.get_json()["revision"] == 2
    other_expiry = client.post("/payment-instruments", {**plain_card(customer_id),
                                                        "expYear": 2033})
    assert other_expiry.status_code == 201


def test_a_customer_payment_token_makes_the_full_instrument_and_its_link_resolves(client):
    tok = token(client)
    cust = client.post("/customers", {"primaryAddress": ADDRESS, "paymentToken": tok})
    link = next(entry["href"] for entry in cust.get_json()["_links"]
                if entry["rel"] == "defaultPaymentInstrument")

    shown = client.get(link.replace("http://localhost", ""))
    assert shown.status_code == 200
    assert shown.get_json()["status"] == "inactive"
    assert shown.get_json()["customerId"] == cust.get_json()["id"]
    expanded = client.get(f"/customers/{cust.get_json()['id']}?expand=defaultPaymentInstrument")
    embedded = expanded.get_json()["_embedded"]["defaultPaymentInstrument"]
    assert embedded["id"] == shown.get_json()["id"] and embedded["fingerprint"]


def test_get_of_an_unknown_instrument_is_a_404(client):
    assert_problem(client.get("/payment-instruments/inst_missing"), 404)
    assert_problem(client.request("PATCH", "/payment-instruments/inst_missing", json={}), 404)
    assert_problem(client.post("/payment-instruments/inst_missing/deactivation"), 404)


def test_patch_applies_the_fields_that_fit_a_card(client, frozen):
    body = instrument(client, customer(client))
    frozen.post("/clock", {"action": "advance", "seconds": 60})
    response = client.request("PATCH", f"/payment-instruments/{body['id']}", json={
        "expMonth": 3, "expYear": 2034, "customFields": {"a": "b"}, "useAsBackup": True,
        "billingAddress": {"firstName": "New"}, "stickyGatewayAccountId": None,
        "bankName": "ignored for cards"})

    assert response.status_code == 200
    patched = response.get_json()
    assert (patched["expMonth"], patched["expYear"]) == (3, 2034)
    assert patched["customFields"] == {"a": "b"} and patched["useAsBackup"] is True
    assert patched["billingAddress"]["firstName"] == "New"
    assert "bankName" not in patched
    assert patched["revision"] == 2 and patched["updatedTime"] == "2030-01-15T12:01:00+00:00"
    unchanged = client.request("PATCH", f"/payment-instruments/{body['id']}", json={})
    assert unchanged.get_json()["revision"] == 2


@pytest.mark.parametrize("patch, field", [
    ({"expMonth": 13}, "expMonth"), ({"expMonth": "3"}, "expMonth"),
    ({"useAsBackup": None}, "useAsBackup"), ({"customFields": None}, "customFields"),
    ({"billingAddress": None}, "billingAddress"), ({"cvv": "12a"}, "cvv"),
    ({"token": None}, "token"), ({"stickyGatewayAccountId": "x" * 51}, "stickyGatewayAccountId"),
])
def test_bad_patches_are_422s_naming_the_member(client, patch, field):
    body = instrument(client, customer(client))
    response = client.request("PATCH", f"/payment-instruments/{body['id']}", json=patch)

    assert response.status_code == 422
    assert [entry["field"] for entry in response.get_json()["invalidFields"]] == [field]
    assert client.get(f"/payment-instruments/{body['id']}").get_json()["revision"] == 1


def test_deactivation_takes_no_body_and_is_final(client):
    customer_id = customer(client, paymentToken=token(client))
    default_id = client.get(f"/customers/{customer_id}").get_json()[
        "defaultPaymentInstrument"]["paymentInstrumentId"]

    response = client.client.post(f"/payment-instruments/{default_id}/deactivation",
                                  headers={"REB-APIKEY": API_KEY})
    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"/payment-instruments/{default_id}")
    assert response.get_json()["status"] == "deactivated"
    assert response.get_json()["revision"] == 2
    assert client.get(f"/customers/{customer_id}").get_json()["defaultPaymentInstrument"] is None
    again = client.post(f"/payment-instruments/{default_id}/deactivation")
    assert_problem(again, 409)
    refused = client.request("PUT", f"/customers/{customer_id}", json={
        "primaryAddress": ADDRESS, "defaultPaymentInstrumentId": default_id})
    assert refused.status_code == 422


def test_a_card_shows_expired_once_the_clock_passes_its_expiry(client, frozen):
    body = instrument(client, customer(client))  # expires 12/2031
    frozen.post("/clock", {"action": "set", "time": "2031-12-31T23:59:00+00:00"})
    assert client.get(f"/payment-instruments/{body['id']}").get_json()["status"] == "inactive"

    frozen.post("/clock", {"action": "set", "time": "2032-01-01T00:00:00+00:00"})
    assert client.get(f"/payment-instruments/{body['id']}").get_json()["status"] == "expired"
    listed = client.get("/payment-instruments?filter=status:expired").get_json()
    assert [entry["id"] for entry in listed] == [body["id"]]
    client.post(f"/payment-instruments/{body['id']}/deactivation")
    assert client.get(f"/payment-instruments/{body['id']}").get_json()["status"] == "deactivated"


def test_list_filters_sorts_pages_and_expands(client, frozen):
    first, second = customer(client), customer(client)
    ids = []
    for owner, pan in ((first, "4111111111111111"), (second, "4111111111111111"),
                       (first, "5555555555554444")):
        frozen.post("/clock", {"action": "advance", "seconds": 10})
        ids.append(instrument(client, owner, pan)["id"])
    client.post(f"/payment-instruments/{ids[2]}/deactivation")

    page = client.get("/payment-instruments?sort=-createdTime&limit=2&offset=0")
    assert [entry["id"] for entry in page.get_json()] == [ids[2], ids[1]]
    assert (page.headers["Pagination-Total"], page.headers["Pagination-Limit"],
            page.headers["Pagination-Offset"]) == ("3", "2", "0")
    mine = client.get(f"/payment-instruments?filter=customerId:{first}").get_json()
    assert {entry["id"] for entry in mine} == {ids[0], ids[2]}
    active = client.get(f"/payment-instruments?filter=customerId:{first};status:inactive"
                        ";method:payment-card").get_json()
    assert [entry["id"] for entry in active] == [ids[0]]
    expanded = client.get(f"/payment-instruments/?expand=customer&filter=id:{ids[1]}").get_json()
    assert expanded[0]["_embedded"]["customer"]["id"] == second
    assert client.get("/payment-instruments?sort=bin").status_code == 422
    assert client.get("/payment-instruments?filter=nope:1").status_code == 422


def test_the_publishable_key_is_refused(client):
    public = client.with_key(PUBLISHABLE)
    customer_id = customer(client)
    assert public.get("/payment-instruments").status_code in (401, 403)
    assert public.post("/payment-instruments",
                       {"customerId": customer_id, "token": token(client)}).status_code in (401,
                                                                                            403)


def test_the_request_journal_masks_card_numbers(client, admin):
    client.post("/payment-instruments", plain_card(customer(client)))

    entries = admin.get("/requests").get_json()
    posted = next(entry for entry in entries if entry["path"] == "/payment-instruments")
    assert "5555555555554444" not in json.dumps(posted)
    assert '"321"' not in posted["body"]


@pytest.mark.parametrize("body, field", [
    ({"token": "tok_x"}, "customerId"),
    ({"customerId": None, "token": "tok_x"}, "customerId"),
    ({"customerId": 7, "token": "tok_x"}, "customerId"),
    ({"customerId": "cus_x", "token": None}, "token"),
    ({"customerId": "cus_x", "token": ["tok"]}, "token"),
    ({"customerId": "cus_x", "token": "tok_x", "pan": "4111111111111111"}, "pan"),
    ({"customerId": "cus_x", "method": "paypal", "billingAddress": {}}, "method"),
    ({"customerId": "cus_x", "useAsBackup": None, "token": "t"}, "useAsBackup"),
    ({"customerId": "cus_x", "customFields": None, "token": "t"}, "customFields"),
])
def test_hostile_create_bodies_are_422s_that_store_nothing(app, client, body, field):
    response = client.post("/payment-instruments", body)

    assert response.status_code == 422
    assert field in [entry["field"] for entry in response.get_json()["invalidFields"]]
    assert stored(app, "payment-instruments") == 0


@pytest.mark.parametrize("raw", [
    b"\xff\xfe{}", b"[]", b"{" * 5000, b'{"customerId": "a", "customerId": "b"}', b"nul",
])
def test_unusable_bodies_are_400_problems(app, client, raw):
    response = client.post("/payment-instruments", data=raw,
                           headers={"Content-Type": "application/json"})

    assert 400 <= response.status_code < 500
    assert response.get_json()["status"] == response.status_code
    assert stored(app, "payment-instruments") == 0


def test_a_huge_body_is_refused(app, client):
    huge = {"customerId": "c", "token": "t", "customFields": {"x": "y" * 3_000_000}}
    response = client.post("/payment-instruments", huge)

    assert 400 <= response.status_code < 500
    assert stored(app, "payment-instruments") == 0


def test_card_profiles_travel_with_snapshots_and_never_show_in_exports(app, client, admin):
    declined = client.post("/payment-instruments", plain_card(customer(client),
                                                              pan="4000000000000002"))
    state = app.extensions["sandbox"]
    namespace = state.namespace_for(API_KEY).id
    assert admin.post("/snapshots/before").status_code in (200, 201)
    admin.post("/reset", {})
    assert state.store.count(namespace, "card-profiles") == 0

    admin.post("/snapshots/before/restore")
    kept = state.store.get(namespace, "card-profiles", declined.get_json()["id"])
    assert kept["outcome"] == "declined"
    exported = json.dumps(admin.get("/export").get_json())
    assert "outcome" not in exported and "cvvFailed" not in exported
    shown = json.dumps(client.get("/payment-instruments").get_json())
    assert "outcome" not in shown and "cvvFailed" not in shown


def test_instrument_answers_match_the_openapi_document(app, client):
    from test_openapi import assert_conforms

    document = app.test_client().get("/__admin/openapi.json").get_json()
    customer_id = customer(client)
    created = client.post("/payment-instruments", {"customerId": customer_id,
                                                   "token": token(client)})
    assert_conforms(document, "/payment-instruments", "POST", created)
    again = client.post("/payment-instruments", plain_card(customer_id))
    assert_conforms(document, "/payment-instruments", "POST", again)
    assert_conforms(document, "/payment-instruments", "POST",
                    client.post("/payment-instruments", plain_card(customer_id)))
    instrument_id = created.get_json()["id"]
    member = "/payment-instruments/{instrument_id}"
    assert_conforms(document, member, "GET", client.get(f"/payment-instruments/{instrument_id}"))
    assert_conforms(document, member, "PATCH", client.request(
        "PATCH", f"/payment-instruments/{instrument_id}", json={"customFields": {"a": "b"}}))
    assert_conforms(document, "/payment-instruments", "GET",
                    client.get("/payment-instruments?expand=customer"))
    assert_conforms(document, "/payment-instruments", "GET",
                    client.get("/payment-instruments?fields=id,status"))
    deactivation = f"/payment-instruments/{instrument_id}/deactivation"
    assert_conforms(document, member + "/deactivation", "POST", client.post(deactivation))
    assert_conforms(document, member + "/deactivation", "POST", client.post(deactivation))
    unknown_brand = client.post("/payment-instruments",
                                plain_card(customer_id, pan="9999999999999995"))
    assert "brand" not in unknown_brand.get_json()
    assert_conforms(document, "/payment-instruments", "POST", unknown_brand)
