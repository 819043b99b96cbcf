"""Rebilly's official JS SDK (npm ``rebilly-js-sdk``, pinned in tests/sdk), unchanged, against
the served sandbox.

Each scenario script in tests/sdk runs once per module in a fresh namespace and prints one JSON
line: what every SDK call resolved to or threw. The tests assert on that and on the request
journal, which shows what the SDK really sent (paths, query strings, headers).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from rebilly_sandbox.client import SandboxClient
from rebilly_sandbox.testing import LiveServer, new_api_key

SDK_DIR = Path(__file__).parent / "sdk"
NODE = shutil.which("node")
SDK_INSTALLED = (SDK_DIR / "node_modules" / "rebilly-js-sdk" / "package.json").is_file()
#: A whole scenario is a few dozen calls; the SDK gives each call 5 seconds.
SCENARIO_TIMEOUT_SECONDS = 60
ORGANIZATION_ID = "org_sdk_checkout"

pytestmark = [
    pytest.mark.served,
    pytest.mark.skipif(NODE is None, reason="node is not installed: the JS SDK tests need "
                       "Node.js 18 or later and npm (make test then installs the SDK)"),
    pytest.mark.skipif(NODE is not None and not SDK_INSTALLED,
                       reason="rebilly-js-sdk is not installed in tests/sdk/node_modules: "
                       "run `make sdk` (make test does it when node and npm are present)"),
]


def run_scenario(script: str, url: str, api_key: str) -> dict[str, Any]:
    """Run ``tests/sdk/<script>`` and return the JSON line it printed.

    Only PATH goes to node from this environment, so no proxy variable can route the SDK's
    requests away from the sandbox.
    """
    assert NODE is not None
    environment = {"PATH": os.environ.get("PATH", ""), "SDK_BASE_URL": url,
                   "SDK_API_KEY": api_key, "SDK_ORGANIZATION_ID": ORGANIZATION_ID}
    completed = subprocess.run([NODE, str(SDK_DIR / script)], cwd=SDK_DIR, env=environment,
                               capture_output=True, text=True, timeout=SCENARIO_TIMEOUT_SECONDS,
                               check=False)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


class Run:
    """One scenario's results, and the namespace's request journal, oldest first."""

    def __init__(self, results: dict[str, Any], journal: list[dict[str, Any]]):
        self.results = results
        self.journal = journal

    def __getitem__(self, name: str) -> dict[str, Any]:
        return self.results[name]

    def sent(self, method: str, path: str) -> list[dict[str, Any]]:
        return [entry for entry in self.journal
                if entry["method"] == method and entry["path"] == path]

    def lines(self) -> list[str]:
        return [f'{entry["method"]} {entry["path"]} {entry["status"]}' for entry in self.journal]


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer() as live:
        yield live


def scenario_run(server: LiveServer, script: str, api_key: str) -> Run:
    results = run_scenario(script, server.url, api_key)
    journal = SandboxClient(server.url, api_key=api_key).requests()
    return Run(results, list(reversed(journal)))


@pytest.fixture(scope="module")
def customers(server: LiveServer) -> Run:
    return scenario_run(server, "customers.mjs", new_api_key())


def checkout_routes_served(server: LiveServer) -> bool:
    """Asked in a namespace of its own, so the scenario's journal starts empty."""
    response = requests.post(f"{server.url}/payment-instruments", json={},
                             headers={"REB-APIKEY": new_api_key()}, timeout=10)
    return response.status_code != 404


@pytest.fixture(scope="module")
def checkout(server: LiveServer) -> Run:
    if not checkout_routes_served(server):
        pytest.skip("payment instruments/transactions routes not served")
    return scenario_run(server, "checkout.mjs", new_api_key())


# -- customers and tokens --------------------------------------------------------------------


def test_create_without_an_id_posts_to_the_trailing_slash_path(customers):
    created = customers["created"]

    assert created["status"] == 201
    assert created["fields"]["id"].startswith("cus_")
    assert created["fields"]["email"] == "john.doe@example.com"
    posted = customers.sent("POST", "/customers/")[0]
    assert posted["status"] == 201
    assert posted["headers"]["Content-Type"] == "application/json"
    assert posted["headers"]["Reb-Api-Consumer"].startswith("Rebilly/js-sdk@")
    assert posted["headers"]["User-Agent"].startswith("axios/")
    assert posted["headers"]["Reb-Apikey"].startswith("sk_sandbox_")


def test_create_with_an_id_gets_then_puts(customers):
    assert customers["createdWithId"]["status"] == 201
    assert customers["createdWithId"]["fields"]["id"] == "cus_sdk_chosen"
    path = "/customers/cus_sdk_chosen"
    lines = customers.lines()
    first_get = lines.index(f"GET {path} 404")
    assert lines[first_get + 1] == f"PUT {path} 201"
    assert "Content-Type" not in customers.sent("GET", path)[0]["headers"]


def test_create_with_a_taken_id_is_a_conflict_and_sends_no_put(customers):
    again = customers["createdAgainWithId"]

    assert again["error"] == "RebillyConflictError"
    assert again["status"] is None  # raised by the SDK itself after its GET found the customer
    puts = customers.sent("PUT", "/customers/cus_sdk_chosen")
    assert [entry["status"] for entry in puts] == [201]


def test_get_resolves_to_the_stored_customer(customers):
    fetched = customers["fetched"]

    assert fetched["status"] == 200
    assert fetched["fields"]["id"] == "cus_sdk_chosen"
    assert fetched["fields"]["firstName"] == "Jane"


def test_get_all_sends_filter_sort_and_paging_and_reads_the_pagination_headers(customers):
    listed = customers["listed"]

    assert (listed["total"], listed["limit"], listed["offset"]) == (5, 2, 1)
    assert [item["firstName"] for item in listed["items"]] == ["Jane", "Cid"]
    [sent] = customers.sent("GET", "/customers")
    assert sent["query"] == "limit=2&offset=1&filter=lastName:Doe&sort=-firstName"


def test_a_422_is_a_validation_error_with_the_invalid_fields(customers):
    invalid = customers["invalid"]

    assert invalid["error"] == "RebillyValidationError"
    assert invalid["status"] == 422
    assert [field["field"] for field in invalid["invalidFields"]] == ["primaryAddress.country"]
    assert "primaryAddress.country" in invalid["message"]


def test_a_404_is_a_not_found_error(customers):
    missing = customers["missing"]

    assert missing["error"] == "RebillyNotFoundError"
    assert missing["status"] == 404
    assert "cus_does_not_exist" in missing["message"]


def test_a_payment_token_is_made_with_the_secret_key(customers):
    token = customers["token"]

    assert token["status"] == 201
    assert token["fields"]["id"].startswith("tok_")
    assert token["fields"]["paymentInstrument"]["last4"] == "1111"
    assert token["fields"]["paymentInstrument"]["brand"] == "Visa"
    assert customers.sent("POST", "/tokens")[0]["status"] == 201


def test_an_sdk_built_with_an_organization_id_uses_the_prefixed_routes(customers):
    created, fetched = customers["orgCreated"], customers["orgFetched"]
    prefix = f"/organizations/{ORGANIZATION_ID}"

    assert created["status"] == 201
    assert created["fields"]["organizationId"] == ORGANIZATION_ID
    assert fetched["status"] == 200
    assert fetched["fields"]["id"] == created["fields"]["id"]
    self_link = next(link for link in fetched["fields"]["_links"] if link["rel"] == "self")
    assert self_link["href"].endswith(f"{prefix}/customers/{created['fields']['id']}")
    assert customers["orgToken"]["status"] == 201
    assert f"POST {prefix}/customers/ 201" in customers.lines()
    assert f"GET {prefix}/customers/{created['fields']['id']} 200" in customers.lines()
    assert f"POST {prefix}/tokens 201" in customers.lines()


# -- checkout: payment instruments and transactions -----------------------------------------


def test_checkout_token_customer_instrument_sale_and_get(checkout):
    instrument, sale, fetched = (checkout["approvedInstrument"], checkout["sale"],
                                 checkout["saleFetched"])

    assert instrument["status"] == 201
    assert instrument["fields"]["id"].startswith("inst_")
    assert instrument["fields"]["status"] == "inactive"
    assert instrument["fields"]["last4"] == "1111"
    assert sale["status"] == 201
    assert sale["fields"]["id"].startswith("txn_")
    assert (sale["fields"]["type"], sale["fields"]["status"], sale["fields"]["result"]) == (
        "sale", "completed", "approved")
    assert fetched["status"] == 200
    assert fetched["fields"]["id"] == sale["fields"]["id"]
    assert fetched["fields"]["result"] == "approved"
    assert checkout["instrumentAfterSale"]["fields"]["status"] == "active"
    lines = checkout.lines()
    assert "POST /payment-instruments 201" in lines
    assert "POST /transactions 201" in lines
    assert f"GET /transactions/{sale['fields']['id']} 200" in lines


def test_checkout_partial_refund_makes_a_child_and_an_over_refund_is_a_validation_error(checkout):
    sale_id = checkout["sale"]["fields"]["id"]
    refund = checkout["partialRefund"]

    assert refund["status"] == 201
    assert refund["fields"]["type"] == "refund"
    assert refund["fields"]["parentTransactionId"] == sale_id
    assert refund["fields"]["amount"] == 2.99
    assert refund["headers"]["location"].endswith(f"/transactions/{refund['fields']['id']}")
    assert checkout["saleAfterRefund"]["fields"]["status"] == "partially-refunded"
    over = checkout["overRefund"]
    assert over["error"] == "RebillyValidationError"
    assert [field["field"] for field in over["invalidFields"]] == ["amount"]
    assert f"POST /transactions/{sale_id}/refund 201" in checkout.lines()
    assert f"POST /transactions/{sale_id}/refund 422" in checkout.lines()


def test_checkout_declined_card_resolves_with_a_declined_result(checkout):
    declined = checkout["declinedSale"]

    assert declined["status"] == 201
    assert (declined["fields"]["status"], declined["fields"]["result"]) == (
        "completed", "declined")


def test_checkout_sale_captures_an_open_authorize(checkout):
    authorize, capture = checkout["authorize"], checkout["capture"]

    assert authorize["status"] == 201
    assert (authorize["fields"]["type"], authorize["fields"]["result"]) == ("authorize", "approved")
    assert capture["status"] == 201
    assert capture["fields"]["type"] == "capture"
    assert capture["fields"]["result"] == "approved"
    assert capture["fields"]["parentTransactionId"] == authorize["fields"]["id"]


def test_checkout_refund_of_an_authorize_is_a_void(checkout):
    authorize, void = checkout["authorizeToVoid"], checkout["void"]

    assert void["status"] == 201
    assert void["fields"]["type"] == "void"
    assert void["fields"]["parentTransactionId"] == authorize["fields"]["id"]
    assert checkout["voidedAuthorize"]["fields"]["status"] == "voided"


def test_checkout_repeated_request_id_is_a_conflict_error(checkout):
    duplicate = checkout["duplicate"]

    assert duplicate["error"] == "RebillyConflictError"
    assert duplicate["status"] == 409
    assert checkout["sale"]["fields"]["id"] in duplicate["message"]  # names the original
    assert "POST /transactions 409" in checkout.lines()


def test_checkout_approved_payments_move_the_customer_counters(checkout):
    customer = checkout["customerAfterPayments"]["fields"]

    assert customer["paymentCount"] == 2  # the sale and the capture
    assert customer["lastPaymentTime"] is not None


def test_checkout_instruments_list_get_and_deactivation(checkout):
    instruments = checkout["instruments"]
    deactivated = checkout["deactivated"]
    instrument_id = checkout["declinedInstrument"]["fields"]["id"]

    assert instruments["total"] == 1
    assert [item["id"] for item in instruments["items"]] == [
        checkout["approvedInstrument"]["fields"]["id"]]
    assert checkout["instrumentFetched"]["fields"]["id"] == instrument_id
    assert deactivated["status"] == 201
    assert deactivated["fields"]["status"] == "deactivated"
    assert checkout["saleOnDeactivated"]["error"] == "RebillyValidationError"
    [sent] = checkout.sent("POST", f"/payment-instruments/{instrument_id}/deactivation")
    assert sent["status"] == 201
    # The SDK posts no body, and axios then labels the empty body as a form.
    assert sent["headers"]["Content-Length"] == "0"
    assert sent["headers"]["Content-Type"] == "application/x-www-form-urlencoded"


def test_checkout_transactions_list_with_a_filter(checkout):
    declined, sales = checkout["declinedList"], checkout["shopperSales"]

    assert declined["total"] == 1
    assert [item["id"] for item in declined["items"]] == [checkout["declinedSale"]["fields"]["id"]]
    assert (sales["total"], sales["limit"]) == (2, 1)
    assert [item["id"] for item in sales["items"]] == [checkout["sale"]["fields"]["id"]]


# -- websites, products and plans ------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog(server: LiveServer) -> Run:
    return scenario_run(server, "catalog.mjs", new_api_key())


def test_catalog_create_with_an_id_gets_then_puts(catalog):
    assert catalog["website"]["fields"]["id"] == "web_sdk_shop"
    assert catalog["product"]["fields"]["unitLabel"] == "seat"
    plan = catalog["plan"]
    assert (plan["status"], plan["fields"]["id"]) == (201, "plan_sdk_gold_monthly")
    assert plan["fields"]["pricing"]["formula"] == "tiered"
    lines = catalog.lines()
    for path in ("/websites/web_sdk_shop", "/products/prod_sdk_gold",
                 "/plans/plan_sdk_gold_monthly"):
        assert lines[lines.index(f"GET {path} 404") + 1] == f"PUT {path} 201"


def test_catalog_create_without_an_id_posts_and_a_taken_id_is_a_conflict(catalog):
    assert catalog["oneTimePlan"]["status"] == 201
    assert catalog["oneTimePlan"]["fields"]["id"].startswith("plan_")
    assert catalog.sent("POST", "/plans/")[0]["status"] == 201
    assert catalog["planAgain"]["error"] == "RebillyConflictError"


def test_catalog_get_update_and_lists(catalog):
    assert catalog["planGot"]["fields"]["revision"] == 1
    updated = catalog["planUpdated"]
    assert (updated["status"], updated["fields"]["revision"]) == (200, 2)
    plans = catalog["plans"]
    assert (plans["total"], plans["limit"], plans["offset"]) == (2, 10, 0)
    assert {item["name"] for item in plans["items"]} == {"Gold, monthly", "Gold lifetime"}
    [listed] = catalog.sent("GET", "/plans")
    assert set(listed["query"].split("&")) == {"limit=10", "filter=productId:prod_sdk_gold",
                                               "sort=-createdTime"}
    assert [item["id"] for item in catalog["products"]["items"]] == ["prod_sdk_gold"]
    assert [item["id"] for item in catalog["websites"]["items"]] == ["web_sdk_shop"]


def test_catalog_refusals_are_sdk_errors(catalog):
    bad = catalog["badPlan"]
    assert (bad["error"], bad["status"]) == ("RebillyValidationError", 422)
    assert [entry["field"] for entry in bad["invalidFields"]] == ["productId"]
    assert catalog["productInUse"]["error"] == "RebillyConflictError"
    assert catalog["productInUse"]["status"] == 409


# -- invoices ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def invoicing(server: LiveServer) -> Run:
    return scenario_run(server, "invoices.mjs", new_api_key())


def test_invoice_created_by_id_with_items_and_issued_without_a_body(invoicing):
    assert invoicing["invoice"]["fields"]["status"] == "draft"
    lines = invoicing.lines()
    assert lines[lines.index("GET /invoices/in_sdk_1 404") + 1] == "PUT /invoices/in_sdk_1 201"
    assert (invoicing["item"]["status"], invoicing["item"]["fields"]["price"]) == (201, 37.5)
    assert [item["type"] for item in invoicing["items"]["items"]] == ["debit", "credit"]
    issued = invoicing["issued"]
    assert (issued["status"], issued["fields"]["status"], issued["fields"]["amount"]) == (
        201, "unpaid", 35)
    assert invoicing["issuedAgain"]["error"] == "RebillyConflictError"


def test_invoice_paid_in_part_then_in_full_by_transactions(invoicing):
    assert invoicing["partPayment"]["fields"]["invoiceIds"] == ["in_sdk_1"]
    part = invoicing["partlyPaid"]["fields"]
    assert (part["status"], part["amountDue"]) == ("partially-paid", 20)
    over = invoicing["overPayment"]
    assert (over["error"], [entry["field"] for entry in over["invalidFields"]]) == (
        "RebillyValidationError", ["amount"])
    paid = invoicing["paid"]["fields"]
    assert (paid["status"], paid["amountDue"], len(paid["transactions"])) == ("paid", 0, 2)
    assert invoicing["voidPaid"]["error"] == "RebillyConflictError"
    assert [item["id"] for item in invoicing["listed"]["items"]] == ["in_sdk_1"]
