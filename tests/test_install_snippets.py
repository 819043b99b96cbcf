"""The install commands of the README and the CI step snippet of docs/ci.md, run as written on a
fresh machine would run them: a copy of the checkout, a fresh virtual environment, the wheel
``make dist`` builds, the installed ``rebilly-sandbox`` serving and answering, pytest with
pytest-xdist and the plugin against it. Also: shell snippets give each variable one meaning,
and ``make run`` installs only what running needs.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CI_PAGE = ROOT / "docs" / "ci.md"
DOC_URL = "http://127.0.0.1:8080"
#: What a checkout holds that building and installing the package reads.
SOURCE = ("Makefile", "setup.cfg", "pyproject.toml", "README.md", "sandbox", "fixtures")


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)


def readme_install_lines() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Install\n", 1)[1].split("\n## ", 1)[0]
    return [line for block in sh_blocks(section) for line in block.splitlines() if line.strip()]


def ci_step_lines() -> list[str]:
    return sh_blocks(CI_PAGE.read_text(encoding="utf-8"))[1].splitlines()


@pytest.fixture
def machine(tmp_path):
    """A job's directory holding a copy of this repository at ``rebilly-sandbox/``, and the
    environment of a fresh virtual environment, active (its ``bin`` first on the ``PATH``)."""
    job = tmp_path
    checkout = job / "rebilly-sandbox"
    checkout.mkdir()
    for name in SOURCE:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, checkout / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, checkout / name)
    subprocess.run([sys.executable, "-m", "venv", str(job / "venv")], check=True, timeout=120)
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("SANDBOX_", "PYTEST_", "VIRTUAL_ENV", "PYTHON"))}
    env.update(PATH=f"{job / 'venv' / 'bin'}:/usr/bin:/bin", VIRTUAL_ENV=str(job / "venv"))
    return job, env


def _stop(pid_file: Path) -> None:
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        except ProcessLookupError:
            pass


SMOKE_TEST = '''
import requests

def test_create(sandbox):
    response = requests.post(f"{sandbox.url}/customers", headers=sandbox.headers,
                             json={"email": "ci@example.com"}, timeout=5)
    assert response.status_code == 201
    assert sandbox.server.external
'''


@pytest.mark.slow
@pytest.mark.served
def test_the_install_and_ci_commands_work_as_written_on_a_fresh_machine(machine):
    """One virtual environment for both (the dependencies are downloaded once): the README's
    commands first, then the CI step snippet's, as a job that upgrades its sandbox would."""
    run_the_readme_install_commands(*machine)
    run_the_ci_step_snippet(*machine)


def run_the_ci_step_snippet(job: Path, env: dict[str, str]) -> None:
    port = free_port()
    lines = [line.replace("8080", str(port)) for line in ci_step_lines()]
    serve = next(i for i, line in enumerate(lines) if line.startswith("rebilly-sandbox serve"))
    lines.insert(serve + 1, "echo $! > sandbox.pid")
    assert lines[-1] == "pytest -n 4"
    lines[-1] = "pytest -n 2 -p no:cacheprovider test_smoke.py"  # two cores here
    (job / "test_smoke.py").write_text(SMOKE_TEST, encoding="utf-8")
    try:
        result = subprocess.run(["bash", "-e", "-c", "\n".join(lines)], cwd=job, env=env,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert "2 workers [1 item]" in result.stdout and "1 passed" in result.stdout
        health = requests.get(f"http://127.0.0.1:{port}/__admin/health", timeout=5).json()
        assert health["store"] == "memory"
    finally:
        _stop(job / "sandbox.pid")
    wheels = list((job / "rebilly-sandbox" / "dist").glob("*.whl"))
    assert [wheel.name for wheel in wheels] == [
        f"rebilly_sandbox-{_version()}-py3-none-any.whl"]
    assert "POST /customers 201" in (job / "sandbox.log").read_text()


def run_the_readme_install_commands(job: Path, env: dict[str, str]) -> None:
    checkout = job / "rebilly-sandbox"
    *installs, serve = readme_install_lines()
    assert installs == ["pip install -e .", "make dist",
                        "python -m pip install dist/rebilly_sandbox-*.whl"]
    for line in installs:
        result = subprocess.run(["bash", "-e", "-c", line], cwd=checkout, env=env,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"{line}: {result.stdout[-2000:]}{result.stderr[-2000:]}"
        if line.startswith("pip install -e"):
            located = subprocess.run(["python", "-c", "import rebilly_sandbox; "
                                      "print(rebilly_sandbox.__file__)"],
                                     cwd=job, env=env, capture_output=True, text=True, timeout=60)
            assert located.stdout.strip() == str(checkout / "sandbox" / "__init__.py")

    port = free_port()
    assert serve == "rebilly-sandbox serve --db memory"
    server = subprocess.Popen(["bash", "-c", f"exec {serve} --port {port}"], cwd=job, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ready = subprocess.run(
            ["timeout", "20", "sh", "-c", "until curl -fsS --max-time 2 "
             f"http://127.0.0.1:{port}/__admin/health >/dev/null; do sleep 0.2; done"],
            timeout=60)
        assert ready.returncode == 0
        assert requests.get(f"http://127.0.0.1:{port}/__admin/health", timeout=5).json()[
            "version"] == _version()
    finally:
        server.terminate()
        server.wait(timeout=20)
    located = subprocess.run(["python", "-c", "import rebilly_sandbox; "
                              "print(rebilly_sandbox.__file__)"],
                             cwd=job, env=env, capture_output=True, text=True, timeout=60)
    assert "site-packages" in located.stdout, "the wheel replaced the editable install"


def _version() -> str:
    from rebilly_sandbox.version import __version__

    return __version__


def test_make_run_installs_the_package_alone_and_make_test_its_test_extra(tmp_path):
    def planned(target: str) -> str:
        result = subprocess.run(["make", "-n", target, f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                                capture_output=True, text=True, timeout=60, check=True)
        return result.stdout

    run, test = planned("run"), planned("test")

    assert re.search(r"pip .*install -e \.$", run, re.M) and "[test]" not in run
    assert "install -e '.[test]'" in test
    assert "-m venv" in run and "-m venv" in test


def test_make_dist_builds_only_the_wheel(tmp_path):
    planned = subprocess.run(["make", "-n", "dist", f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60, check=True).stdout

    assert "rm -rf build dist/rebilly_sandbox-*.whl" in planned
    assert re.search(r"pip .*wheel --no-deps --wheel-dir dist \.$", planned, re.M)
    assert "install" not in planned


def test_each_shell_variable_has_one_meaning_across_the_docs():
    """A reader copies snippets from several pages into one shell: a name set on two pages
    must hold the same value on both."""
    meanings: dict[str, set[str]] = {}
    for page in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        for block in sh_blocks(page.read_text(encoding="utf-8")):
            for name, value in re.findall(r"(?:^|[\s;])(?:export\s+)?([A-Z][A-Z0-9_]*)=(\S+)",
                                          block, re.M):
                meanings.setdefault(name, set()).add(value)

    assert meanings["SANDBOX_URL"] == {DOC_URL}
    assert {name: values for name, values in meanings.items() if len(values) > 1} == {}
