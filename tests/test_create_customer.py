"""POST /customers: the 201, every seed field, server-owned fields, mirroring, routes."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from payloads import SERVER_OWNED, full_customer

CUSTOMER_ID = re.compile(r"^cus_[0-9A-HJKMNP-TV-Z]{26}$")


def test_create_with_every_seed_field(client):
    body = full_customer()
    response = client.post("/customers", body)

    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    customer = response.get_json()
    assert CUSTOMER_ID.match(customer["id"])
    assert response.headers["Location"] == f"http://localhost/customers/{customer['id']}"
    assert response.headers["X-RateLimit-Limit"] == "3000"
    assert response.headers["X-RateLimit-Remaining"] == "2999"

    for field in ("websiteId", "locale", "isEddRequired", "personId",
                  "preferredPayoutInstrumentId", "customFields", "notificationEmails"):
        assert customer[field] == body[field], field
    assert customer["taxNumbers"] == [
        {"type": "eu-vat", "value": "GB123456789", "isDefault": True},
        {"type": "other", "value": "TX-42", "isDefault": False},
    ]
    address = customer["primaryAddress"]
    for field, value in body["primaryAddress"].items():
        assert address[field] == value, field
    assert re.fullmatch(r"[0-9a-f]{40}", address["hash"])
    assert [tag["name"] for tag in customer["tags"]] == ["vip", "Early Adopter"]
    for tag in customer["tags"]:
        assert re.fullmatch(r"tag_[0-9A-HJKMNP-TV-Z]{26}", tag["id"])
        assert tag["type"] == "customer"
        assert tag["_links"][0]["rel"] == "self"
    assert "leadSource" not in customer, "leadSource is write-only"
    assert "paymentToken" not in customer


def test_server_owned_fields_are_set_by_the_server(client):
    customer = client.post("/customers", {"email": "a@example.com"}).get_json()

    assert customer["createdTime"] == customer["updatedTime"]
    created = datetime.fromisoformat(customer["createdTime"])
    assert created.utcoffset().total_seconds() == 0
    assert customer["revision"] == 1
    assert customer["paymentCount"] == 0
    assert customer["invoiceCount"] == 0
    assert customer["lastPaymentTime"] is None
    assert customer["lifetimeRevenue"] == {"currency": "USD", "amount": 0, "amountUsd": 0}
    assert customer["averageValue"] == {"currency": "USD", "amount": 0, "amountUsd": 0}
    assert customer["hasFulfilledKyc"] is False
    assert customer["company"] is None
    assert customer["defaultPaymentInstrument"] is None
    assert customer["isEddRequired"] is False
    assert customer["customFields"] == {}
    assert re.fullmatch(r"org_[0-9A-HJKMNP-TV-Z]{26}", customer["organizationId"])
    assert customer["_links"] == [
        {"rel": "self", "href": f"http://localhost/customers/{customer['id']}"}]


def test_server_owned_fields_sent_by_a_client_are_ignored(client):
    response = client.post("/customers", {**SERVER_OWNED, "email": "a@example.com"})

    assert response.status_code == 201
    customer = response.get_json()
    for field, sent in SERVER_OWNED.items():
        assert customer.get(field) != sent, field


def test_top_level_contact_fields_fill_the_primary_address(client):
    customer = client.post("/customers", {
        "email": "john@example.com", "firstName": "John", "lastName": "Doe"}).get_json()

    assert customer["email"] == "john@example.com"
    assert customer["firstName"] == "John"
    assert customer["lastName"] == "Doe"
    assert customer["primaryAddress"]["firstName"] == "John"
    assert customer["primaryAddress"]["lastName"] == "Doe"
    assert customer["primaryAddress"]["emails"] == [
        {"label": "main", "value": "john@example.com", "primary": True}]


def test_top_level_names_are_derived_from_the_primary_address(client):
    customer = client.post("/customers", {
        "email": "ignored@example.com", "firstName": "Ignored",
        "primaryAddress": {"firstName": "Ada", "lastName": "Lovelace", "emails": [
            {"label": "work", "value": "ada@work.example"},
            {"label": "home", "value": "ada@home.example", "primary": True}]},
    }).get_json()

    assert customer["firstName"] == "Ada"
    assert customer["lastName"] == "Lovelace"
    assert customer["email"] == "ada@home.example"


def test_first_email_is_used_when_none_is_primary(client):
    customer = client.post("/customers", {"primaryAddress": {"emails": [
        {"label": "a", "value": "first@example.com"},
        {"label": "b", "value": "second@example.com"}]}}).get_json()

    assert customer["email"] == "first@example.com"


def test_empty_body_creates_a_lead_without_contact(client):
    customer = client.post("/customers", {}).get_json()

    assert customer["primaryAddress"] is None
    assert customer["email"] is None and customer["firstName"] is None


@pytest.mark.parametrize("path, location_prefix", [
    ("/customers", "http://localhost"),
    ("/customers/", "http://localhost"),
    ("/organizations/org_TEST123/customers", "http://localhost/organizations/org_TEST123"),
    ("/organizations/org_TEST123/customers/", "http://localhost/organizations/org_TEST123"),
])
def test_create_answers_on_every_route_form(client, path, location_prefix):
    response = client.post(path, {"email": "a@example.com"})

    assert response.status_code == 201
    customer = response.get_json()
    assert response.headers["Location"] == f"{location_prefix}/customers/{customer['id']}"
    assert customer["_links"][0]["href"] == response.headers["Location"]


def test_organization_prefix_sets_organization_id(client):
    customer = client.post("/organizations/org_TEST123/customers", {}).get_json()

    assert customer["organizationId"] == "org_TEST123"


def test_body_without_content_type_is_parsed_as_json(client):
    response = client.post("/customers", data=b'{"email": "php@example.com"}')

    assert response.status_code == 201
    assert response.get_json()["email"] == "php@example.com"


def test_tags_are_shared_case_insensitively_within_a_namespace(client):
    first = client.post("/customers", {"tags": [{"name": "VIP", "type": "customer"}]}).get_json()
    second = client.post("/customers", {"tags": [
        {"name": "vip", "type": "customer"}, {"name": "Vip", "type": "customer"}]}).get_json()

    assert len(second["tags"]) == 1
    assert second["tags"][0]["id"] == first["tags"][0]["id"]
    assert second["tags"][0]["name"] == "VIP"


def test_rate_limit_remaining_counts_down(client):
    remaining = [int(client.post("/customers", {}).headers["X-RateLimit-Remaining"])
                 for _ in range(3)]

    assert remaining == [2999, 2998, 2997]


def test_seeded_ids_repeat_across_apps():
    from rebilly_sandbox import create_app

    def first_ids():
        app = create_app({"db": "memory", "seed": 42})
        client = app.test_client()
        headers = {"REB-APIKEY": "sk_sandbox_seeded"}
        return [client.post("/customers", json={}, headers=headers).get_json()["id"]
                for _ in range(3)]

    assert first_ids() == first_ids()
