"""Payment instruments and transactions under what the sandbox already promises: kill -9,
snapshots, export (admin and CLI), reset, namespaces, the request journal, faults, rate limits."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests
from helpers import API_KEY, OTHER_KEY, LiveSandbox

WEBSITE = "web_shop"
PAN = "4111111111111111"


def card(pan: str = PAN, cvv: str = "123", year: int = 2030) -> dict:
    return {"method": "payment-card", "pan": pan, "cvv": cvv, "expMonth": 12, "expYear": year}


def sale(customer_id: str, instruction: dict, amount: float = 10, **extra) -> dict:
    return {"type": "sale", "customerId": customer_id, "websiteId": WEBSITE, "currency": "USD",
            "amount": amount, "paymentInstruction": instruction, **extra}


def checkout(sandbox: LiveSandbox, key: str = API_KEY) -> tuple[str, str, str]:
    """A customer, a saved card and an approved sale: (customer, instrument, transaction)."""
    customer = sandbox.post("/customers", {"email": "c@example.com"}, key=key).json()["id"]
    instrument = sandbox.post("/payment-instruments", {
        **card(), "customerId": customer, "billingAddress": {"firstName": "Ada"}}, key=key)
    assert instrument.status_code == 201, instrument.text
    charged = sandbox.post("/transactions", sale(
        customer, {"paymentInstrumentId": instrument.json()["id"]}), key=key)
    assert charged.status_code == 201, charged.text
    return customer, instrument.json()["id"], charged.json()["id"]


@pytest.fixture
def served(tmp_path):
    sandbox = LiveSandbox(str(tmp_path / "db.json"), "--rate-limit", "0").start()
    yield sandbox
    sandbox.stop()


def _pay_and_refund(sandbox: LiveSandbox, customer: str, sales: list, refunds: list,
                    stop: threading.Event) -> None:
    session = requests.Session()
    headers = {"REB-APIKEY": API_KEY}
    while not stop.is_set():
        try:
            response = session.post(sandbox.url + "/transactions", headers=headers, timeout=5,
                                    json=sale(customer, card(), amount=4))
            if response.status_code != 201:
                continue
            parent = response.json()["id"]
            sales.append(parent)
            refund = session.post(f"{sandbox.url}/transactions/{parent}/refund",
                                  headers=headers, timeout=5, json={"amount": 1})
            if refund.status_code == 201:
                refunds.append((parent, refund.json()["id"]))
        except requests.RequestException:
            return


def test_kill_9_loses_no_acknowledged_transaction_or_refund(tmp_path):
    db = str(tmp_path / "db.json")
    sales: list[str] = []
    refunds: list[tuple[str, str]] = []
    sandbox = LiveSandbox(db, "--rate-limit", "0").start()
    customer = sandbox.post("/customers", {"email": "k@example.com"}).json()["id"]
    for round_ in range(2):
        if sandbox.process.poll() is not None:
            sandbox = LiveSandbox(db, "--rate-limit", "0",
                                  "--journal-compact-bytes", "100000").start()
        stop = threading.Event()
        writers = [threading.Thread(target=_pay_and_refund,
                                    args=(sandbox, customer, sales, refunds, stop))
                   for _ in range(4)]
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 30
        while len(refunds) < 40 * (round_ + 1) and time.monotonic() < deadline:
            time.sleep(0.05)
        sandbox.stop(signal.SIGKILL)
        stop.set()
        for writer in writers:
            writer.join(timeout=10)

    assert len(refunds) >= 40
    sandbox = LiveSandbox(db).start()
    try:
        lost = [txn for txn in sales if sandbox.get(f"/transactions/{txn}").status_code != 200]
        wrong = []
        for parent, child in refunds:
            stored = sandbox.get(f"/transactions/{parent}").json()
            if child not in stored["childTransactions"] \
                    or stored["status"] != "partially-refunded" \
                    or sandbox.get(f"/transactions/{child}").status_code != 200:
                wrong.append(parent)
    finally:
        sandbox.stop()
    assert lost == []
    assert wrong == []


def test_snapshot_restores_cards_and_payments(served):
    admin = served.admin()
    customer, instrument, transaction = checkout(served)
    admin.save_snapshot("paid")

    served.post(f"/transactions/{transaction}/refund", {"amount": 10})
    served.post(f"/payment-instruments/{instrument}/deactivation")
    served.post("/transactions", sale(customer, card()))
    admin.restore_snapshot("paid")

    assert served.get(f"/transactions/{transaction}").json()["status"] == "completed"
    assert served.get(f"/payment-instruments/{instrument}").json()["status"] == "active"
    assert served.get("/transactions").headers["Pagination-Total"] == "1"
    again = served.post(f"/transactions/{transaction}/refund", {"amount": 10})
    assert again.status_code == 201


def test_export_by_admin_and_cli_holds_cards_and_payments_and_no_card_profile(served):
    customer, instrument, transaction = checkout(served)
    served.post("/transactions", sale(customer, card("4000000000000002")))
    served.post("/transactions", sale(customer, card(cvv="000", year=2031)))

    exported = served.admin().export()
    cli = subprocess.run([sys.executable, "-m", "rebilly_sandbox", "export", "--url", served.url,
                          "--namespace", API_KEY], capture_output=True, text=True, timeout=30)

    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout) == exported
    assert instrument in {entry["id"] for entry in exported["paymentInstruments"]}
    assert transaction in {entry["id"] for entry in exported["transactions"]}
    text = json.dumps(exported)
    for hidden in ("card-profiles", "cvvFailed", "cvvChecked", "expiryFailed", "outcome"):
        assert hidden not in text, hidden
    other = served.admin(OTHER_KEY)
    other.load_fixtures(inline=exported)
    copied = served.get("/transactions", key=OTHER_KEY).json()
    original = served.get("/transactions").json()
    assert len(original) == 3
    assert {t["id"]: (t["result"], t["gateway"]["response"]["code"]) for t in copied} == \
        {t["id"]: (t["result"], t["gateway"]["response"]["code"]) for t in original}


def test_reset_clears_cards_and_payments(served):
    customer, instrument, transaction = checkout(served)

    served.admin().reset()

    assert served.get(f"/transactions/{transaction}").status_code == 404
    assert served.get(f"/payment-instruments/{instrument}").status_code == 404
    assert served.get("/transactions").json() == []
    assert served.get("/payment-instruments").json() == []


def test_another_key_never_sees_cards_or_payments(served):
    customer, instrument, transaction = checkout(served)

    assert served.get(f"/transactions/{transaction}", key=OTHER_KEY).status_code == 404
    assert served.get(f"/payment-instruments/{instrument}", key=OTHER_KEY).status_code == 404
    assert served.post(f"/transactions/{transaction}/refund", {"amount": 1},
                       key=OTHER_KEY).status_code == 404
    assert served.get("/transactions", key=OTHER_KEY).json() == []
    assert served.get("/payment-instruments", key=OTHER_KEY).json() == []
    charged = served.post("/transactions", sale(customer, {"paymentInstrumentId": instrument}),
                          key=OTHER_KEY)
    assert charged.status_code == 422


def test_the_journal_masks_card_data_and_answers_never_show_the_card_profile(served):
    customer = served.post("/customers", {"email": "j@example.com"}).json()["id"]

    charged = served.post("/transactions", sale(customer, card(cvv="987")))

    assert charged.status_code == 201
    entry = served.admin().requests(method="POST", path="/transactions")[0]
    body = json.dumps(entry)
    assert PAN not in body and "987" not in body
    assert "1111" in body  # the last four stay, as on every card route
    for answer in (charged.json(), served.get("/payment-instruments").json(),
                   served.get(f"/transactions/{charged.json()['id']}").json()):
        text = json.dumps(answer)
        for hidden in ("cvvFailed", "cvvChecked", "expiryFailed", "card-profiles"):
            assert hidden not in text, hidden


def test_fault_header_before_and_after_commit_on_transactions(served):
    customer = served.post("/customers", {"email": "f@example.com"}).json()["id"]

    failed = served.post("/transactions", sale(customer, card(), requestId="order-1"),
                         headers={"X-Sandbox-Fault": "status=503"})
    assert failed.status_code == 503
    assert served.get("/transactions").json() == []

    lost = served.post("/transactions", sale(customer, card(), requestId="order-1"),
                       headers={"X-Sandbox-Fault": "status=502; afterCommit=true"})
    assert lost.status_code == 502
    stored = served.get("/transactions").json()
    assert len(stored) == 1
    retry = served.post("/transactions", sale(customer, card(), requestId="order-1"))
    assert retry.status_code == 409
    assert stored[0]["id"] in retry.json()["detail"]
    assert served.get("/transactions").headers["Pagination-Total"] == "1"


def test_rate_limit_counts_transaction_writes(tmp_path):
    sandbox = LiveSandbox(str(tmp_path / "db.json"), "--rate-limit", "3").start()
    try:
        customer = sandbox.post("/customers", {"email": "r@example.com"}).json()["id"]
        answers = [sandbox.post("/transactions", sale(customer, card())).status_code
                   for _ in range(3)]
        listed = sandbox.get("/transactions").json()
    finally:
        sandbox.stop()
    assert answers[:2] == [201, 201]
    assert answers[2] == 429
    assert len(listed) == 2
