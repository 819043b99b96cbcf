"""pytest plugin: a sandbox for the test session and a namespace of its own for every test.

Registered through the ``pytest11`` entry point, so installing the package is all it takes.
Fixtures:

- ``sandbox_server`` (session): the sandbox served in-process on a free port, or the external
  one named by ``--sandbox-url`` / ``SANDBOX_URL`` (a CI service). Settings for the in-process
  server come from the ``sandbox_server_options`` fixture, which a suite may override.
- ``sandbox`` (function): a fresh API key, hence a namespace no other test (or xdist worker)
  sees, reset on entry and on exit. A server started with ``--api-keys`` accepts no fresh key:
  the plugin is given those keys (``--sandbox-api-keys``, ``SANDBOX_API_KEYS`` or the
  ``sandbox_api_keys`` ini option; the in-process server's own ``api_keys`` setting counts too)
  and hands each test one of its worker's share, resetting that namespace on entry and exit.

- ``sandbox_browser`` (session): headless Chromium through Playwright (skips, saying why, when
  Playwright or Chromium is missing).
- ``sandbox_checkout`` (function): a browser context for the test's namespace whose pages load
  FramePay from the sandbox's stand-in (``rebilly_sandbox.browser.CheckoutPage``).

When a test using ``sandbox`` fails, its namespace's request journal is added to the report as
the "rebilly-sandbox requests" section: what the code under test actually sent and got.

Only the standard library and pytest are imported here (Playwright too, only when a browser
fixture is used); this module is loaded by every pytest run where the package is installed.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .browser import CheckoutPage
    from .testing import SandboxNamespace, SandboxServer
    from .webhook_receiver import WebhookReceiver

REPORT_SECTION = "rebilly-sandbox requests"
#: Journal entries shown in a failure report, and characters of each body.
REPORT_ENTRIES = 50
REPORT_BODY_CHARS = 200

_NAMESPACE = pytest.StashKey["SandboxNamespace"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rebilly-sandbox")
    group.addoption("--sandbox-url", default=None, metavar="URL",
                    help="use the sandbox already running at URL instead of starting one "
                         "in-process (also: SANDBOX_URL).")
    group.addoption("--sandbox-admin-token", default=None, metavar="TOKEN",
                    help="admin token of that sandbox, if it has one (also: "
                         "SANDBOX_ADMIN_TOKEN).")
    group.addoption("--sandbox-api-keys", default=None, metavar="KEYS",
                    help="comma-separated keys the sandbox accepts, for one started with "
                         "--api-keys; each test uses one of them (also: SANDBOX_API_KEYS, or "
                         "the sandbox_api_keys ini option).")
    parser.addini("sandbox_api_keys", "keys the sandbox accepts (see --sandbox-api-keys), "
                  "separated by commas or white space.", default="")


def api_keys_given(config: pytest.Config) -> tuple[str, ...]:
    """The keys named to the plugin: the option, else the variable, else the ini option."""
    raw = (config.getoption("sandbox_api_keys") or os.environ.get("SANDBOX_API_KEYS")
           or config.getini("sandbox_api_keys") or "")
    return tuple(key for key in re.split(r"[\s,]+", raw) if key)


def pytest_plugin_registered(plugin: object, plugin_name: str,
                             manager: pytest.PytestPluginManager) -> None:
    """Block this module's other name, so a ``-p`` or ``pytest_plugins`` mention next to the
    entry point is ignored instead of failing with "Plugin already registered"."""
    if plugin is not sys.modules[__name__]:
        return
    for name in ("rebilly_sandbox", __name__):
        if name != plugin_name and not manager.is_blocked(name) \
                and manager.get_plugin(name) is None:
            manager.set_blocked(name)


@pytest.fixture(scope="session")
def sandbox_server_options() -> dict[str, Any]:
    """Settings for the in-process sandbox (``rebilly_sandbox.config`` names); override to
    change."""
    return {}


@pytest.fixture(scope="session")
def sandbox_server(pytestconfig: pytest.Config,
                   sandbox_server_options: dict[str, Any]) -> Iterator[SandboxServer]:
    """The sandbox for this session (for this worker, under pytest-xdist)."""
    from .testing import LiveServer

    url = pytestconfig.getoption("sandbox_url") or os.environ.get("SANDBOX_URL")
    token = (pytestconfig.getoption("sandbox_admin_token")
             or os.environ.get("SANDBOX_ADMIN_TOKEN") or None)
    keys = api_keys_given(pytestconfig)
    if url:
        server = _server_or_fail(url, admin_token=token, api_keys=keys)
        client = server.client_for(None)
        try:
            client.wait_until_ready(timeout=10)
        finally:
            client.close()
        yield server
        return
    live = LiveServer(sandbox_server_options)
    try:
        config = live.app.extensions["sandbox"].config
        yield _server_or_fail(live.url, admin_token=config["admin_token"], live=live,
                              api_keys=keys or config["api_keys"])
    finally:
        live.stop()


def _server_or_fail(url: str, **options: Any) -> SandboxServer:
    from .testing import SandboxServer

    try:
        return SandboxServer(url, **options)
    except ValueError as exc:  # fewer keys than xdist workers
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def sandbox(sandbox_server: SandboxServer,
            request: pytest.FixtureRequest) -> Iterator[SandboxNamespace]:
    """A namespace of the session's sandbox for this test alone, reset on entry."""
    from .client import SandboxAPIError, SandboxConnectionError
    from .testing import SandboxNamespace

    namespace = SandboxNamespace(sandbox_server, sandbox_server.next_api_key())
    try:
        namespace.reset()
    except SandboxAPIError as exc:
        namespace.client.close()
        if exc.status != 401:
            raise
        pytest.fail(_refused(namespace, exc), pytrace=False)
    request.node.stash[_NAMESPACE] = namespace
    yield namespace
    del request.node.stash[_NAMESPACE]
    try:
        namespace.reset()  # frees the namespace's data and drops its fault rules
    except SandboxConnectionError:
        pass  # the server went away; the test's own failure says more than this would
    finally:
        namespace.client.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[Any]:
    report = yield
    namespace = item.stash.get(_NAMESPACE, None)
    if namespace is not None and report.failed and report.when in ("setup", "call"):
        report.sections.append((REPORT_SECTION, journal_report(namespace)))
    return report


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A local HTTP server taking webhook deliveries (127.0.0.1, a free port): ``url``,
    ``register(sandbox, events=..., auth=...)``, ``wait_for(eventType, count, timeout)`` (which
    asks the sandbox to deliver what is due first), ``respond_with(status, times)`` and
    ``requests``."""
    from .webhook_receiver import WebhookReceiver

    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def sandbox_browser() -> Iterator[Any]:
    """Headless Chromium (a Playwright ``Browser``) for the session; the system's Chromium."""
    from .browser import BrowserUnavailable, launch_chromium

    try:
        playwright, browser = launch_chromium()
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


@pytest.fixture
def sandbox_checkout(sandbox: SandboxNamespace, sandbox_browser: Any) -> Iterator[CheckoutPage]:
    """A browser context whose pages load FramePay from the sandbox, with the test's namespace's
    publishable key: ``page``, ``open(url)``, ``sandbox_url``, ``framepay_url``."""
    from .browser import CheckoutPage

    with CheckoutPage(sandbox_browser, sandbox.url, sandbox.publishable_key) as checkout:
        yield checkout


def _refused(namespace: SandboxNamespace, exc: Exception) -> str:
    """Why a test could not have its namespace, and what to give the plugin."""
    return (f"the sandbox at {namespace.url} refused the test key {namespace.shown_key}: "
            f"{exc}\nA sandbox started with --api-keys accepts only the keys it lists: name "
            f"them to the plugin with --sandbox-api-keys, SANDBOX_API_KEYS or the "
            f"sandbox_api_keys ini option. One with an admin token needs "
            f"--sandbox-admin-token or SANDBOX_ADMIN_TOKEN.")


def journal_report(namespace: SandboxNamespace) -> str:
    """The namespace's requests, oldest first, one line each (and the fault that fired)."""
    from .client import SandboxClientError

    try:
        entries = namespace.requests(limit=REPORT_ENTRIES)
    except SandboxClientError as exc:
        return f"(the request journal could not be read: {exc})"
    lines = [f"namespace {namespace.shown_key} at {namespace.url}"]
    if not entries:
        lines.append("(no API requests were made)")
    for entry in reversed(entries):
        lines.append(format_entry(entry))
    if len(entries) == REPORT_ENTRIES:
        lines.append(f"(the last {REPORT_ENTRIES} requests only)")
    return "\n".join(lines)


def format_entry(entry: dict[str, Any]) -> str:
    path = entry["path"] + (f"?{entry['query']}" if entry.get("query") else "")
    status = entry["status"] if entry["status"] is not None else "no answer"
    line = f"{entry['method']} {path} -> {status}"
    fault = entry.get("fault")
    if fault:
        origin = f"rule {fault['rule']}" if fault.get("rule") else fault.get("source", "?")
        line += f"  [fault: {fault.get('action')} from {origin}]"
    if fault and entry.get("stored"):
        line += "  [stored before the fault]"
    body = entry.get("body") or ""
    if body:
        shown = body if len(body) <= REPORT_BODY_CHARS else body[:REPORT_BODY_CHARS] + "…"
        line += "\n    body: " + shown.replace("\n", " ")
    return line
