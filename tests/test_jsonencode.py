"""Compact JSON out: what orjson refuses still encodes, and everything parses back unchanged,
through the encoder, the write-ahead log and the snapshot."""

from __future__ import annotations

import json

import pytest

from rebilly_sandbox.jsonencode import dumps
from rebilly_sandbox.store import Store

NS = "ns_test"
#: Values orjson alone cannot encode (beyond 64 bits, a lone surrogate) beside ones it can.
AWKWARD = [
    {"big": 2**70, "small": -(2**63) - 1},
    {"lone": "a\ud800b"},
    {"text": "Zoë 東京 ✓", "float": 1e16, "tiny": 1e-7, "nested": [{"a": [None, True, 1.5]}]},
]


@pytest.mark.parametrize("value", AWKWARD)
def test_every_value_encodes_compactly_and_parses_back_the_same(value):
    encoded = dumps(value)
    encoded.decode("utf-8")  # always valid UTF-8, whichever encoder wrote it
    assert json.loads(encoded) == value
    assert b", " not in encoded and b": " not in encoded


def test_non_ascii_text_is_sent_as_utf8_not_escaped():
    assert dumps({"city": "Zürich"}) == '{"city":"Zürich"}'.encode()


@pytest.mark.parametrize("closed", [True, False], ids=["snapshot", "write-ahead log"])
def test_awkward_documents_survive_a_restart(tmp_path, closed):
    path = tmp_path / "db.json"
    store = Store(path)
    with store.transaction() as tx:
        for number, value in enumerate(AWKWARD):
            tx.insert(NS, "customers", {"id": f"c{number}", **value})
    store.close() if closed else store.abandon()

    reopened = Store(path)
    try:
        with reopened.transaction() as tx:
            assert [tx.get(NS, "customers", f"c{n}") for n in range(len(AWKWARD))] == [
                {"id": f"c{number}", **value} for number, value in enumerate(AWKWARD)]
    finally:
        reopened.close()


def test_an_answer_holding_a_number_beyond_64_bits_is_valid_json(client):
    # (request bodies refuse lone surrogates, so only the store tests above can hold one)
    body = ('{"websiteId": "web_shop", '
            '"customFields": {"big": 1180591620717411303424, "city": "Zoë"}}')
    created = client.post("/customers", data=body, headers={"Content-Type": "application/json"})
    assert created.status_code == 201, created.get_data(as_text=True)
    shown = client.get(f"/customers/{created.get_json()['id']}")
    for response in (created, shown):
        assert response.mimetype == "application/json"
        assert json.loads(response.get_data())["customFields"] == {
            "big": 2**70, "city": "Zoë"}
