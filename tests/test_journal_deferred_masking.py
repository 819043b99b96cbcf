"""A body kept as sent (nothing to mask in it) reads exactly as a body masked when recorded, and
a body that could hold card data or a secret is still masked before it is kept."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rebilly_sandbox.requestjournal import RequestJournal, mask_card_data, may_hold_card_data

NOW = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)


def record(journal: RequestJournal, body: bytes, path: str = "/customers") -> dict:
    journal.record("ns", time=NOW, method="POST", path=path, query="", headers=[], body=body,
                   status=201, duration_ms=1.0)
    return journal.entries("ns", limit=1)[0]


def kept(journal: RequestJournal) -> bytes:
    """The body bytes the journal holds for its newest entry, before any reader renders them."""
    return journal._entries["ns"][-1][6]


@pytest.mark.parametrize("body", [
    b'{"pan": "4111111111111111"}', b'{"PAN": "4111 1111 1111 1111"}', b'{"Cvv2": "123"}',
    b'{"password": "hunter2"}', b'{"card": {"accountNumber": 4111111111111111}}',
    b'{"\\u0070an": "4111111111111111"}', b'{"n": 4.111111111111111e15}',
    b'{"pa\xc5\xbfsword": "secret"}', b'note 4111-1111-1111-1111',
])
def test_a_body_that_may_hold_card_data_is_masked_before_it_is_kept(body):
    journal = RequestJournal()
    shown = record(journal, body, path="/customers")

    assert may_hold_card_data(body)
    assert kept(journal) == mask_card_data(body)[:journal.max_body_bytes]
    assert shown["body"] == mask_card_data(body).decode("utf-8", errors="replace")


def test_a_plain_body_is_kept_as_sent_and_shown_masked_and_re_encoded():
    body = json.dumps({"email": "a@example.com", "phoneNumbers": [{"value": "+1 555 0100"}]},
                      separators=(",", ":")).encode()
    journal = RequestJournal()
    shown = record(journal, body)

    assert kept(journal) == body
    assert shown["body"] == mask_card_data(body).decode()
    assert shown["time"] == "2026-01-02T03:04:05.678+00:00"
    assert shown["bodyTruncated"] is False


def test_a_plain_body_that_grows_past_the_cap_when_re_encoded_is_shown_cut():
    body = json.dumps([1] * 40, separators=(",", ":")).encode()  # ", " adds 39 bytes
    journal = RequestJournal(max_body_bytes=len(body) + 10)
    shown = record(journal, body)

    assert shown["body"] == mask_card_data(body)[:len(body) + 10].decode()
    assert shown["bodyTruncated"] is True


def test_an_unparseable_plain_body_on_a_card_route_is_still_shown_as_dropped():
    journal = RequestJournal()
    shown = record(journal, b"not json", path="/tokens")

    assert shown["body"] == ""
    assert shown["bodyBytes"] == 8
    assert shown["bodyTruncated"] is True


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["pan", "PAN", "Number", "cvv", "cvc2", "securityCode", "password",
                         "email", "amount", "x"]) | st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(document=json_values, compact=st.booleans(), card_route=st.booleans())
def test_whatever_the_body_the_journal_shows_what_masking_at_record_time_would(
        document, compact, card_route):
    body = json.dumps(document, separators=(",", ":") if compact else None).encode()
    path = "/tokens" if card_route else "/customers"
    journal = RequestJournal(max_body_bytes=64)
    shown = record(journal, body, path)
    masked = mask_card_data(body, card_route=card_route)

    assert shown["body"] == masked[:64].decode("utf-8", errors="replace")
    assert shown["bodyTruncated"] == (len(masked) > 64 or bool(body) and not masked)
