"""The dashboard at /__admin/: what it shows, that it escapes, and how a real browser renders it
(headless Chromium through Playwright, the package's ``sandbox_browser`` fixture)."""

from __future__ import annotations

import configparser
import fnmatch
import html
import re
from pathlib import Path

import pytest
import requests
from conftest import API_KEY, OTHER_KEY, LiveSandbox

from rebilly_sandbox.auth import fingerprint
from rebilly_sandbox.webhook_receiver import WebhookReceiver

SCRIPT = "<script>alert(1)</script>"
ROOT = Path(__file__).resolve().parent.parent


def page(app, query: str = "", headers: dict[str, str] | None = None) -> str:
    response = app.test_client().get(f"/__admin/{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def ns(app, key: str = API_KEY) -> str:
    """The namespace id of ``key`` in the app's database (salted, so only the app knows it)."""
    return app.extensions["sandbox"].namespace_for(key).id


def pill(status: str, tone: str) -> str:
    return f'<span class="pill status-{tone}">{status}</span>'


def test_it_lists_namespaces_by_id_with_counts_and_never_a_key(app, client):
    client.post("/customers", {"email": "a@example.com"})
    client.post("/customers", {"email": "b@example.com"})
    client.with_key(OTHER_KEY).post("/customers", {})

    shown = page(app)

    assert f"?namespace={ns(app)}" in shown and f"?namespace={ns(app, OTHER_KEY)}" in shown
    row = re.search(rf"<tr>\s*<td><a[^>]*>{fingerprint(ns(app))}</a></td>.*?</tr>", shown,
                    re.S).group(0)
    assert re.search(r'<td class="num">2</td>', row), "two customers in that namespace"
    assert "sk_sandbox_…cdef" in row, "the redacted credential helps tell namespaces apart"
    assert API_KEY not in shown and OTHER_KEY not in shown


def test_it_shows_the_customers_of_the_selected_namespace_only(app, client):
    created = client.post("/customers", {
        "primaryAddress": {"firstName": "Ada", "lastName": "Lovelace",
                           "emails": [{"label": "main", "value": "ada@example.com"}]},
        "tags": [{"name": "vip", "type": "customer"}]}).get_json()
    other = client.with_key(OTHER_KEY).post("/customers", {"email": "other@example.com"})

    shown = page(app, f"?namespace={ns(app)}")

    for value in (created["id"], "ada@example.com", "Ada", "Lovelace", created["createdTime"],
                  '<span class="tag">vip</span>'):
        assert value in shown
    assert other.get_json()["id"] not in shown and "other@example.com" not in shown
    assert page(app, "").count("ada@example.com") == 0, "no namespace picked, no customers"


def test_stored_text_is_escaped_not_rendered(app, client):
    created = client.post("/customers", {"firstName": SCRIPT,
                                         "lastName": '"><img src=x onerror=alert(1)>'})
    assert created.status_code == 201

    shown = page(app, f"?namespace={ns(app)}")

    assert SCRIPT not in shown and "<img" not in shown
    assert html.escape(SCRIPT) in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown


def test_the_journal_is_coloured_by_status_and_marks_faults(app, client):
    client.post("/customers", {})
    client.post("/customers", {"primaryAddress": {"country": "xx"}})
    client.post("/customers", {}, headers={"X-Sandbox-Fault": "status=503"})
    client.post("/customers", {}, headers={"X-Sandbox-Fault": "network=reset"})

    shown = page(app, f"?namespace={ns(app)}")
    journal = shown[shown.index('id="requests"'):shown.index('id="faults"')]

    assert pill("201", "2xx") in journal
    assert pill("422", "4xx") in journal
    assert pill("503", "5xx") in journal
    assert pill("dropped", "network") in journal
    assert journal.count('<span class="fault" title=') == 2
    assert "⚡ status 503" in journal and "⚡ network reset" in journal
    assert journal.index(pill("dropped", "network")) < journal.index(pill("201", "2xx")), \
        "newest first"


def register_webhook(client, url: str) -> None:
    credential = client.post("/service-credentials/webhook", {
        "type": "webhook", "host": "127.0.0.1", "auth": {"type": "none"}}).get_json()
    created = client.post("/webhooks", {"method": "POST", "url": url,
                                        "credentialHash": credential["id"],
                                        "eventsFilter": ["customer-created"]})
    assert created.status_code == 201, created.get_json()


def test_it_shows_webhook_deliveries_beside_the_journal(app, client):
    admin = app.test_client()
    with WebhookReceiver() as receiver:
        register_webhook(client, receiver.url)
        receiver.respond_with(500, times=1)
        failing = client.post("/customers", {"email": "first@example.com"}).get_json()
        assert admin.post("/__admin/webhooks/deliver",
                          headers={"REB-APIKEY": API_KEY}).status_code == 200
        acknowledged = client.post("/customers", {"email": "second@example.com"}).get_json()
        assert admin.post("/__admin/webhooks/deliver",
                          headers={"REB-APIKEY": API_KEY}).status_code == 200
    client.with_key(OTHER_KEY).post("/customers", {})

    shown = page(app, f"?namespace={ns(app)}")
    section = shown[shown.index('id="deliveries"'):shown.index('id="faults"')]
    rows = re.findall(r"<tr>.*?</tr>", section, re.S)[1:]

    assert len(rows) == 2
    newest, oldest = rows
    assert acknowledged["id"] in newest and failing["id"] in oldest, "newest first"
    for row in rows:
        assert "customer-created" in row and html.escape(receiver.url) in row
        assert '<td class="num">1</td>' in row, "one attempt each"
    assert pill("200", "2xx") in newest and '<span class="tag"' in newest
    assert ">delivered<" in newest
    assert pill("500", "5xx") in oldest and ">pending<" in oldest, "retried later"
    assert shown.index('id="requests"') < shown.index('id="deliveries"')
    other = page(app, f"?namespace={ns(app, OTHER_KEY)}")
    assert "No webhook deliveries." in other and receiver.url not in other


def test_it_lists_the_namespace_and_global_fault_rules(app):
    admin = app.test_client()
    mine = admin.post("/__admin/faults", headers={"REB-APIKEY": API_KEY},
                      json={"match": {"method": "POST", "path": "/customers"}, "status": 503,
                            "times": 2}).get_json()
    theirs = admin.post("/__admin/faults", headers={"REB-APIKEY": OTHER_KEY},
                        json={"status": 500}).get_json()
    everyone = admin.post("/__admin/faults", json={"delay": 10, "global": True}).get_json()

    selected = page(app, f"?namespace={ns(app)}")
    unselected = page(app)

    rules = selected[selected.index('id="faults"'):]
    assert mine["id"] in rules and everyone["id"] in rules and theirs["id"] not in rules
    assert "status 503" in rules and "delay 10ms" in rules
    assert "&#34;path&#34;: &#34;/customers&#34;" in rules, "the match, escaped JSON"
    assert everyone["id"] in unselected and mine["id"] not in unselected


def test_it_answers_without_the_trailing_slash_and_sends_a_strict_policy(app):
    response = app.test_client().get(f"/__admin?namespace={ns(app)}")

    assert response.status_code == 200
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("query", ["?namespace=sk_sandbox_test_0123456789abcdef",
                                   "?namespace=ns_<b>", "?key=x&namespace=nope"])
def test_a_namespace_is_picked_by_id_only(app, query):
    response = app.test_client().get(f"/__admin/{query}")

    assert response.status_code == 400
    assert response.get_json()["title"] == "Bad Request"


@pytest.mark.parametrize("app_config", [{"admin_token": "s3cret-admin"}])
def test_the_admin_token_protects_it(app, app_config):
    assert app.test_client().get("/__admin/").status_code == 401
    assert "Namespaces" in page(app, headers={"Authorization": "Bearer s3cret-admin"})


def test_the_templates_are_package_data():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    patterns = setup["options.package_data"]["rebilly_sandbox"].split()
    templates = sorted((ROOT / "sandbox" / "templates").iterdir())

    assert templates
    for template in templates:
        relative = template.relative_to(ROOT / "sandbox").as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative


# -- in a real browser ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory) -> LiveSandbox:
    sandbox = LiveSandbox(str(tmp_path_factory.mktemp("dashboard") / "db.json")).start()
    yield sandbox
    sandbox.stop()


@pytest.mark.browser
@pytest.mark.served
@pytest.mark.slow
def test_a_browser_shows_the_dashboard(sandbox_browser, served):
    created = served.post("/customers", {
        "primaryAddress": {"firstName": SCRIPT, "lastName": "Hopper",
                           "emails": [{"label": "main", "value": "grace@example.com"}]},
        "tags": [{"name": "vip", "type": "customer"}]})
    assert created.status_code == 201
    served.post("/customers", {"primaryAddress": {"country": "xx"}})
    served.post("/customers", {}, headers={"X-Sandbox-Fault": "status=503"})
    requests.post(f"{served.url}/__admin/faults", headers={"REB-APIKEY": API_KEY}, timeout=10,
                  json={"match": {"path": "/customers"}, "status": 502, "times": 1})
    listed = requests.get(f"{served.url}/__admin/", timeout=10).text
    url = f"{served.url}/__admin/?namespace={re.search(r'namespace=(ns_[0-9a-f]+)', listed)[1]}"

    page = sandbox_browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(url)
    text = page.content()
    assert "grace@example.com" in text and created.json()["id"] in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and SCRIPT not in text
    assert 'class="pill status-4xx"' in text

    screenshot = page.screenshot(full_page=True)
    page.close()
    assert screenshot[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(screenshot) > 10_000
