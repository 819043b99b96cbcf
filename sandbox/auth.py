"""Credentials to namespaces: which key a request carried, whether it can work, whose data it sees.

A namespace is derived from the credential (the secret key or the JWT), so two test suites with
two keys share one server without seeing each other's data. The raw credential is never stored
or logged: the namespace id is a hash keyed with the database's own random salt (so an id seen
on the dashboard cannot be tested offline against guessed keys) and the label shows only a
redacted form.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .problems import Unauthorized

__all__ = ("Namespace", "authenticate", "fingerprint", "namespace_for", "redact")

_PRINTABLE_TOKEN = re.compile(r"^[\x21-\x7e]{1,512}$")
_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_KNOWN_PREFIXES = ("sk_sandbox_", "sk_test_", "pk_sandbox_", "pk_test_", "sk_live_", "pk_live_")


@dataclass(frozen=True)
class Namespace:
    """Where a request's data lives: ``id`` keys the store, ``label`` is safe to show."""

    id: str
    label: str


def namespace_for(credential: str, salt: str = "") -> Namespace:
    """The namespace of a credential in the database whose salt is ``salt``.

    The empty salt is the plain SHA-256 that databases made before salting used; any other salt
    keys an HMAC, so the id says nothing about the key to someone without the database.
    """
    data = credential.encode("utf-8")
    digest = (hmac.new(salt.encode("utf-8"), data, hashlib.sha256) if salt
              else hashlib.sha256(data)).hexdigest()
    return Namespace(id="ns_" + digest[:24], label=redact(credential))


@functools.lru_cache(maxsize=1024)
def _known_namespace(credential: str, salt: str) -> Namespace:
    """``namespace_for``, remembered for the credentials seen lately: the keyed hash and the
    redaction are the same every time a credential comes back, which is on every request."""
    return namespace_for(credential, salt)


def fingerprint(namespace_id: str) -> str:
    """A short, stable name for a namespace to show: the first 12 hex digits of its id."""
    return namespace_id.removeprefix("ns_")[:12]


def redact(credential: str) -> str:
    """Show a credential's kind and at most its last four characters, never the secret."""
    prefix = next((p for p in _KNOWN_PREFIXES if credential.startswith(p)), "")
    if not prefix and _JWT.match(credential):
        prefix = "jwt:"
    secret = credential[len(prefix):]
    tail = secret[-4:] if len(secret) >= 16 else ""
    return f"{prefix}…{tail}"


def authenticate(
    headers: Mapping[str, str],
    *,
    allow_publishable: bool = False,
    accepted_keys: Iterable[str] = (),
    salt: str = "",
) -> Namespace:
    """Return the namespace of the request's credential, in the database salted with ``salt``.

    ``REB-APIKEY: <secret key>`` or ``Authorization: Bearer <JWT>``; with ``allow_publishable``
    also ``Authorization: <publishable key>`` (the token routes; FramePay sends it bare,
    Rebilly Instruments after ``Bearer``).

    :raises Unauthorized: when no credential is sent or the one sent can never work here.
    """
    api_key = headers.get("REB-APIKEY")
    authorization = headers.get("Authorization")
    if api_key is not None:
        return _known_namespace(_secret_key(api_key.strip(), accepted_keys), salt)
    if authorization is not None:
        return _known_namespace(_authorization(authorization.strip(), allow_publishable,
                                               accepted_keys), salt)
    raise Unauthorized(
        "No credentials sent: use the REB-APIKEY header with a secret key, "
        "or Authorization: Bearer <JWT>."
    )


def _secret_key(key: str, accepted_keys: Iterable[str]) -> str:
    """The key, once it is one that can work here."""
    if not _PRINTABLE_TOKEN.match(key):
        raise Unauthorized("The REB-APIKEY header is empty or holds characters no key can have.")
    if key.startswith("sk_live_"):
        raise Unauthorized("A live secret key (sk_live_…) cannot be used against a sandbox.")
    if key.startswith("pk_"):
        raise Unauthorized(
            "A publishable key (pk_…) cannot authenticate this request; use a secret key."
        )
    _check_accepted(key, accepted_keys)
    return key


def _authorization(value: str, allow_publishable: bool, accepted_keys: Iterable[str]) -> str:
    """The credential the namespace derives from: the JWT, or the publishable key's secret."""
    scheme, _, token = value.partition(" ")
    if scheme.lower() == "bearer":
        token = token.strip()
        if token.startswith("pk_"):  # Rebilly Instruments sends its publishable key this way
            return _publishable(token, allow_publishable, accepted_keys)
        if not _JWT.match(token):
            raise Unauthorized("The Bearer token is not a JWT (three dot-separated parts).")
        return token
    if value.startswith("pk_"):
        return _publishable(value, allow_publishable, accepted_keys)
    if value.startswith("sk_"):
        raise Unauthorized("Secret keys go in the REB-APIKEY header, not in Authorization.")
    raise Unauthorized("The Authorization header must be 'Bearer <JWT>'.")


def _publishable(value: str, allow_publishable: bool, accepted_keys: Iterable[str]) -> str:
    """The secret key whose namespace a publishable key (FramePay's credential) works in."""
    if value.startswith("pk_live_"):
        raise Unauthorized("A live publishable key (pk_live_…) cannot be used against a sandbox.")
    if not allow_publishable:
        raise Unauthorized(
            "A publishable key (pk_…) only works for payment tokens; "
            "use a secret key in REB-APIKEY."
        )
    if not _PRINTABLE_TOKEN.match(value):
        raise Unauthorized("The publishable key holds characters no key can have.")
    # pk_<rest> shares the namespace of sk_<rest>, so tokens made in a browser with the
    # publishable key are redeemable by the server with the matching secret key.
    secret = "sk_" + value[3:]
    _check_accepted(secret, accepted_keys)
    return secret


def _check_accepted(key: str, accepted_keys: Iterable[str]) -> None:
    accepted = tuple(accepted_keys)
    if not accepted:
        return
    matches = [hmac.compare_digest(key.encode(), known.encode()) for known in accepted]
    if not any(matches):
        raise Unauthorized("Invalid credentials used: this key is not configured.")
