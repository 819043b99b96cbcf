"""POST /customers validation: each field rule is a 422 naming the exact field; nothing stored."""

from __future__ import annotations

import json

import pytest
from helpers import stored
from payloads import SERVER_OWNED, full_customer

PROBLEM_KEYS = {"type", "title", "status", "detail", "invalidFields"}
CONTACT_TEXT = ("firstName", "lastName", "organization", "address", "address2", "city",
                "region", "country", "postalCode", "jobTitle")
LEAD_SOURCE_TEXT = ("medium", "source", "campaign", "term", "content", "affiliate",
                    "subAffiliate", "salesAgent", "clickId", "path")
EMAIL = {"label": "main", "value": "ada@example.com"}
PHONE = {"label": "main", "value": "+44 20 7925 1405"}
TAG = {"name": "vip", "type": "customer"}
TAX_NUMBER = {"type": "eu-vat", "value": "GB123456789"}


def assert_validation_error(response, *fields: str) -> list[dict[str, str]]:
    """Check the 422 problem body and that every one of ``fields`` is named; return the list."""
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/json"
    body = response.get_json()
    assert PROBLEM_KEYS <= body.keys()
    assert body.keys() - PROBLEM_KEYS <= {"instance"}
    assert body["title"] == "Validation error"
    assert body["status"] == 422
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["detail"], str) and body["detail"]
    invalid = body["invalidFields"]
    assert invalid, "a 422 lists at least one field"
    for entry in invalid:
        assert set(entry) == {"field", "message"}
        assert isinstance(entry["field"], str) and entry["field"]
        assert isinstance(entry["message"], str) and entry["message"]
    named = [entry["field"] for entry in invalid]
    for field in fields:
        assert field in named, f"{field} not in {named}"
    return invalid


def assert_created(response) -> dict:
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/json"
    return response.get_json()


@pytest.mark.parametrize("field, limit", [
    ("firstName", 45),
    ("lastName", 45),
    ("city", 45),
    ("region", 45),
    ("organization", 255),
    ("jobTitle", 255),
    ("address", 60),
    ("address2", 60),
    ("postalCode", 10),
])
def test_contact_text_longer_than_its_limit_is_rejected(client, app, field, limit):
    response = client.post("/customers", {"primaryAddress": {field: "A" * (limit + 1)}})

    invalid = assert_validation_error(response, f"primaryAddress.{field}")
    assert invalid == [{"field": f"primaryAddress.{field}",
                        "message": f"Must be at most {limit} characters long."}]
    assert stored(app) == 0


@pytest.mark.parametrize("field, limit", [
    ("firstName", 45),
    ("lastName", 45),
    ("city", 45),
    ("region", 45),
    ("organization", 255),
    ("jobTitle", 255),
    ("address", 60),
    ("address2", 60),
    ("postalCode", 10),
])
def test_contact_text_at_its_limit_is_accepted(client, field, limit):
    response = client.post("/customers", {"primaryAddress": {field: "A" * limit}})

    assert assert_created(response)["primaryAddress"][field] == "A" * limit


@pytest.mark.parametrize("field", CONTACT_TEXT)
def test_empty_contact_text_is_rejected(client, app, field):
    response = client.post("/customers", {"primaryAddress": {field: ""}})

    assert_validation_error(response, f"primaryAddress.{field}")
    assert stored(app) == 0


@pytest.mark.parametrize("field", CONTACT_TEXT + ("dob",))
def test_null_contact_field_is_accepted(client, field):
    response = client.post("/customers", {"primaryAddress": {"firstName": "Ada", field: None}})

    address = assert_created(response)["primaryAddress"]
    if field != "firstName":
        assert address[field] is None


@pytest.mark.parametrize("body", [
    {"primaryAddress": None},
    {"taxNumbers": None},
    {"locale": None},
    {"email": None, "firstName": None, "lastName": None},
    {"personId": None, "preferredPayoutInstrumentId": None, "defaultPaymentInstrumentId": None},
])
def test_null_is_accepted_where_rebilly_allows_it(client, body):
    customer = assert_created(client.post("/customers", body))

    for field in body:
        if field == "taxNumbers":
            assert customer[field] in (None, [])
        elif field != "defaultPaymentInstrumentId":
            assert customer[field] is None


@pytest.mark.parametrize("field, value", [
    ("firstName", "\U0001F600"),
    ("firstName", "Ada \U0001F600"),
    ("lastName", "\U00010000"),
    ("city", "\U0001F3D9 City"),
    ("jobTitle", "Chief \U0001F4A9 Officer"),
])
def test_text_outside_the_basic_multilingual_plane_is_rejected(client, app, field, value):
    response = client.post("/customers", {"primaryAddress": {field: value}})

    assert_validation_error(response, f"primaryAddress.{field}")
    assert stored(app) == 0


def test_non_bmp_text_sent_as_raw_utf8_is_rejected(client, app):
    body = json.dumps({"primaryAddress": {"firstName": "\U0001F600"}}, ensure_ascii=False)
    response = client.post("/customers", data=body.encode("utf-8"))

    assert_validation_error(response, "primaryAddress.firstName")
    assert stored(app) == 0


@pytest.mark.parametrize("field, value", [
    ("firstName", "Zoë"),
    ("lastName", "O'Brien-Łukasiewicz"),
    ("city", "東京"),
    ("organization", "Ünïcödé & Sons, Ltd."),
])
def test_basic_multilingual_plane_text_is_accepted(client, field, value):
    response = client.post("/customers", {"primaryAddress": {field: value}})

    assert assert_created(response)["primaryAddress"][field] == value


@pytest.mark.parametrize("body, field", [
    ({"primaryAddress": {"country": "gb"}}, "primaryAddress.country"),
    ({"primaryAddress": {"country": "GBR"}}, "primaryAddress.country"),
    ({"primaryAddress": {"country": "G1"}}, "primaryAddress.country"),
    ({"primaryAddress": {"country": "G"}}, "primaryAddress.country"),
    ({"primaryAddress": {"country": "G\n"}}, "primaryAddress.country"),
    ({"primaryAddress": {"postalCode": "AB#1"}}, "primaryAddress.postalCode"),
    ({"primaryAddress": {"postalCode": "12345/6"}}, "primaryAddress.postalCode"),
    ({"primaryAddress": {"dob": "17-01-1706"}}, "primaryAddress.dob"),
    ({"primaryAddress": {"dob": "1706-13-01"}}, "primaryAddress.dob"),
    ({"primaryAddress": {"dob": "1706-02-30"}}, "primaryAddress.dob"),
    ({"primaryAddress": {"dob": 123}}, "primaryAddress.dob"),
    ({"primaryAddress": {"dob": "17060117"}}, "primaryAddress.dob"),
    ({"primaryAddress": {"dob": "1706-W03-1"}}, "primaryAddress.dob"),
    ({"primaryAddress": {"dob": "1706-01-17T00:00:00"}}, "primaryAddress.dob"),
    ({"primaryAddress": {"dob": ""}}, "primaryAddress.dob"),
])
def test_contact_patterns_and_formats(client, app, body, field):
    response = client.post("/customers", body)

    assert_validation_error(response, field)
    assert stored(app) == 0


@pytest.mark.parametrize("body, field", [
    ({"primaryAddress": {"emails": [{"value": "ada@example.com"}]}},
     "primaryAddress.emails.0.label"),
    ({"primaryAddress": {"emails": [{"label": "main"}]}}, "primaryAddress.emails.0.value"),
    ({"primaryAddress": {"emails": [{"label": "main", "value": "nope"}]}},
     "primaryAddress.emails.0.value"),
    ({"primaryAddress": {"emails": [EMAIL, {"label": "work", "value": "ada@"}]}},
     "primaryAddress.emails.1.value"),
    ({"primaryAddress": {"emails": [{"label": "L" * 46, "value": "ada@example.com"}]}},
     "primaryAddress.emails.0.label"),
    ({"primaryAddress": {"emails": [{"label": "", "value": "ada@example.com"}]}},
     "primaryAddress.emails.0.label"),
    ({"primaryAddress": {"emails": [{"label": None, "value": "ada@example.com"}]}},
     "primaryAddress.emails.0.label"),
    ({"primaryAddress": {"emails": [{"label": "main", "value": None}]}},
     "primaryAddress.emails.0.value"),
    ({"primaryAddress": {"emails": [{**EMAIL, "primary": "true"}]}},
     "primaryAddress.emails.0.primary"),
    ({"primaryAddress": {"emails": [{**EMAIL, "primary": 1}]}},
     "primaryAddress.emails.0.primary"),
    ({"primaryAddress": {"emails": ["ada@example.com"]}}, "primaryAddress.emails.0"),
    ({"primaryAddress": {"emails": "ada@example.com"}}, "primaryAddress.emails"),
    ({"primaryAddress": {"phoneNumbers": [{"label": "main"}]}},
     "primaryAddress.phoneNumbers.0.value"),
    ({"primaryAddress": {"phoneNumbers": [{"value": "+1 555 0100"}]}},
     "primaryAddress.phoneNumbers.0.label"),
    ({"primaryAddress": {"phoneNumbers": [PHONE, {"label": "fax", "value": "1" * 51}]}},
     "primaryAddress.phoneNumbers.1.value"),
    ({"primaryAddress": {"phoneNumbers": [{"label": "L" * 46, "value": "1"}]}},
     "primaryAddress.phoneNumbers.0.label"),
    ({"primaryAddress": {"phoneNumbers": [{**PHONE, "primary": "true"}]}},
     "primaryAddress.phoneNumbers.0.primary"),
    ({"primaryAddress": {"phoneNumbers": [{**PHONE, "primary": 1}]}},
     "primaryAddress.phoneNumbers.0.primary"),
    ({"primaryAddress": {"phoneNumbers": [{**PHONE, "value": 442079251405}]}},
     "primaryAddress.phoneNumbers.0.value"),
])
def test_emails_and_phone_numbers(client, app, body, field):
    response = client.post("/customers", body)

    assert_validation_error(response, field)
    assert stored(app) == 0


def test_email_and_phone_entries_at_their_limits_are_accepted(client):
    email = {"label": "L" * 45, "value": "a" * 64 + "@example.com", "primary": True}
    phone = {"label": "L" * 45, "value": "1" * 50, "primary": False}
    response = client.post("/customers", {"primaryAddress": {
        "emails": [email], "phoneNumbers": [phone]}})

    address = assert_created(response)["primaryAddress"]
    assert address["emails"] == [email]
    assert address["phoneNumbers"] == [phone]


@pytest.mark.parametrize("body, field", [
    ({"taxNumbers": [{"type": "vat", "value": "GB1"}]}, "taxNumbers.0.type"),
    ({"taxNumbers": [{"type": "EU-VAT", "value": "GB1"}]}, "taxNumbers.0.type"),
    ({"taxNumbers": [{"type": "eu-vat"}]}, "taxNumbers.0.value"),
    ({"taxNumbers": [{"value": "GB1"}]}, "taxNumbers.0.type"),
    ({"taxNumbers": [TAX_NUMBER, {"type": "other", "value": None}]}, "taxNumbers.1.value"),
    ({"taxNumbers": [TAX_NUMBER, {"type": 1, "value": "X"}]}, "taxNumbers.1.type"),
    ({"taxNumbers": [{**TAX_NUMBER, "isDefault": "yes"}]}, "taxNumbers.0.isDefault"),
    ({"taxNumbers": [{**TAX_NUMBER, "value": 980780684}]}, "taxNumbers.0.value"),
    ({"taxNumbers": ["GB123456789"]}, "taxNumbers.0"),
])
def test_tax_numbers(client, app, body, field):
    response = client.post("/customers", body)

    assert_validation_error(response, field)
    assert stored(app) == 0


@pytest.mark.parametrize("body, field", [
    ({"tags": [{"type": "customer"}]}, "tags.0.name"),
    ({"tags": [{"name": "vip"}]}, "tags.0.type"),
    ({"tags": [TAG, {"name": "gold"}]}, "tags.1.type"),
    ({"tags": [{"name": "vip", "type": "premium"}]}, "tags.0.type"),
    ({"tags": [{"name": "vip!", "type": "customer"}]}, "tags.0.name"),
    ({"tags": [{"name": "", "type": "customer"}]}, "tags.0.name"),
    ({"tags": [{"name": None, "type": "customer"}]}, "tags.0.name"),
    ({"tags": [{"name": "t" * 256, "type": "customer"}]}, "tags.0.name"),
    ({"tags": ["vip"]}, "tags.0"),
])
def test_tags(client, app, body, field):
    response = client.post("/customers", body)

    assert_validation_error(response, field)
    assert stored(app) == 0
    assert stored(app, "tags") == 0


@pytest.mark.parametrize("tags, fields", [
    ([{"name": "passport", "type": "kyc-document"}], ["tags.0.type"]),
    ([{"name": "screened", "type": "aml-check"}], ["tags.0.type"]),
    ([TAG, {"name": "passport", "type": "kyc-document"}], ["tags.1.type"]),
    ([{"name": "a", "type": "kyc-document"}, TAG, {"name": "b", "type": "aml-check"}],
     ["tags.0.type", "tags.2.type"]),
])
def test_only_customer_tags_can_be_put_on_a_customer(client, app, tags, fields):
    response = client.post("/customers", {"tags": tags})

    invalid = assert_validation_error(response, *fields)
    assert [entry["field"] for entry in invalid] == fields
    assert stored(app) == 0
    assert stored(app, "tags") == 0, "no tag of the request is created"


@pytest.mark.parametrize("name", ["vip", "Early Adopter", "a@b.c", "~x-y+z", "snake_case", "Ünï"])
def test_tag_names_in_the_pattern_are_accepted(client, name):
    response = client.post("/customers", {"tags": [{"name": name, "type": "customer"}]})

    assert [tag["name"] for tag in assert_created(response)["tags"]] == [name]


@pytest.mark.parametrize("locale", ["english!", "e", "en_GB", "en-", "-GB", "en\n", "x" * 36])
def test_locale_must_be_a_language_tag(client, app, locale):
    response = client.post("/customers", {"locale": locale})

    assert_validation_error(response, "locale")
    assert stored(app) == 0


@pytest.mark.parametrize("locale", ["en", "fr-FR", "zh-Hant-TW", "de-CH-1996"])
def test_language_tags_are_accepted(client, locale):
    assert assert_created(client.post("/customers", {"locale": locale}))["locale"] == locale


@pytest.mark.parametrize("emails, field", [
    (["nope"], "notificationEmails.0"),
    (["billing@example.com", "nope"], "notificationEmails.1"),
    (["billing@example.com", None], "notificationEmails.1"),
    ([5], "notificationEmails.0"),
    (["a" * 250 + "@example.com"], "notificationEmails.0"),
])
def test_notification_emails(client, app, emails, field):
    response = client.post("/customers", {"notificationEmails": emails})

    assert_validation_error(response, field)
    assert stored(app) == 0


@pytest.mark.parametrize("value", ["true", "false", 1, 0, None, "yes", []])
def test_is_edd_required_must_be_a_boolean(client, app, value):
    response = client.post("/customers", {"isEddRequired": value})

    assert_validation_error(response, "isEddRequired")
    assert stored(app) == 0


@pytest.mark.parametrize("body, field", [
    ({"websiteId": "w" * 51}, "websiteId"),
    ({"personId": "p" * 51}, "personId"),
    ({"preferredPayoutInstrumentId": "i" * 51}, "preferredPayoutInstrumentId"),
    ({"defaultPaymentInstrumentId": "i" * 51}, "defaultPaymentInstrumentId"),
    ({"paymentToken": "t" * 51}, "paymentToken"),
    ({"websiteId": {"id": "web_1"}}, "websiteId"),
    ({"email": "nope"}, "email"),
    ({"email": "a" * 250 + "@example.com"}, "email"),
    ({"firstName": "F" * 46}, "firstName"),
    ({"lastName": ""}, "lastName"),
    ({"customFields": ["plan", "gold"]}, "customFields"),
    ({"customFields": "plan=gold"}, "customFields"),
    ({"customFields": None}, "customFields"),
])
def test_top_level_limits(client, app, body, field):
    response = client.post("/customers", body)

    assert_validation_error(response, field)
    assert stored(app) == 0


def test_top_level_ids_at_their_limit_are_accepted(client):
    body = {"websiteId": "w" * 50, "personId": "p" * 50, "preferredPayoutInstrumentId": "i" * 50}
    customer = assert_created(client.post("/customers", body))

    for field, value in body.items():
        assert customer[field] == value


@pytest.mark.parametrize("field", LEAD_SOURCE_TEXT)
def test_lead_source_text_over_512_is_rejected(client, app, field):
    response = client.post("/customers", {"leadSource": {field: "m" * 513}})

    assert_validation_error(response, f"leadSource.{field}")
    assert stored(app) == 0
    assert stored(app, "lead-sources") == 0


@pytest.mark.parametrize("referrer", [
    "not a url",
    "www.example.com/no-scheme",
    "/relative/path",
    "javascript:alert(1)",
    "https://example.com/" + "p" * 2070,
    5,
])
def test_lead_source_referrer_must_be_a_url(client, app, referrer):
    response = client.post("/customers", {"leadSource": {"referrer": referrer}})

    assert_validation_error(response, "leadSource.referrer")
    assert stored(app) == 0
    assert stored(app, "lead-sources") == 0


def test_lead_source_at_its_limits_is_accepted(client):
    body = {field: "m" * 512 for field in LEAD_SOURCE_TEXT}
    body["referrer"] = "https://example.com/" + "p" * 2063

    assert_created(client.post("/customers", {"leadSource": body}))


@pytest.mark.parametrize("field, value, path", [
    ("email", 5, "email"),
    ("email", ["a@example.com"], "email"),
    ("firstName", 5, "firstName"),
    ("lastName", ["Doe"], "lastName"),
    ("websiteId", 5, "websiteId"),
    ("websiteId", True, "websiteId"),
    ("personId", 1.5, "personId"),
    ("preferredPayoutInstrumentId", {"id": "inst_1"}, "preferredPayoutInstrumentId"),
    ("defaultPaymentInstrumentId", ["inst_1"], "defaultPaymentInstrumentId"),
    ("paymentToken", 5, "paymentToken"),
    ("locale", 5, "locale"),
    ("locale", ["en"], "locale"),
    ("isEddRequired", "true", "isEddRequired"),
    ("customFields", 5, "customFields"),
    ("customFields", True, "customFields"),
    ("primaryAddress", "36 Craven St", "primaryAddress"),
    ("primaryAddress", [], "primaryAddress"),
    ("primaryAddress", 5, "primaryAddress"),
    ("taxNumbers", "GB123456789", "taxNumbers"),
    ("taxNumbers", {"type": "eu-vat", "value": "GB1"}, "taxNumbers"),
    ("notificationEmails", "billing@example.com", "notificationEmails"),
    ("notificationEmails", {"to": "billing@example.com"}, "notificationEmails"),
    ("tags", "vip", "tags"),
    ("tags", {"name": "vip", "type": "customer"}, "tags"),
    ("leadSource", "google", "leadSource"),
    ("leadSource", ["google"], "leadSource"),
    ("leadSource", 5, "leadSource"),
])
def test_wrong_json_type_for_a_writable_field(client, app, field, value, path):
    response = client.post("/customers", {field: value})

    invalid = assert_validation_error(response, path)
    assert [entry["field"] for entry in invalid] == [path]
    assert stored(app) == 0


@pytest.mark.parametrize("field, value, path", [
    ("firstName", 5, "primaryAddress.firstName"),
    ("country", ["GB"], "primaryAddress.country"),
    ("postalCode", 12345, "primaryAddress.postalCode"),
    ("emails", {"label": "main", "value": "a@example.com"}, "primaryAddress.emails"),
    ("phoneNumbers", "+1 555 0100", "primaryAddress.phoneNumbers"),
    ("jobTitle", False, "primaryAddress.jobTitle"),
])
def test_wrong_json_type_inside_the_primary_address(client, app, field, value, path):
    response = client.post("/customers", {"primaryAddress": {field: value}})

    assert_validation_error(response, path)
    assert stored(app) == 0


def test_unknown_payment_token_is_rejected_on_payment_token(client, app):
    response = client.post("/customers", {"paymentToken": "tok_DOES_NOT_EXIST",
                                          "tags": [TAG], "leadSource": {"source": "google"}})

    invalid = assert_validation_error(response, "paymentToken")
    assert [entry["field"] for entry in invalid] == ["paymentToken"]
    assert stored(app) == 0
    assert stored(app, "tags") == 0
    assert stored(app, "lead-sources") == 0


def test_default_payment_instrument_id_on_create_is_rejected(client, app):
    response = client.post("/customers", {"defaultPaymentInstrumentId": "inst_NOT_OURS",
                                          "tags": [TAG], "leadSource": {"source": "google"}})

    invalid = assert_validation_error(response, "defaultPaymentInstrumentId")
    assert [entry["field"] for entry in invalid] == ["defaultPaymentInstrumentId"]
    assert stored(app) == 0
    assert stored(app, "tags") == 0
    assert stored(app, "lead-sources") == 0


def test_every_failing_field_is_listed(client, app):
    response = client.post("/customers", {
        "email": "nope",
        "locale": "english!",
        "isEddRequired": 1,
        "websiteId": "w" * 51,
        "customFields": [],
        "notificationEmails": ["ok@example.com", "nope"],
        "primaryAddress": {
            "firstName": "",
            "country": "gb",
            "dob": "17-01-1706",
            "emails": [EMAIL, {"label": "work"}],
            "phoneNumbers": [{"label": "main", "value": "1" * 51}],
        },
        "taxNumbers": [TAX_NUMBER, {"type": "vat", "value": "X"}],
        "tags": [{"name": "vip!"}],
        "leadSource": {"referrer": "nope", "medium": "m" * 513},
    })

    expected = {
        "email", "locale", "isEddRequired", "websiteId", "customFields", "notificationEmails.1",
        "primaryAddress.firstName", "primaryAddress.country", "primaryAddress.dob",
        "primaryAddress.emails.1.value", "primaryAddress.phoneNumbers.0.value",
        "taxNumbers.1.type", "tags.0.name", "tags.0.type", "leadSource.referrer",
        "leadSource.medium",
    }
    invalid = assert_validation_error(response, *expected)
    assert {entry["field"] for entry in invalid} == expected
    assert str(len(invalid)) in response.get_json()["detail"]
    assert stored(app) == 0
    assert stored(app, "tags") == 0
    assert stored(app, "lead-sources") == 0


def test_a_single_failure_is_named_in_the_detail(client):
    response = client.post("/customers", {"primaryAddress": {"country": "gb"}})

    assert_validation_error(response, "primaryAddress.country")
    assert "primaryAddress.country" in response.get_json()["detail"]


def test_a_rejected_create_leaves_earlier_customers_alone(client, app):
    assert_created(client.post("/customers", full_customer()))
    tags_before = stored(app, "tags")

    response = client.post("/customers", full_customer(
        tags=[{"name": "brand-new", "type": "customer"}], locale="english!"))

    assert_validation_error(response, "locale")
    assert stored(app) == 1
    assert stored(app, "tags") == tags_before
    assert stored(app, "lead-sources") == 1


def test_unknown_fields_are_ignored_by_default(client, app):
    response = client.post("/customers", {
        "nickname": "Benny",
        "email": "ben@example.com",
        "primaryAddress": {"firstName": "Ben", "nickname": "Benny",
                           "emails": [{**EMAIL, "kind": "home"}]},
        "tags": [{**TAG, "color": "gold"}],
        "taxNumbers": [{**TAX_NUMBER, "country": "GB"}],
        "leadSource": {"source": "google", "utm": "x"},
    })

    customer = assert_created(response)
    assert "nickname" not in customer
    assert "nickname" not in customer["primaryAddress"]
    assert "kind" not in customer["primaryAddress"]["emails"][0]
    assert "color" not in customer["tags"][0]
    assert "country" not in customer["taxNumbers"][0]
    assert stored(app) == 1


class TestStrictMode:
    """With ``strict`` on, unknown fields are a 422; server-owned ones are still tolerated."""

    @pytest.fixture
    def app_config(self):
        return {"strict": True}

    @pytest.mark.parametrize("body, field", [
        ({"nickname": "Benny"}, "nickname"),
        ({"Email": "a@example.com"}, "Email"),
        ({"primaryAddress": {"nickname": "Benny"}}, "primaryAddress.nickname"),
        ({"primaryAddress": {"emails": [EMAIL, {**EMAIL, "kind": "home"}]}},
         "primaryAddress.emails.1.kind"),
        ({"primaryAddress": {"phoneNumbers": [{**PHONE, "ext": "12"}]}},
         "primaryAddress.phoneNumbers.0.ext"),
        ({"tags": [TAG, {**TAG, "color": "gold"}]}, "tags.1.color"),
        ({"taxNumbers": [{**TAX_NUMBER, "country": "GB"}]}, "taxNumbers.0.country"),
        ({"leadSource": {"source": "google", "utm": "x"}}, "leadSource.utm"),
    ])
    def test_unknown_field_is_rejected(self, client, app, body, field):
        response = client.post("/customers", body)

        invalid = assert_validation_error(response, field)
        assert invalid == [{"field": field, "message": "Unknown field."}]
        assert stored(app) == 0

    def test_unknown_and_invalid_fields_are_listed_together(self, client, app):
        response = client.post("/customers", {
            "nickname": "Benny", "locale": "english!",
            "primaryAddress": {"nickname": "Benny", "country": "gb"}})

        invalid = assert_validation_error(
            response, "nickname", "locale", "primaryAddress.nickname", "primaryAddress.country")
        assert len(invalid) == 4
        assert stored(app) == 0

    def test_server_owned_fields_are_still_accepted(self, client, app):
        body = full_customer(**SERVER_OWNED)
        body["primaryAddress"]["hash"] = "0" * 40
        body["tags"] = [{**TAG, "id": "tag_CLIENT", "createdTime": "2001-01-01T00:00:00+00:00",
                         "updatedTime": "2001-01-01T00:00:00+00:00",
                         "_links": [{"rel": "self", "href": "http://evil.example/tags/vip"}]}]
        body["taxNumbers"] = [{**TAX_NUMBER, "isValid": True}]
        body["leadSource"] = {"source": "google", "id": "cus_CLIENT", "customerId": "cus_CLIENT"}

        customer = assert_created(client.post("/customers", body))
        assert customer["id"] != SERVER_OWNED["id"]
        assert customer["primaryAddress"]["hash"] != "0" * 40
        assert customer["tags"][0]["id"] != "tag_CLIENT"
        assert customer["taxNumbers"][0].get("isValid") is not True
        assert stored(app) == 1

    def test_known_fields_alone_are_accepted(self, client):
        assert_created(client.post("/customers", full_customer()))
