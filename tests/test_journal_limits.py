"""The request journal keeps no card data in any form, and a bounded amount per request; the log
keeps one line per request whatever the client sends."""

from __future__ import annotations

import json
import logging
import re
import sys

import pytest
from conftest import API_KEY

from rebilly_sandbox.requestjournal import RequestJournal, mask_card_data

PAN = "4111111111111111"
KEY = {"REB-APIKEY": API_KEY}


def _journal_text(app) -> str:
    entries = app.test_client().get("/__admin/requests", headers=KEY)
    assert entries.status_code == 200
    return json.dumps(entries.get_json())


def _token_body(card: str) -> bytes:
    return ('{"method":"payment-card","paymentInstrument":{'
            f'{card},"expMonth":1,"expYear":2030}}}}').encode()


def _luhn_runs(text: str) -> list[str]:
    """Every 13-19 digit stretch of ``text`` that passes the Luhn check."""
    found = []
    for run in re.findall(r"\d{13,}", text):
        for length in range(13, min(len(run), 19) + 1):
            for start in range(len(run) - length + 1):
                digits = run[start:start + length]
                total = sum(int(d) if i % 2 == 0 else (int(d) * 2 - 9 if int(d) > 4 else int(d) * 2)
                            for i, d in enumerate(reversed(digits)))
                if total % 10 == 0:
                    found.append(digits)
    return found


def test_escaped_card_keys_are_masked(app):
    response = app.test_client().post("/tokens", headers=KEY, data=_token_body(
        '"p\\u0061n":"4111111111111111","c\\u0076v":"987"'))

    assert response.status_code == 201
    text = _journal_text(app)
    assert PAN not in text and "987" not in text
    assert "************1111" in text


def test_numeric_card_numbers_are_masked(app):
    response = app.test_client().post("/tokens", headers=KEY, data=_token_body(
        '"pan":4111111111111111,"cvv":987'))

    assert response.status_code == 422
    text = _journal_text(app)
    assert PAN not in text and "987" not in text


def test_card_keys_match_whatever_their_case(app):
    app.test_client().post("/customers", headers=KEY, json={
        "email": "a@example.com", "customFields": {"PAN": PAN, "CVV": "4321"}})

    text = _journal_text(app)
    assert PAN not in text and "4321" not in text


def test_a_body_cut_inside_a_card_number_keeps_no_digits_of_it(app):
    max_body = app.extensions["sandbox"].journal.max_body_bytes
    prefix = '{"method":"payment-card","note":"'
    padding = "x" * (max_body - len(prefix) - len('","paymentInstrument":{"pan":"') - 3)
    body = (prefix + padding + '","paymentInstrument":{"pan":"' + PAN
            + '","expMonth":1,"expYear":2030}}').encode()
    assert body.index(PAN.encode()) < max_body < body.index(PAN.encode()) + len(PAN)

    app.test_client().post("/tokens", headers=KEY, data=body)

    text = _journal_text(app)
    assert "4111111111111" not in text and not _luhn_runs(text)


def test_a_card_route_body_that_is_not_json_is_not_kept(app):
    app.test_client().post("/tokens", headers=KEY, data=b'{"pan": "4111111111111111", "cvv": 987')

    entry = app.test_client().get("/__admin/requests", headers=KEY).get_json()[0]
    assert entry["body"] == "" and entry["bodyTruncated"] is True and entry["bodyBytes"] == 38


def test_card_numbers_anywhere_else_are_masked(app):
    app.test_client().post("/customers", headers=KEY, data=b"card 4111 1111 1111 1111 or "
                                                            b"5500-0000-0000-0004 not json")
    app.test_client().post("/customers", headers=KEY, json={
        "email": "a@example.com", "customFields": {"note": "paid with 378282246310005"}})

    text = _journal_text(app)
    assert not _luhn_runs(re.sub(r"[ -]", "", text))
    assert "0004" in text and "0005" in text, "the last four digits stay, to tell cards apart"


@pytest.mark.parametrize("body", [
    b'{"pan": "4111111111111111"}', b'{"Pan": 4111111111111111}',
    b'[{"cardNumber": "5500000000000004"}]', b'{"a": "4111111111111111"}', b'"4111111111111111"',
    b'{"pan": {"x": "4111111111111111"}}',
])
def test_no_form_of_a_card_number_survives_masking(body):
    masked = mask_card_data(body, card_route=True).decode()

    assert not _luhn_runs(masked)


def test_ordinary_bodies_keep_their_content():
    body = b'{"email": "a@example.com", "amount": 1234567890123, "id": "cus_01H"}'

    assert json.loads(mask_card_data(body)) == json.loads(body)


def _stored_size(entry: tuple) -> int:
    headers = entry[5]
    return sys.getsizeof(entry[6]) + sum(len(name) + len(value) for name, value in headers)


def test_headers_kept_per_entry_are_capped():
    journal = RequestJournal(entries_per_namespace=60)
    headers = [(f"X-Big-{number}", "v" * 90_000) for number in range(60)]  # 5.4 MB

    for _ in range(60):
        journal.record("ns", time="t", method="GET", path="/customers", query="",
                       headers=headers, body=b"", status=200, duration_ms=1.0)

    entries = list(journal._entries["ns"])
    assert len(entries) == 60
    assert all(_stored_size(entry) <= journal.max_header_bytes + 100 for entry in entries)
    assert all(len(value) <= journal.max_header_value_bytes for entry in entries
               for _, value in entry[5])
    assert journal.entries("ns", limit=1)[0]["headersTruncated"] is True


def test_many_small_headers_are_capped_in_number():
    journal = RequestJournal()

    journal.record("ns", time="t", method="GET", path="/customers", query="",
                   headers=[(f"X-{number}", "v") for number in range(1000)], body=b"",
                   status=200, duration_ms=1.0)

    entry = journal.entries("ns")[0]
    assert len(entry["headers"]) <= journal.max_headers and entry["headersTruncated"] is True


def test_large_headers_are_cut_in_served_entries(app):
    app.test_client().get("/customers", headers={**KEY, "X-Padding": "p" * 50_000})

    entry = app.test_client().get("/__admin/requests", headers=KEY).get_json()[0]
    assert entry["headersTruncated"] is True
    assert sum(len(name) + len(value) for name, value in entry["headers"].items()) <= 4096 + 100


def test_control_characters_cannot_forge_log_lines(app, caplog):
    caplog.set_level(logging.INFO, logger="sandbox.requests")

    app.test_client().get("/customers/x%0D%0A127.0.0.1 GET /forged 200%1B[31m", headers=KEY)

    lines = [record.getMessage() for record in caplog.records
             if record.name == "sandbox.requests"]
    assert len(lines) == 1
    assert "\n" not in lines[0] and "\r" not in lines[0] and "\x1b" not in lines[0]
    assert "\\r\\n127.0.0.1 GET /forged" in lines[0]
