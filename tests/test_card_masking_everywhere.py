"""Card numbers and CVVs are masked wherever a request carries them: query string, path, header
values, form-encoded and other non-JSON bodies, and JSON bodies; written plain, spaced, dashed
or dotted. The request journal, the dashboard and the log line never show them, and the journal
never keeps them. Free text keeps everything else the merchant sent."""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import quote

import pytest
from helpers import API_KEY
from hypothesis import given, settings
from hypothesis import strategies as st

from rebilly_sandbox.requestjournal import (
    RequestJournal,
    mask_card_data,
    mask_card_numbers,
    may_hold_card_data,
)

KEY = {"REB-APIKEY": API_KEY}
DIGITS = "4929112159059107"
MASKED = "************9107"
CVV = "987"
#: The same card number as people write it.
WRITTEN = {
    "plain": DIGITS,
    "spaced": "4929 1121 5905 9107",
    "dashed": "4929-1121-5905-9107",
    "dotted": "4929.1121.5905.9107",
}
FORMS = pytest.mark.parametrize("written", list(WRITTEN.values()), ids=list(WRITTEN))


def _journal(app) -> list[dict]:
    response = app.test_client().get("/__admin/requests", headers=KEY)
    assert response.status_code == 200
    return response.get_json()


def _no_card_digits(text: str) -> bool:
    """Neither the number (with or without separators) nor a long piece of it is in ``text``."""
    joined = re.sub(r"(?<=\d)(?:[ .+-]|%20|%2[DEde])(?=\d)", "", text)
    return DIGITS[:8] not in joined and "5905" not in joined


def _dashboard(app) -> str:
    namespace = app.extensions["sandbox"].namespace_for(API_KEY).id
    response = app.test_client().get(f"/__admin/?namespace={namespace}")
    assert response.status_code == 200
    shown = response.get_data(as_text=True)
    return shown[shown.index('id="requests"'):shown.index('id="deliveries"')]


def _kept(app) -> str:
    """The request data the journal holds of its newest entry (method, path, query, headers,
    body), before any reader masks or redacts: not its time or duration, whose digits could
    pass for a piece of a card number."""
    state = app.extensions["sandbox"]
    raw = state.journal._entries[state.namespace_for(API_KEY).id][-1]
    return repr(raw[2:7])


# --- query string ------------------------------------------------------------------------------

@FORMS
@pytest.mark.parametrize("encode", [quote, lambda text: text.replace(" ", "+")],
                         ids=["percent", "plus"])
def test_a_card_number_and_cvv_in_a_query_string_are_masked(app, written, encode):
    app.test_client().get(f"/customers?q={encode(written)}&cvv={CVV}&limit=5", headers=KEY)

    [entry] = _journal(app)
    assert _no_card_digits(entry["query"]) and CVV not in entry["query"]
    assert MASKED in entry["query"] and "cvv=***" in entry["query"]
    assert "limit=5" in entry["query"], "the rest of the query stays as sent"
    assert _no_card_digits(_kept(app)) and f"cvv={CVV}" not in _kept(app)
    dashboard = _dashboard(app)
    assert _no_card_digits(dashboard) and MASKED in dashboard and "cvv=***" in dashboard


@pytest.mark.parametrize("key", ["pan", "cardNumber", "card%5Bnumber%5D", "card[number]"])
def test_a_card_number_under_a_card_key_in_a_query_string_keeps_its_last_four(app, key):
    app.test_client().get(f"/customers?{key}=4929%201121%205905%209107", headers=KEY)

    [entry] = _journal(app)
    assert _no_card_digits(entry["query"]) and entry["query"].endswith("9107")


@pytest.mark.parametrize("key", ["cvc", "CVV2", "securityCode", "card%5Bcvv%5D", "card.cvv"])
def test_a_cvv_under_any_cvv_key_in_a_query_string_is_masked(app, key):
    app.test_client().get(f"/customers?{key}={CVV}", headers=KEY)

    [entry] = _journal(app)
    assert entry["query"] == f"{key}=***"


# --- path --------------------------------------------------------------------------------------

@FORMS
def test_a_card_number_in_a_path_is_masked_in_the_journal_dashboard_and_log(app, written,
                                                                            caplog):
    caplog.set_level(logging.INFO, logger="sandbox.requests")

    response = app.test_client().get(f"/customers/{quote(written)}", headers=KEY)

    assert response.status_code == 404
    [entry] = _journal(app)
    assert entry["path"] == f"/customers/{MASKED}"
    assert _no_card_digits(_kept(app))
    dashboard = _dashboard(app)
    assert _no_card_digits(dashboard) and f"/customers/{MASKED}" in dashboard
    [line] = [record.getMessage() for record in caplog.records
              if record.name == "sandbox.requests" and "/customers/" in record.getMessage()]
    assert _no_card_digits(line) and f"/customers/{MASKED} 404" in line


# --- headers -----------------------------------------------------------------------------------

@FORMS
def test_a_card_number_in_any_header_value_is_masked(app, written):
    app.test_client().get("/customers", headers={
        **KEY, "X-Note": f"paid with {written}", "User-Agent": f"shop/1.0 ({written})"})

    [entry] = _journal(app)
    assert entry["headers"]["X-Note"] == f"paid with {MASKED}"
    assert entry["headers"]["User-Agent"] == f"shop/1.0 ({MASKED})"
    assert _no_card_digits(json.dumps(entry["headers"])) and _no_card_digits(_kept(app))


@pytest.mark.parametrize(("name", "shown"), [
    ("X-Cvv", "***"), ("X-Card-Cvc", "***"), ("X-Security-Code", "***"),
    ("X-Card-Number", "*" * 15 + "9107"),  # a card key's value keeps its length, as in JSON
])
def test_a_header_named_for_card_data_is_masked(app, name, shown):
    value = CVV if shown == "***" else WRITTEN["spaced"]
    app.test_client().get("/customers", headers={**KEY, name: value})

    [entry] = _journal(app)
    assert entry["headers"][name] == shown
    assert f"'{value}'" not in _kept(app)


def test_credentials_are_still_redacted_not_masked(app):
    app.test_client().get("/customers", headers=KEY)

    [entry] = _journal(app)
    assert entry["headers"]["Reb-Apikey"] == "sk_sandbox_…cdef"


# --- bodies ------------------------------------------------------------------------------------

@FORMS
def test_a_form_encoded_body_is_masked(app, written):
    app.test_client().post("/customers", headers=KEY, data={
        "pan": written, "cvv": CVV, "note": f"card {written}", "email": "a@example.com"})

    [entry] = _journal(app)
    body = entry["body"]
    assert _no_card_digits(body) and CVV not in body
    assert "cvv=***" in body and body.count("9107") == 2
    assert "email=a@example.com" in body, "the rest of the form stays as sent"
    assert _no_card_digits(_kept(app)) and CVV not in _kept(app)


@FORMS
def test_a_plain_text_body_is_masked(app, written):
    app.test_client().post("/customers", headers={**KEY, "Content-Type": "text/plain"},
                           data=f"card {written} cvv={CVV} pan={written}".encode())

    [entry] = _journal(app)
    assert entry["body"] == f"card {MASKED} cvv=*** pan={MASKED}"
    assert _no_card_digits(_kept(app))


@FORMS
def test_a_card_number_in_json_free_text_is_masked(app, written):
    app.test_client().post("/customers", headers=KEY, json={
        "email": "a@example.com", "customFields": {"note": f"paid with {written}"},
        "primaryAddress": {"address": "12 Main St", "postalCode": "10001"}})

    [entry] = _journal(app)
    assert _no_card_digits(entry["body"]) and MASKED in entry["body"]
    assert "12 Main St" in entry["body"] and "10001" in entry["body"]
    assert _no_card_digits(_kept(app))


@pytest.mark.parametrize("text", [
    "order 1234.5678.9012.3457",  # no 13-19 digits of it pass the Luhn check
    "call 555-0100-1234",  # too short for one
    "v1.2.3 build 2026.01.02",
])
def test_free_text_keeps_digits_that_are_not_a_card_number(app, text):
    app.test_client().post("/customers", headers=KEY,
                           json={"customFields": {"note": text}})

    [entry] = _journal(app)
    assert json.loads(entry["body"])["customFields"]["note"] == text


#: Amounts whose digits, read across the decimal point, would pass the Luhn check.
@pytest.mark.parametrize("amount", [229944532028.73, 632979068556.13, 1234567890123])
def test_a_decimal_point_is_not_a_card_number_separator(amount):
    body = json.dumps({"amount": amount, "currency": "USD"}).encode()

    assert json.loads(mask_card_data(body))["amount"] == amount


# --- the cheap check before a body is kept ------------------------------------------------------

@pytest.mark.parametrize("body", [
    *(f'{{"note": "{written}"}}'.encode() for written in WRITTEN.values()),
    b"pan=4929+1121+5905+9107", b"note=4929%201121%205905%209107", b"cvv=987",
    b"card%5Bcvv%5D=987", b"a=1&Card[CVC]=987", b"card.securityCode=987",
])
def test_every_form_of_card_data_is_masked_before_the_body_is_kept(body):
    journal = RequestJournal()
    journal.record("ns", time="t", method="POST", path="/customers", query="", headers=[],
                   body=body, status=400, duration_ms=1.0)

    assert may_hold_card_data(body)
    assert journal._entries["ns"][-1][6] == mask_card_data(body)
    assert b"987" not in journal._entries["ns"][-1][6]
    assert not re.search(rb"5905", journal._entries["ns"][-1][6])


#: Pieces of text that card data and its near misses are made of.
PIECES = [*WRITTEN.values(), "4111+1111+1111+1111", "4111%201111%201111%201111",
          "1234.5678.9012.3457", "cvv=", "Card[CVC]=", "card%5Bcvv%5D=", "pan=", "number=",
          '"cvv": ', '"pan":"', "&", "=", " ", ".", "-", "+", "%20", "12", "0", "x", '"', "\n"]


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(text=st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
def test_no_card_number_survives_and_the_cheap_check_misses_nothing_masking_changes(text):
    body = text.encode()
    masked = mask_card_data(body)

    assert mask_card_numbers(masked.decode()) == masked.decode(), "nothing left to mask"
    if not may_hold_card_data(body):
        try:
            assert json.loads(masked) == json.loads(body)
        except ValueError:
            assert masked == body
