"""/invoices: drafts with items priced by their own unit price or a plan, exact amounts, the
issue, void and abandon transitions and their refusals, lists, isolation and hostile bodies."""

from __future__ import annotations

import re

import pytest
from helpers import OTHER_KEY, assert_problem, stored

INVOICE_ID = re.compile(r"^in_[0-9A-HJKMNP-TV-Z]{26}$")


def put(client, path, body):
    return client.request("PUT", path, json=body)


@pytest.fixture
def shop(client):
    """A customer, a website, a product and two USD plans, all with chosen ids."""
    assert put(client, "/customers/cus_ann", {"firstName": "Ann"}).status_code == 201
    website = {"name": "Shop", "url": "shop.test", "servicePhone": "1",
               "serviceEmail": "a@shop.test"}
    assert put(client, "/websites/web_shop", website).status_code == 201
    assert put(client, "/products/seats", {"name": "Seats"}).status_code == 201
    brackets = [{"maxQuantity": 4, "price": 10}, {"maxQuantity": None, "price": 8}]
    for plan_id, pricing in (("seats-tiered", {"formula": "tiered", "brackets": brackets}),
                             ("seats-fee", {"formula": "fixed-fee", "price": 30})):
        assert put(client, f"/plans/{plan_id}", {
            "name": plan_id, "productId": "seats", "currency": "USD",
            "pricing": pricing}).status_code == 201
    return client


def draft(client, **extra):
    body = {"customerId": "cus_ann", "websiteId": "web_shop", "currency": "USD", **extra}
    response = client.post("/invoices", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def item(client, invoice_id, **body):
    response = client.post(f"/invoices/{invoice_id}/items", {"type": "debit", **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def action(client, invoice_id, name, body=None):
    if body is None:
        return client.request("POST", f"/invoices/{invoice_id}/{name}")
    return client.post(f"/invoices/{invoice_id}/{name}", body)


def invalid_fields(response) -> set[str]:
    assert response.status_code == 422, response.get_json()
    return {entry["field"] for entry in response.get_json()["invalidFields"]}


def test_a_new_invoice_is_a_numbered_one_time_draft(shop):
    response = shop.post("/invoices", {"customerId": "cus_ann", "websiteId": "web_shop",
                                       "currency": "USD", "poNumber": "PO-1"})

    assert response.status_code == 201
    body = response.get_json()
    assert INVOICE_ID.match(body["id"])
    assert response.headers["Location"] == f"http://localhost/invoices/{body['id']}"
    assert {key: body[key] for key in ("type", "status", "invoiceNumber", "items", "amount",
                                       "amountDue", "subtotalAmount", "discountAmount",
                                       "revision", "poNumber", "issuedTime")} == {
        "type": "one-time", "status": "draft", "invoiceNumber": 1, "items": [], "amount": 0,
        "amountDue": 0, "subtotalAmount": 0, "discountAmount": 0, "revision": 1,
        "poNumber": "PO-1", "issuedTime": None}
    assert body["tax"] == {"calculator": "manual", "items": [], "amount": 0}
    assert shop.get(f"/invoices/{body['id']}").get_json() == body
    assert draft(shop)["invoiceNumber"] == 2


def test_amounts_add_items_quantities_credits_and_tax_exactly(shop):
    invoice = draft(shop, tax={"calculator": "manual",
                               "items": [{"amount": 1.1, "description": "VAT"},
                                         {"amount": 2.2, "description": "City"}]})
    own = item(shop, invoice["id"], unitPrice=0.1, quantity=3, description="Stickers")
    tiered = item(shop, invoice["id"], planId="seats-tiered", quantity=6)
    fee = item(shop, invoice["id"], planId="seats-fee", quantity=5)
    item(shop, invoice["id"], type="credit", unitPrice=1.005, quantity=1)

    assert (own["price"], own["quantity"], own["planId"]) == (0.3, 3, None)
    assert (tiered["price"], tiered["unitPrice"], tiered["productId"]) == (56, 9.33, "seats")
    assert (fee["price"], fee["quantity"], fee["unitPrice"]) == (30, 1, 30)
    body = shop.get(f"/invoices/{invoice['id']}").get_json()
    # 0.30 + 56.00 + 30.00 - 1.01 (1.005 rounded half up) = 85.29; tax 3.30
    assert (body["subtotalAmount"], body["tax"]["amount"], body["amount"],
            body["amountDue"]) == (85.29, 3.3, 88.59, 88.59)
    assert [entry["id"] for entry in body["items"]] == [
        entry["id"] for entry in shop.get(f"/invoices/{invoice['id']}/items").get_json()]
    assert shop.get(f"/invoices/{invoice['id']}/items?offset=1&limit=1").get_json()[0]["id"] == \
        tiered["id"]


def test_issue_moves_a_draft_to_unpaid_with_its_times(shop):
    invoice = draft(shop)
    item(shop, invoice["id"], unitPrice=20, quantity=2)

    response = action(shop, invoice["id"], "issue")

    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/invoices/{invoice['id']}")
    assert (body["status"], body["amountDue"]) == ("unpaid", 40)
    assert body["issuedTime"] is not None and body["dueTime"] == body["issuedTime"]
    due = action(shop, draft(shop)["id"], "issue", {"dueTime": "2031-01-01T00:00:00Z"})
    assert due.get_json()["dueTime"] == "2031-01-01T00:00:00+00:00"


def test_a_zero_amount_invoice_is_paid_at_issue(shop):
    body = action(shop, draft(shop)["id"], "issue", {}).get_json()

    assert (body["status"], body["paidTime"] is not None) == ("paid", True)


def test_issued_invoices_refuse_a_second_issue_and_new_items(shop):
    invoice = draft(shop)
    item(shop, invoice["id"], unitPrice=5)
    assert action(shop, invoice["id"], "issue").status_code == 201

    assert_problem(action(shop, invoice["id"], "issue"), 409)
    assert invalid_fields(shop.post(f"/invoices/{invoice['id']}/items",
                                     {"type": "debit", "unitPrice": 1})) == {"invoiceId"}
    assert len(shop.get(f"/invoices/{invoice['id']}").get_json()["items"]) == 1


def test_void_zeroes_the_amounts_and_is_final(shop):
    invoice = draft(shop)
    item(shop, invoice["id"], unitPrice=12.5)
    action(shop, invoice["id"], "issue")

    voided = action(shop, invoice["id"], "void")

    assert voided.status_code == 201
    body = voided.get_json()
    assert (body["status"], body["amount"], body["amountDue"], body["subtotalAmount"]) == (
        "voided", 0, 0, 0)
    assert body["voidedTime"] is not None and body["invoiceNumber"] == 1
    for name in ("void", "abandon", "issue"):
        assert_problem(action(shop, invoice["id"], name), 409)


def test_a_draft_can_be_voided_but_not_abandoned(shop):
    invoice = draft(shop)

    assert_problem(action(shop, invoice["id"], "abandon"), 409)
    assert action(shop, invoice["id"], "void").get_json()["status"] == "voided"


def test_abandon_keeps_the_amounts_and_refuses_a_void(shop):
    invoice = draft(shop)
    item(shop, invoice["id"], unitPrice=7)
    action(shop, invoice["id"], "issue")

    body = action(shop, invoice["id"], "abandon").get_json()

    assert (body["status"], body["amountDue"]) == ("abandoned", 7)
    assert body["abandonedTime"] is not None
    assert_problem(action(shop, invoice["id"], "void"), 409)
    assert_problem(action(shop, invoice["id"], "abandon"), 409)


def test_a_paid_invoice_is_neither_voided_nor_abandoned(shop):
    invoice = draft(shop)
    action(shop, invoice["id"], "issue")

    assert_problem(action(shop, invoice["id"], "void"), 409)
    assert_problem(action(shop, invoice["id"], "abandon"), 409)


def test_put_creates_then_replaces_keeping_what_the_server_owns(shop):
    body = {"customerId": "cus_ann", "websiteId": "web_shop", "currency": "USD"}
    created = put(shop, "/invoices/inv-1", body)
    assert created.status_code == 201
    assert created.headers["Location"] == "http://localhost/invoices/inv-1"
    item(shop, "inv-1", unitPrice=3)

    replaced = put(shop, "/invoices/inv-1", {**body, "notes": "thanks"})

    assert replaced.status_code == 200
    result = replaced.get_json()
    assert (result["notes"], result["amount"], result["revision"]) == ("thanks", 3, 3)
    assert result["createdTime"] == created.get_json()["createdTime"]


def test_an_issued_invoice_keeps_what_it_billed(shop):
    assert put(shop, "/customers/cus_bob", {"firstName": "Bob"}).status_code == 201
    body = {"customerId": "cus_ann", "websiteId": "web_shop", "currency": "USD"}
    put(shop, "/invoices/inv-2", body)
    action(shop, "inv-2", "issue")

    assert invalid_fields(put(shop, "/invoices/inv-2", {**body, "currency": "EUR",
                                                        "customerId": "cus_bob"})) == {
        "currency", "customerId"}
    assert put(shop, "/invoices/inv-2", {**body, "notes": "late"}).status_code == 200


def test_list_filters_and_sorts(shop):
    first = draft(shop)
    item(shop, first["id"], unitPrice=9)
    action(shop, first["id"], "issue")
    second = draft(shop)
    item(shop, second["id"], unitPrice=4)

    unpaid = shop.get("/invoices?filter=status:unpaid")
    assert [entry["id"] for entry in unpaid.get_json()] == [first["id"]]
    assert unpaid.headers["Pagination-Total"] == "1"
    by_amount = shop.get("/invoices?sort=amount&filter=customerId:cus_ann").get_json()
    assert [entry["id"] for entry in by_amount] == [second["id"], first["id"]]
    assert shop.get("/invoices?filter=websiteId:elsewhere").get_json() == []
    assert shop.get("/invoices?sort=notes").status_code == 422


def test_namespaces_do_not_see_each_others_invoices(shop, app):
    invoice = draft(shop)
    other = shop.with_key(OTHER_KEY)

    assert_problem(other.get(f"/invoices/{invoice['id']}"), 404)
    assert other.get("/invoices").get_json() == []
    assert_problem(action(other, invoice["id"], "issue"), 404)
    assert_problem(other.post(f"/invoices/{invoice['id']}/items",
                              {"type": "debit", "unitPrice": 1}), 404)
    assert stored(app, "invoices", OTHER_KEY) == 0


def test_unknown_invoices_are_404(shop):
    for response in (shop.get("/invoices/in_none"), shop.get("/invoices/in_none/items"),
                     action(shop, "in_none", "void"), action(shop, "in_none", "abandon")):
        assert_problem(response, 404)


@pytest.mark.parametrize("body, fields", [
    ({}, {"customerId", "websiteId", "currency"}),
    ({"customerId": "cus_none", "websiteId": "web_none", "currency": "USD"}, {"customerId"}),
    ({"customerId": "cus_ann", "websiteId": "web_shop", "currency": "usd"}, {"currency"}),
    ({"customerId": "cus_ann", "websiteId": "web_shop", "currency": "USD",
      "tax": {"calculator": "rebilly-avalara"}}, {"tax.calculator", "tax.items"}),
    ({"customerId": "cus_ann", "websiteId": "web_shop", "currency": "USD",
      "tax": {"calculator": "manual", "items": [{"amount": -1, "description": "x"}]}},
     {"tax.items.0.amount"}),
    ({"customerId": "cus_ann", "websiteId": "web_shop", "currency": "USD",
      "delinquencyTime": "2030-01-01T00:00:00Z"}, {"delinquencyTime"}),
    ({"customerId": ["cus_ann"], "websiteId": "web_shop", "currency": "USD",
      "dueTime": "tomorrow"}, {"customerId", "dueTime"}),
])
def test_hostile_invoice_bodies_are_422_and_store_nothing(shop, app, body, fields):
    assert invalid_fields(shop.post("/invoices", body)) == fields
    assert stored(app, "invoices") == 0


def test_a_non_object_body_or_a_bad_id_is_refused(shop, app):
    assert_problem(shop.post("/invoices", data=b"[1]"), 400)
    body = {"customerId": "cus_ann", "websiteId": "web_shop", "currency": "USD"}
    assert invalid_fields(put(shop, "/invoices/" + "x" * 51, body)) == {"id"}
    assert stored(app, "invoices") == 0


@pytest.mark.parametrize("body, fields", [
    ({"type": "debit"}, {"unitPrice"}),
    ({"type": "gift", "unitPrice": 1}, {"type"}),
    ({"type": "debit", "unitPrice": "1"}, {"unitPrice"}),
    ({"type": "debit", "unitPrice": 1, "quantity": 0}, {"quantity"}),
    ({"type": "debit", "unitPrice": 1, "quantity": 1.5}, {"quantity"}),
    ({"type": "debit", "planId": "no-plan"}, {"planId"}),
    ({"type": "debit", "planId": "seats-tiered", "quantity": 10**9}, {"quantity"}),
    ({"type": "debit", "unitPrice": 10**12, "quantity": 2}, {"quantity"}),
])
def test_hostile_items_are_422_and_change_nothing(shop, body, fields):
    invoice = draft(shop)

    assert invalid_fields(shop.post(f"/invoices/{invoice['id']}/items", body)) == fields
    after = shop.get(f"/invoices/{invoice['id']}").get_json()
    assert (after["items"], after["revision"]) == ([], 1)


def test_a_plan_in_another_currency_is_refused(shop):
    invoice = draft(shop, currency="EUR")

    assert invalid_fields(shop.post(f"/invoices/{invoice['id']}/items",
                                    {"type": "debit", "planId": "seats-fee"})) == {"planId"}


def test_a_website_an_invoice_names_cannot_be_deleted(shop):
    invoice = draft(shop)

    problem = assert_problem(shop.request("DELETE", "/websites/web_shop"), 409)
    assert invoice["id"] in problem["detail"]


def test_an_invoice_holds_a_bounded_number_of_items(shop, monkeypatch):
    from rebilly_sandbox.services import invoices

    monkeypatch.setattr(invoices, "MAX_ITEMS", 2)
    invoice = draft(shop)
    item(shop, invoice["id"], unitPrice=1)
    item(shop, invoice["id"], unitPrice=1)

    assert invalid_fields(shop.post(f"/invoices/{invoice['id']}/items",
                                    {"type": "debit", "unitPrice": 1})) == {"invoiceId"}


def test_times_out_of_range_are_refused(shop):
    invoice = draft(shop)

    assert invalid_fields(action(shop, invoice["id"], "issue",
                                 {"dueTime": "1960-01-01T00:00:00Z"})) == {"dueTime"}
    assert invalid_fields(action(shop, invoice["id"], "issue",
                                 {"issuedTime": "2030-01-01T00:00:00"})) == {"issuedTime"}
    assert shop.get(f"/invoices/{invoice['id']}").get_json()["status"] == "draft"


def test_an_unknown_website_is_accepted_as_on_every_resource(shop):
    response = shop.post("/invoices", {"customerId": "cus_ann", "websiteId": "web_elsewhere",
                                       "currency": "USD"})
    assert response.status_code == 201
    assert response.get_json()["websiteId"] == "web_elsewhere"
