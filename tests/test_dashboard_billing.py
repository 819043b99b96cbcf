"""The dashboard's orders and invoices of a namespace: newest first, a bounded number of each,
and only the picked namespace's."""

from __future__ import annotations

import re

import pytest
from conftest import OTHER_KEY
from test_admin import Admin
from test_dashboard import ns, page

from rebilly_sandbox.admin import dashboard

ORDER = "sub_saas_grace_monthly"


def section(shown: str, name: str) -> str:
    start = shown.index(f'id="{name}"')
    return shown[start:shown.index("</section>", start)]


def rows(part: str) -> list[str]:
    return re.findall(r"<tr>.*?</tr>", part, re.S)[1:]


def another_order(client) -> dict:
    """A second order of the saas-shop customer, on the yearly plan."""
    created = client.post("/subscriptions", {
        "orderType": "subscription-order", "customerId": "cus_saas_grace",
        "websiteId": "web_saas_shop", "items": [{"plan": {"id": "plan_saas_yearly"}}]})
    assert created.status_code == 201, created.get_json()
    return created.get_json()


@pytest.fixture
def saas_shop(app, client) -> dict:
    """The saas-shop set loaded; its order as the API shows it."""
    assert Admin(app.test_client()).post("/fixtures/saas-shop").status_code == 201
    return client.get(f"/subscriptions/{ORDER}").get_json()


def test_it_lists_the_orders_and_invoices_of_the_namespace(app, saas_shop):
    shown = page(app, f"?namespace={ns(app)}")

    orders, invoices = section(shown, "orders"), section(shown, "invoices")
    assert ORDER in orders and ">active<" in orders and "plan_saas_monthly" in orders
    assert saas_shop["renewalTime"] in orders
    assert saas_shop["initialInvoiceId"] in invoices
    (row,) = rows(invoices)
    assert "initial" in row and ">paid<" in row and "USD" in row
    assert re.search(r'<td class="num">5</td>\s*<td class="num">0</td>', row), "amount, due"


def test_newest_come_first(app, client, saas_shop):
    newer = another_order(client)

    shown = page(app, f"?namespace={ns(app)}")

    orders, invoices = rows(section(shown, "orders")), rows(section(shown, "invoices"))
    assert newer["id"] in orders[0] and ORDER in orders[1]
    assert newer["initialInvoiceId"] in invoices[0]
    assert saas_shop["initialInvoiceId"] in invoices[1]
    assert "plan_saas_yearly" in orders[0]


def test_it_shows_a_bounded_number_of_each(app, client, saas_shop, monkeypatch):
    monkeypatch.setattr(dashboard, "SHOWN_BILLING", 1)
    newer = another_order(client)

    shown = page(app, f"?namespace={ns(app)}")

    orders, invoices = section(shown, "orders"), section(shown, "invoices")
    assert newer["id"] in orders and ORDER not in orders
    assert "2 in all, newest 1 shown" in orders and "2 in all, newest 1 shown" in invoices
    assert len(rows(orders)) == 1 and len(rows(invoices)) == 1


def test_another_namespace_shows_none_of_them(app, client, saas_shop):
    client.with_key(OTHER_KEY).post("/customers", {})

    shown = page(app, f"?namespace={ns(app, OTHER_KEY)}")

    assert "No orders." in shown and "No invoices." in shown
    assert ORDER not in shown and saas_shop["initialInvoiceId"] not in shown
    assert 'id="orders"' not in page(app), "no namespace picked, no orders"


def test_an_orders_timeline_shows_its_invoices_and_payments_by_time(app, client, saas_shop):
    admin = Admin(app.test_client())
    assert admin.post("/clock", {"action": "advance", "seconds": 50 * 86400}).status_code == 200

    shown = page(app, f"?namespace={ns(app)}&order={ORDER}")
    timeline = section(shown, "timeline")
    times = re.findall(r'<td class="mono">(\d{4}-\d\d-\d\dT[^<]+)</td>', timeline)
    assert times == sorted(times) and len(times) >= 6
    assert timeline.count("renewal invoice") == 2  # the trial's end, then a month later
    assert "initial invoice" in timeline and "approved" in timeline
    missing = page(app, f"?namespace={ns(app)}&order=sub_none")
    assert "No order sub_none in this namespace." in section(missing, "timeline")
