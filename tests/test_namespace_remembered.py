"""A credential seen before maps to the same namespace as a fresh derivation would give, in the
database of the salt it is used with, also past the number of credentials remembered."""

from __future__ import annotations

from rebilly_sandbox.auth import _known_namespace, authenticate, namespace_for


def test_a_credential_seen_again_keeps_its_namespace_per_salt():
    headers = {"REB-APIKEY": "sk_sandbox_remembered_key_0001"}
    first = authenticate(headers, salt="salt-a")
    again = authenticate(headers, salt="salt-a")
    other_db = authenticate(headers, salt="salt-b")

    assert first == again == namespace_for("sk_sandbox_remembered_key_0001", "salt-a")
    assert other_db == namespace_for("sk_sandbox_remembered_key_0001", "salt-b")
    assert other_db.id != first.id


def test_more_credentials_than_remembered_still_get_their_own_namespaces():
    keys = [f"sk_sandbox_many_{number:05d}" for number in range(_known_namespace.cache_info()
                                                                   .maxsize + 50)]
    namespaces = [authenticate({"REB-APIKEY": key}, salt="s") for key in keys * 2]

    assert namespaces == [namespace_for(key, "s") for key in keys * 2]
    assert _known_namespace.cache_info().currsize <= _known_namespace.cache_info().maxsize


def test_a_bearer_jwt_and_its_publishable_twin_are_remembered_apart_from_secret_keys():
    jwt = "aaa.bbb.ccc"
    assert authenticate({"Authorization": f"Bearer {jwt}"}, salt="s") == namespace_for(jwt, "s")
    assert authenticate({"Authorization": "pk_sandbox_twin_key"}, allow_publishable=True,
                        salt="s") == namespace_for("sk_sandbox_twin_key", "s")
