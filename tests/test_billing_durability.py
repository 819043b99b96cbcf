"""The billing clock in the real server: a year's advance over many orders killed with kill -9
part-way loses no renewal and charges none twice, and the restarted server goes on from where
it stopped; other namespaces are answered while an advance runs."""

from __future__ import annotations

import signal
import threading
import time

import pytest
import requests
from billing_helpers import orders_fixture_set
from helpers import API_KEY, OTHER_KEY, LiveSandbox

pytestmark = [pytest.mark.served, pytest.mark.slow]

ORDERS = 150
START = "2030-01-01T00:00:00Z"


def total(sandbox: LiveSandbox, path: str, key: str = API_KEY) -> int:
    response = sandbox.get(path, key)
    assert response.status_code == 200, response.text
    return int(response.headers["Pagination-Total"])


def test_kill_9_during_a_years_advance_loses_and_repeats_nothing(tmp_path):
    db = str(tmp_path / "db.json")
    first = LiveSandbox(db, "--rate-limit", "0").start()
    try:
        admin = first.admin()
        admin.freeze_clock(START)
        assert admin.load_fixtures(inline=orders_fixture_set(ORDERS))["loaded"]["subscriptions"] \
            == ORDERS
        mover = threading.Thread(target=_advance_ignoring_the_kill, args=(first,), daemon=True)
        mover.start()
        deadline = time.monotonic() + 30
        while total(first, "/invoices?filter=type:renewal&limit=1") < 200:
            assert time.monotonic() < deadline, "no renewal was made"
            assert first.get("/customers?limit=1", OTHER_KEY).status_code == 200
        assert mover.is_alive(), "the advance ended before the kill; raise ORDERS"
    finally:
        first.stop(signal.SIGKILL)
    mover.join(10)

    second = LiveSandbox(db, "--rate-limit", "0").start()
    try:
        assert second.admin().clock()["now"] == "2031-01-01T00:00:00+00:00"
        deadline = time.monotonic() + 60
        while total(second, "/subscriptions?filter=rebillNumber:13&limit=1") < ORDERS:
            assert time.monotonic() < deadline, "the restarted server did not catch up"
            time.sleep(0.2)
        assert total(second, "/invoices?filter=type:renewal&limit=1") == ORDERS * 12
        assert total(second, "/invoices?filter=status:paid&limit=1") == ORDERS * 13
        assert total(second, "/transactions?limit=1") == ORDERS * 13
        renewals = second.get("/invoices?filter=type:renewal&limit=1000").json()
        assert all(len(bill["transactions"]) == 1 for bill in renewals)
    finally:
        second.stop()


def _advance_ignoring_the_kill(sandbox: LiveSandbox) -> None:
    try:
        requests.post(f"{sandbox.url}/__admin/clock", headers={"REB-APIKEY": API_KEY},
                      json={"action": "advance", "seconds": 365 * 86400}, timeout=120)
    except requests.RequestException:
        pass  # killed part-way, as intended
