"""The pytest plugin, run the way users run it: generated test files in a pytester session.

The plugin comes in through the package's ``pytest11`` entry point, as it does for users, so
nothing here registers it by hand.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

# Imported before pytester snapshots sys.modules, so in-process runs do not import the app,
# gevent or hypothesis (whose pytest plugin loads it at the end of every run) anew each time.
import hypothesis  # noqa: F401
import pytest
from conftest import LiveSandbox

import rebilly_sandbox.app  # noqa: F401
import rebilly_sandbox.pytest_plugin  # noqa: F401
import rebilly_sandbox.testing  # noqa: F401
from rebilly_sandbox.testing import new_api_key, worker_keys

pytest_plugins = ["pytester"]

CREATE = """
import requests

def create(sandbox, body=None):
    return requests.post(f"{sandbox.url}/customers", json=body or {}, headers=sandbox.headers,
                         timeout=5)
"""


@pytest.fixture(autouse=True)
def _not_an_xdist_worker(monkeypatch):
    """The generated sessions are top-level ones, even when this suite runs under xdist."""
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def external():
    server = LiveSandbox("memory").start()
    yield server
    server.stop()


def test_the_sandbox_fixture_serves_a_namespace_of_its_own(pytester):
    pytester.makepyfile(CREATE + """
from rebilly_sandbox.client import SandboxClient

def test_create(sandbox):
    response = create(sandbox, {"email": "ada@example.com"})

    assert response.status_code == 201
    assert sandbox.api_key.startswith("sk_sandbox_main_")
    assert sandbox.headers == {"REB-APIKEY": sandbox.api_key}
    assert isinstance(sandbox.client, SandboxClient)
    assert sandbox.requests()[0]["status"] == 201
    assert not sandbox.server.external
""")

    result = pytester.runpytest()

    result.assert_outcomes(passed=1)


def test_every_test_starts_from_a_reset_namespace(pytester):
    pytester.makepyfile(CREATE + """
import requests

seen = []

def listed(sandbox):
    return requests.get(f"{sandbox.url}/customers", headers=sandbox.headers, timeout=5).json()

def test_first(sandbox):
    sandbox.load_fixtures("default")
    assert create(sandbox).status_code == 201
    seen.append(sandbox)
    assert len(listed(sandbox)) == 4

def test_second(sandbox):
    first = seen[0]
    assert sandbox.api_key != first.api_key
    assert sandbox.requests() == [] and listed(sandbox) == []
    assert listed(first) == [], "a namespace is reset when its test ends"
""")

    result = pytester.runpytest()

    result.assert_outcomes(passed=2)


def test_add_fault_fails_the_next_create(pytester):
    pytester.makepyfile(CREATE + """
def test_fault(sandbox):
    rule = sandbox.add_fault(match={"method": "POST", "path": "/customers"}, status=503,
                             times=1)

    assert create(sandbox).status_code == 503
    assert create(sandbox).status_code == 201
    assert sandbox.client.fault(rule["id"])["remaining"] == 0
""")

    pytester.runpytest().assert_outcomes(passed=1)


def test_clock_and_inline_fixtures_through_the_fixture(pytester):
    pytester.makepyfile(CREATE + """
from datetime import datetime, timezone

def test_clock(sandbox):
    sandbox.freeze_clock(datetime(2030, 1, 1, tzinfo=timezone.utc))
    sandbox.advance_clock(60)
    sandbox.load_fixtures(inline={"customers": [{"id": "cus_fixed"}]})

    assert create(sandbox).json()["createdTime"] == "2030-01-01T00:01:00+00:00"
    assert [c["id"] for c in sandbox.client.export()["customers"]][0] == "cus_fixed"
""")

    pytester.runpytest().assert_outcomes(passed=1)


def test_a_failing_test_reports_its_requests(pytester):
    pytester.makepyfile(CREATE + """
def test_fails(sandbox):
    sandbox.add_fault(match={"path": "/customers"}, status=503, times=1)
    create(sandbox, {"email": "first@example.com", "note": "x" * 500})
    create(sandbox, {"email": "second@example.com"})
    assert False, "the checkout broke"

def test_passes(sandbox):
    create(sandbox, {"email": "quiet@example.com"})
""")

    result = pytester.runpytest()

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*- rebilly-sandbox requests -*",
        "namespace sk_sandbox_main_* at http://127.0.0.1:*",
        "POST /customers -> 503  [[]fault: status 503 from rule flt_*[]]",
        '    body: {"email": "first@example.com", "note": "xxx*x…',
        "POST /customers -> 201",
        '    body: {"email": "second@example.com"}',
    ])
    output = result.stdout.str()
    assert "quiet@example.com" not in output, "passing tests add no section"
    assert max(len(line) for line in output.splitlines()) < 260, "bodies are truncated"


def test_server_options_can_be_overridden(pytester):
    pytester.makeconftest("""
import pytest

@pytest.fixture(scope="session")
def sandbox_server_options():
    return {"strict": True}
""")
    pytester.makepyfile(CREATE + """
def test_strict(sandbox):
    assert create(sandbox, {"colour": "red"}).status_code == 422
""")

    pytester.runpytest().assert_outcomes(passed=1)


EXTERNAL_TEST = CREATE + """
def test_external(sandbox):
    assert sandbox.server.external
    assert sandbox.url == "{url}"
    assert create(sandbox, {"email": "ci@example.com"}).status_code == 201
"""


def test_sandbox_url_points_at_an_external_server(pytester, external, monkeypatch):
    monkeypatch.setenv("SANDBOX_URL", external.url)
    pytester.makepyfile(EXTERNAL_TEST.replace("{url}", external.url))

    pytester.runpytest().assert_outcomes(passed=1)
    assert "POST /customers 201" in external.output()


def test_the_sandbox_url_option_wins_over_the_variable(pytester, external, monkeypatch):
    monkeypatch.setenv("SANDBOX_URL", "http://127.0.0.1:9")
    pytester.makepyfile(EXTERNAL_TEST.replace("{url}", external.url))

    pytester.runpytest("--sandbox-url", external.url + "/").assert_outcomes(passed=1)


def test_an_external_server_with_an_admin_token(pytester, monkeypatch):
    server = LiveSandbox("memory", "--admin-token", "ci-admin").start()
    try:
        monkeypatch.setenv("SANDBOX_URL", server.url)
        pytester.makepyfile(EXTERNAL_TEST.replace("{url}", server.url))

        pytester.runpytest().assert_outcomes(errors=1)
        pytester.runpytest("--sandbox-admin-token", "ci-admin").assert_outcomes(passed=1)
    finally:
        server.stop()


def test_keys_differ_per_xdist_worker(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    assert new_api_key().startswith("sk_sandbox_gw3_")
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    keys = {new_api_key() for _ in range(100)}
    assert len(keys) == 100 and all(key.startswith("sk_sandbox_main_") for key in keys)


def test_parallel_workers_each_get_their_namespaces(pytester):
    pytester.makepyfile(CREATE + """
import os
import pytest

@pytest.mark.parametrize("n", range(6))
def test_parallel(sandbox, n):
    worker = os.environ["PYTEST_XDIST_WORKER"]
    assert sandbox.api_key.startswith(f"sk_sandbox_{worker}_")
    assert create(sandbox).status_code == 201
    assert len(sandbox.requests()) == 1
    print("KEY", sandbox.api_key)
""")

    result = pytester.runpytest_subprocess("-p", "xdist", "-n", "2", "-rA")

    result.assert_outcomes(passed=6)
    keys = [line.split()[-1] for line in result.stdout.lines if line.startswith("KEY ")]
    assert len(set(keys)) == 6
    assert {key.split("_")[2] for key in keys} == {"gw0", "gw1"}


@pytest.mark.parametrize("how", ["option", "conftest"])
def test_naming_the_plugin_again_is_harmless(pytester, how):
    if how == "conftest":
        pytester.makeconftest('pytest_plugins = ["rebilly_sandbox.pytest_plugin"]')
    pytester.makepyfile(CREATE + """
def test_create(sandbox):
    assert create(sandbox).status_code == 201
""")

    args = ["-p", "rebilly_sandbox.pytest_plugin"] if how == "option" else []
    pytester.runpytest(*args).assert_outcomes(passed=1)


def test_without_autoloading_the_plugin_is_named_by_its_entry_point(pytester, monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(CREATE + """
def test_create(sandbox):
    assert create(sandbox).status_code == 201
""")

    assert pytester.runpytest().ret == pytest.ExitCode.TESTS_FAILED  # fixture 'sandbox' not found
    pytester.runpytest("-p", "rebilly_sandbox").assert_outcomes(passed=1)


def test_loading_the_plugin_loads_no_server_code():
    code = ("import sys, rebilly_sandbox.pytest_plugin; "
            "print(sorted(m for m in ('flask', 'gevent', 'requests', 'playwright') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=30)

    assert result.stdout.strip() == "[]"


# A server started with --api-keys accepts only the keys it lists: the plugin is given them.

KEY_A = "sk_sandbox_ci_0000000000aaaa"
KEY_B = "sk_sandbox_ci_0000000000bbbb"

KEYED_TESTS = CREATE + """
import requests

def listed(sandbox):
    return requests.get(f"{sandbox.url}/customers", headers=sandbox.headers, timeout=5).json()

def test_first(sandbox):
    assert sandbox.api_key in ("{a}", "{b}")
    assert listed(sandbox) == []
    assert create(sandbox, {"email": "first@example.com"}).status_code == 201
    assert sandbox.requests()[0]["status"] == 201

def test_second(sandbox):
    assert sandbox.api_key in ("{a}", "{b}")
    assert sandbox.requests() == [] and listed(sandbox) == [], "reset between tests"
    assert create(sandbox, {"email": "second@example.com"}).status_code == 201
""".replace("{a}", KEY_A).replace("{b}", KEY_B)


@pytest.fixture(scope="module")
def keyed():
    server = LiveSandbox("memory", "--api-keys", f"{KEY_A},{KEY_B}").start()
    yield server
    server.stop()


@pytest.mark.parametrize("how", ["option", "variable", "ini"])
def test_a_server_with_api_keys_serves_the_keys_given_to_the_plugin(pytester, keyed,
                                                                     monkeypatch, how):
    monkeypatch.setenv("SANDBOX_URL", keyed.url)
    pytester.makepyfile(KEYED_TESTS)
    args = []
    if how == "option":
        args = ["--sandbox-api-keys", f"{KEY_A},{KEY_B}"]
    elif how == "variable":
        monkeypatch.setenv("SANDBOX_API_KEYS", KEY_A)  # both tests use it, one after the other
    else:
        pytester.makeini(f"[pytest]\nsandbox_api_keys =\n    {KEY_A}\n    {KEY_B}\n")

    pytester.runpytest(*args).assert_outcomes(passed=2)


def test_a_server_with_api_keys_and_no_keys_given_says_what_to_do(pytester, keyed,
                                                                   monkeypatch):
    monkeypatch.setenv("SANDBOX_URL", keyed.url)
    pytester.makepyfile(KEYED_TESTS)

    result = pytester.runpytest()

    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines([
        "*the sandbox at http://127.0.0.1:* refused the test key sk_sandbox_main_*: 401*",
        "*accepts only the keys it lists: name them to the plugin with --sandbox-api-keys, "
        "SANDBOX_API_KEYS or the sandbox_api_keys ini option*",
    ])


def test_a_failure_report_shows_a_configured_key_redacted(pytester, keyed, monkeypatch):
    monkeypatch.setenv("SANDBOX_URL", keyed.url)
    monkeypatch.setenv("SANDBOX_API_KEYS", KEY_A)
    pytester.makepyfile(CREATE + """
def test_fails(sandbox):
    create(sandbox, {"email": "ada@example.com"})
    assert False
""")

    result = pytester.runpytest()

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["namespace sk_…aaaa at http://127.0.0.1:*",
                                 "POST /customers -> 201"])
    assert KEY_A not in result.stdout.str()


def test_the_in_process_server_hands_out_its_own_api_keys(pytester):
    pytester.makeconftest(f"""
import pytest

@pytest.fixture(scope="session")
def sandbox_server_options():
    return {{"api_keys": "{KEY_A},{KEY_B}"}}
""")
    pytester.makepyfile(KEYED_TESTS)

    pytester.runpytest().assert_outcomes(passed=2)


def test_xdist_workers_share_the_keys_out(pytester, keyed, monkeypatch):
    monkeypatch.setenv("SANDBOX_URL", keyed.url)
    monkeypatch.setenv("SANDBOX_API_KEYS", f"{KEY_A},{KEY_B}")
    pytester.makepyfile(CREATE + """
import os
import pytest

@pytest.mark.parametrize("n", range(6))
def test_parallel(sandbox, n):
    assert create(sandbox).status_code == 201
    assert len(sandbox.requests()) == 1, "no other worker used this namespace meanwhile"
    print("KEY", os.environ["PYTEST_XDIST_WORKER"], sandbox.api_key)
""")

    result = pytester.runpytest_subprocess("-p", "xdist", "-n", "2", "-rA")

    result.assert_outcomes(passed=6)
    used = {tuple(line.split()[1:]) for line in result.stdout.lines if line.startswith("KEY ")}
    assert used == {("gw0", KEY_A), ("gw1", KEY_B)}


def test_fewer_keys_than_workers_is_refused():
    assert worker_keys(["a", "b", "c"], "gw1", 2) == ("b",)
    assert worker_keys(["a", "b", "c"], "gw0", 2) == ("a", "c")
    assert worker_keys(["a"], "main", None) == ("a",)
    with pytest.raises(ValueError, match="1 API key\\(s\\) for 2 pytest-xdist workers"):
        worker_keys(["a"], "gw1", 2)


# A project may have its own ``sandbox`` module or package (a common name): the plugin, loaded in
# every pytest run of the environment, must not collide with it.

@pytest.mark.parametrize("layout", ["module", "package"])
def test_a_project_with_its_own_sandbox_module_runs_the_plugins_fixture(pytester, layout):
    own = 'WHO = "the project\'s own sandbox"\n'
    if layout == "module":
        pytester.makepyfile(sandbox=own)
    else:
        pytester.mkpydir("sandbox").joinpath("__init__.py").write_text(own)
    pytester.makepyfile(test_shop=CREATE + """
import importlib

shop_sandbox = importlib.import_module("sandbox")  # the project's own


def test_both(sandbox):
    assert shop_sandbox.WHO == "the project's own sandbox"
    assert create(sandbox).status_code == 201
""")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
    assert "Error while loading plugin" not in result.stderr.str()


def test_no_code_or_doc_imports_the_package_by_its_folders_name():
    """The package imports as ``rebilly_sandbox`` everywhere; ``sandbox`` is only its folder."""
    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(r"^\s*(from|import) sandbox\b|python -m sandbox(?=[\s.`])"
                         r"|-m\", \"sandbox\"", re.MULTILINE)
    sources = [*root.glob("*.md"), *root.glob("docs/*.md"), root / "Makefile",
               root / "setup.cfg", root / "Dockerfile"]
    for folder in ("sandbox", "tests", "scripts", "examples", "fixtures"):
        sources += (root / folder).rglob("*.py")

    offenders = [str(path.relative_to(root)) for path in sources
                 if pattern.search(path.read_text(encoding="utf-8"))]

    assert offenders == []
