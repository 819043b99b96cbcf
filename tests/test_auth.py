"""Credentials: 401s that say why without echoing the key, JWTs, key lists, namespace isolation."""

from __future__ import annotations

import pytest
from helpers import API_KEY, OTHER_KEY, assert_problem, stored

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzYW5kYm94LXRlc3QifQ.c2lnbmF0dXJlLTAxMjM0NTY3ODk"


def assert_not_echoed(response, secret: str) -> None:
    """The credential appears neither in the body nor in any response header."""
    assert secret not in response.get_data(as_text=True)
    for name, value in response.headers.items():
        assert secret not in value, name


@pytest.mark.parametrize("headers, secret, detail_part", [
    ({}, None, "No credentials"),
    ({"REB-APIKEY": ""}, None, "empty"),
    ({"REB-APIKEY": "   "}, None, "empty"),
    ({"REB-APIKEY": "sk_sandbox_has space_9f8e7d6c"}, "sk_sandbox_has space_9f8e7d6c",
     "characters"),
    ({"REB-APIKEY": "sk_sandbox_ctrl\x01char_9f8e7d6c"}, "sk_sandbox_ctrl\x01char_9f8e7d6c",
     "characters"),
    ({"REB-APIKEY": "sk_sandbox_tab\tchar_9f8e7d6c"}, "sk_sandbox_tab\tchar_9f8e7d6c",
     "characters"),
    ({"REB-APIKEY": "sk_sandbox_del\x7fchar_9f8e7d6c"}, "sk_sandbox_del\x7fchar_9f8e7d6c",
     "characters"),
    ({"REB-APIKEY": "sk_live_4f8b2c9d1e7a3b5c6d0e9f8e"}, "sk_live_4f8b2c9d1e7a3b5c6d0e9f8e",
     "live"),
    ({"REB-APIKEY": "pk_sandbox_4f8b2c9d1e7a3b5c6d0e"}, "pk_sandbox_4f8b2c9d1e7a3b5c6d0e",
     "publishable"),
    ({"Authorization": "pk_sandbox_4f8b2c9d1e7a3b5c6d0e"}, "pk_sandbox_4f8b2c9d1e7a3b5c6d0e",
     "publishable"),
    ({"Authorization": "pk_live_4f8b2c9d1e7a3b5c6d0e9f8e"}, "pk_live_4f8b2c9d1e7a3b5c6d0e9f8e",
     "live"),
    ({"Authorization": "Bearer notajwt_4f8b2c9d1e7a"}, "notajwt_4f8b2c9d1e7a", "JWT"),
    ({"Authorization": "Bearer "}, None, "JWT"),
    ({"Authorization": "sk_sandbox_4f8b2c9d1e7a3b5c6d0e"}, "sk_sandbox_4f8b2c9d1e7a3b5c6d0e",
     "REB-APIKEY"),
    ({"Authorization": "Basic dXNlcjpwNHNzd29yZA=="}, "dXNlcjpwNHNzd29yZA==", "Bearer"),
    ({"Authorization": ""}, None, "Bearer"),
])
def test_unusable_credentials_are_a_401(client, app, headers, secret, detail_part):
    response = client.with_key(None).post("/customers", {"email": "a@example.com"},
                                           headers=headers)

    problem = assert_problem(response, 401, "Unauthorized")
    assert detail_part in problem["detail"]
    if secret:
        assert_not_echoed(response, secret)
    assert "X-RateLimit-Remaining" not in response.headers


@pytest.mark.parametrize("headers", [
    {},
    {"REB-APIKEY": "sk_live_4f8b2c9d1e7a3b5c6d0e9f8e"},
    {"Authorization": "pk_sandbox_4f8b2c9d1e7a3b5c6d0e"},
])
def test_reads_need_credentials_too(client, headers):
    customer_id = client.post("/customers", {}).get_json()["id"]

    response = client.with_key(None).get(f"/customers/{customer_id}", headers=headers)

    assert_problem(response, 401, "Unauthorized")
    for secret in headers.values():
        assert_not_echoed(response, secret)


def test_a_bad_credential_stores_nothing(client, app):
    key = "sk_live_4f8b2c9d1e7a3b5c6d0e9f8e"
    response = client.with_key(key).post("/customers", {"email": "a@example.com"})

    assert_problem(response, 401, "Unauthorized")
    assert stored(app, key=key) == 0
    assert stored(app, key=API_KEY) == 0


def test_a_jwt_bearer_token_is_accepted_in_its_own_namespace(client, app):
    jwt_client = client.with_key(None)
    bearer = {"Authorization": f"Bearer {JWT}"}

    response = jwt_client.post("/customers", {"email": "jwt@example.com"}, headers=bearer)

    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    customer = response.get_json()
    assert stored(app, key=JWT) == 1
    assert stored(app, key=API_KEY) == 0
    assert jwt_client.get(f"/customers/{customer['id']}", headers=bearer).status_code == 200
    assert_problem(client.get(f"/customers/{customer['id']}"), 404, "Not Found")


def test_secret_key_header_wins_over_authorization(client, app):
    response = client.post("/customers", {}, headers={"Authorization": f"Bearer {JWT}"})

    assert response.status_code == 201
    assert stored(app, key=API_KEY) == 1
    assert stored(app, key=JWT) == 0


class TestConfiguredKeys:
    """With ``api_keys`` set, only those secret keys work."""

    @pytest.fixture
    def app_config(self):
        return {"api_keys": ("sk_sandbox_allowed",)}

    def test_a_configured_key_works(self, client, app):
        response = client.with_key("sk_sandbox_allowed").post("/customers", {})

        assert response.status_code == 201
        assert stored(app, key="sk_sandbox_allowed") == 1

    @pytest.mark.parametrize("key", [
        API_KEY,
        "sk_sandbox_allowed_not",
        "sk_sandbox_allowe",
        "SK_SANDBOX_ALLOWED",
    ])
    def test_any_other_key_is_a_401(self, client, app, key):
        response = client.with_key(key).post("/customers", {})

        problem = assert_problem(response, 401, "Unauthorized")
        assert "configured" in problem["detail"]
        assert_not_echoed(response, key)
        assert stored(app, key=key) == 0


def test_get_returns_what_the_create_returned(client):
    created = client.post("/customers", {"email": "ada@example.com", "tags": [
        {"name": "vip", "type": "customer"}], "leadSource": {"source": "google"}})
    assert created.status_code == 201

    response = client.get(f"/customers/{created.get_json()['id']}")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json() == created.get_json()


def test_get_under_an_organization_prefix_finds_the_same_customer(client):
    customer = client.post("/customers", {"email": "ada@example.com"}).get_json()

    response = client.get(f"/organizations/org_X/customers/{customer['id']}")

    assert response.status_code == 200
    assert response.get_json()["id"] == customer["id"]
    assert response.get_json()["email"] == "ada@example.com"


@pytest.mark.parametrize("path", [
    "/customers/cus_DOES_NOT_EXIST",
    "/customers/cus_DOES_NOT_EXIST/",
    "/organizations/org_X/customers/cus_DOES_NOT_EXIST",
])
def test_unknown_customer_is_a_404(client, path):
    response = client.get(path)

    problem = assert_problem(response, 404, "Not Found")
    assert "cus_DOES_NOT_EXIST" in problem["detail"]


@pytest.mark.parametrize("path", [
    "/customers/{id}",
    "/customers/{id}/",
    "/organizations/org_X/customers/{id}",
])
def test_another_key_cannot_see_a_customer(client, path):
    customer = client.post("/customers", {"email": "private@example.com"}).get_json()

    response = client.with_key(OTHER_KEY).get(path.format(id=customer["id"]))

    assert_problem(response, 404, "Not Found")
    assert "private@example.com" not in response.get_data(as_text=True)
    assert client.get(path.format(id=customer["id"])).status_code == 200


def test_each_key_counts_only_its_own_customers(client, app):
    client.post("/customers", {})
    client.post("/customers", {})
    client.with_key(OTHER_KEY).post("/customers", {})

    assert stored(app, key=API_KEY) == 2
    assert stored(app, key=OTHER_KEY) == 1


def test_tags_are_not_shared_between_keys(client, app):
    tag = {"name": "vip", "type": "customer"}
    first = client.post("/customers", {"tags": [tag]}).get_json()
    second = client.with_key(OTHER_KEY).post("/customers", {"tags": [tag]}).get_json()

    assert first["tags"][0]["id"] != second["tags"][0]["id"]
    assert stored(app, "tags", key=API_KEY) == 1
    assert stored(app, "tags", key=OTHER_KEY) == 1
