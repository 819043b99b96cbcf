"""Every snippet of the docs on using the sandbox in tests runs, as a reader would run it.

The snippets are those of docs/testing.md and of the README's short "Use it in your tests"
section; a file quoted in both must be the same code. Python snippets are named by their first
line (``# test_signup.py``): test files and the ``conftest.py`` run together in a pytester
session, other files run as scripts and must print what their ``print(...)  # expected``
comments say. Each shell line is a command this module knows how to carry out; a new kind of
line fails until it is taught here. The docs' ``http://127.0.0.1:8080`` is replaced by the URL of
a server started for the test.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import hypothesis  # noqa: F401  (kept out of pytester's module snapshot; see test_pytest_plugin)
import pytest
from conftest import LiveSandbox

import rebilly_sandbox.app  # noqa: F401
import rebilly_sandbox.pytest_plugin  # noqa: F401
import rebilly_sandbox.testing  # noqa: F401

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
TESTING_PAGE = ROOT / "docs" / "testing.md"
README = ROOT / "README.md"
README_SECTION = "## Use it in your tests"
DOC_URL = "http://127.0.0.1:8080"


def _blocks(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^```(\w+)\n(.*?)^```", text, re.S | re.M)


def _readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{README_SECTION}\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end == -1 else text[start:end]


PAGE_BLOCKS = _blocks(TESTING_PAGE.read_text(encoding="utf-8"))
README_BLOCKS = _blocks(_readme_section())
BLOCKS = PAGE_BLOCKS + README_BLOCKS
PYTHON = {code.splitlines()[0][2:].strip(): code for lang, code in PAGE_BLOCKS if lang == "python"}
TEST_FILES = [name for name in PYTHON if name.startswith("test_") or name == "conftest.py"]
SCRIPTS = [name for name in PYTHON if name not in TEST_FILES]
SHELL = list(dict.fromkeys(line.strip() for lang, code in BLOCKS if lang == "sh"
                           for line in code.splitlines() if line.strip()))
TEST_COUNT = sum(len(re.findall(r"^def test_", PYTHON[name], re.M)) for name in TEST_FILES)


def test_the_page_has_every_kind_of_snippet():
    python_blocks = [code for lang, code in PAGE_BLOCKS if lang == "python"]
    assert all(re.fullmatch(r"# \w+\.py", code.splitlines()[0]) for code in python_blocks), \
        "every python snippet starts with '# <file name>.py'"
    assert len(PYTHON) == len(python_blocks), "file names are unique"
    assert {lang for lang, _ in BLOCKS} == {"python", "sh"}
    assert "conftest.py" in PYTHON and TEST_COUNT >= 2 and SCRIPTS


def test_the_readme_quotes_the_testing_page():
    for lang, code in README_BLOCKS:
        if lang == "python":
            name = code.splitlines()[0][2:].strip()
            assert PYTHON.get(name) == code, f"README's {name} differs from docs/testing.md"
        else:
            assert lang == "sh" and code in [page_code for _, page_code in PAGE_BLOCKS], code


def _write_test_files(pytester: pytest.Pytester) -> None:
    for name in TEST_FILES:
        (pytester.path / name).write_text(PYTHON[name], encoding="utf-8")


def test_the_test_snippets_pass(pytester):
    _write_test_files(pytester)

    pytester.runpytest().assert_outcomes(passed=TEST_COUNT)


@pytest.fixture
def external_for():
    """Starts the docs' external server for a shell line: with ``--api-keys`` when the line
    gives the plugin keys, as such a line is meant for a server that accepts only those."""
    servers: list[LiveSandbox] = []

    def start(line: str) -> LiveSandbox:
        keys = re.search(r"\bSANDBOX_API_KEYS=(\S+)", line)
        servers.append(LiveSandbox("memory", *(["--api-keys", keys[1]] if keys else [])))
        return servers[-1].start()

    yield start
    for server in servers:
        server.stop()


def _run_pytest_line(line: str, pytester: pytest.Pytester, external_for,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    external = external_for(line)
    words = shlex.split(line.replace(DOC_URL, external.url))
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        monkeypatch.setenv(name, value)
    assert words[0] == "pytest", line
    _write_test_files(pytester)
    if "-n" in words:  # xdist workers are processes of their own
        result = pytester.runpytest_subprocess(*words[1:])
    else:
        result = pytester.runpytest(*words[1:])
    result.assert_outcomes(passed=TEST_COUNT)
    if DOC_URL in line:
        assert "POST /customers 201" in external.output(), "the tests used the external server"


def _check_install(package: str) -> None:
    distribution = metadata.distribution(package)
    if package == "rebilly-sandbox":
        plugins = {ep.name: ep.value for ep in distribution.entry_points
                   if ep.group == "pytest11"}
        assert plugins == {"rebilly_sandbox": "rebilly_sandbox.pytest_plugin"}


def _check_install_from_checkout(path: str) -> None:
    """``pip install -e .`` in a checkout installs the plugin from that checkout."""
    assert (ROOT / path).resolve() == ROOT
    origins = [json.loads(found) for dist in metadata.distributions(name="rebilly-sandbox")
               if (found := dist.read_text("direct_url.json"))]
    assert {"url": ROOT.as_uri(), "dir_info": {"editable": True}} in origins
    _check_install("rebilly-sandbox")


@pytest.mark.parametrize("line", SHELL)
def test_shell_line(line, request):
    words = shlex.split(line)
    if words[:3] == ["pip", "install", "-e"]:
        _check_install_from_checkout(words[3])
    elif words[:2] == ["pip", "install"]:
        for package in words[2:]:
            _check_install(package)
    elif "pytest" in words:
        _run_pytest_line(line, request.getfixturevalue("pytester"),
                         request.getfixturevalue("external_for"),
                         request.getfixturevalue("monkeypatch"))
    else:
        pytest.fail(f"no check for the docs line {line!r}: teach test_readme_snippets")


def test_no_doc_installs_the_sandbox_from_a_package_index():
    """The package is not published: every install names a checkout, a clone or a wheel."""
    for page in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"pip install[^\n`]*?(?<![\w/.-])rebilly-sandbox(?![\w/.-])", text), \
            page.name


@pytest.fixture(scope="module")
def script_server():
    server = LiveSandbox("memory").start()
    yield server
    server.stop()


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_snippet(name, script_server, tmp_path):
    code = PYTHON[name].replace(DOC_URL, script_server.url)
    (tmp_path / name).write_text(code, encoding="utf-8")

    result = subprocess.run([sys.executable, name], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    expected = re.findall(r"^\s*print\(.*\)\s+# (.+)$", code, re.M)
    assert result.stdout.splitlines() == expected
