"""Every snippet of the README's "Use it in your tests" section runs, as a reader would run it.

Python snippets are named by their first line (``# test_signup.py``): test files and the
``conftest.py`` run together in a pytester session, other files run as scripts and must print
what their ``print(...)  # expected`` comments say. Each shell line is a command this module
knows how to carry out; a new kind of line fails until it is taught here. The README's
``http://127.0.0.1:8080`` is replaced by the URL of a server started for the test.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import hypothesis  # noqa: F401  (kept out of pytester's module snapshot; see test_pytest_plugin)
import sandbox.app  # noqa: F401
import sandbox.pytest_plugin  # noqa: F401
import sandbox.testing  # noqa: F401
from conftest import LiveSandbox

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Use it in your tests"
DOC_URL = "http://127.0.0.1:8080"


def _section_blocks() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{SECTION}\n")
    end = text.find("\n## ", start + 1)
    return re.findall(r"^```(\w+)\n(.*?)^```", text[start:end], re.S | re.M)


BLOCKS = _section_blocks()
PYTHON = {code.splitlines()[0][2:].strip(): code for lang, code in BLOCKS if lang == "python"}
TEST_FILES = [name for name in PYTHON if name.startswith("test_") or name == "conftest.py"]
SCRIPTS = [name for name in PYTHON if name not in TEST_FILES]
SHELL = [line.strip() for lang, code in BLOCKS if lang == "sh"
         for line in code.splitlines() if line.strip()]
TEST_COUNT = sum(len(re.findall(r"^def test_", PYTHON[name], re.M)) for name in TEST_FILES)


def test_the_section_has_every_kind_of_snippet():
    python_blocks = [code for lang, code in BLOCKS if lang == "python"]
    assert all(re.fullmatch(r"# \w+\.py", code.splitlines()[0]) for code in python_blocks), \
        "every python snippet starts with '# <file name>.py'"
    assert len(PYTHON) == len(python_blocks), "file names are unique"
    assert {lang for lang, _ in BLOCKS} == {"python", "sh"}
    assert "conftest.py" in PYTHON and TEST_COUNT >= 2 and SCRIPTS


def _write_test_files(pytester: pytest.Pytester) -> None:
    for name in TEST_FILES:
        (pytester.path / name).write_text(PYTHON[name], encoding="utf-8")


def test_the_test_snippets_pass(pytester):
    _write_test_files(pytester)

    pytester.runpytest().assert_outcomes(passed=TEST_COUNT)


@pytest.fixture
def external():
    server = LiveSandbox("memory").start()
    yield server
    server.stop()


def _run_pytest_line(line: str, pytester: pytest.Pytester, external: LiveSandbox,
                     monkeypatch: pytest.MonkeyPatch) -> None:
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
        assert plugins == {"rebilly_sandbox": "sandbox.pytest_plugin"}


@pytest.mark.parametrize("line", SHELL)
def test_shell_line(line, request):
    words = shlex.split(line)
    if words[:2] == ["pip", "install"]:
        for package in words[2:]:
            _check_install(package)
    elif "pytest" in words:
        _run_pytest_line(line, request.getfixturevalue("pytester"),
                         request.getfixturevalue("external"),
                         request.getfixturevalue("monkeypatch"))
    else:
        pytest.fail(f"no check for the README line {line!r}: teach test_readme_snippets")


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
