"""The snippets of docs/ci.md, exercised: the wait snippet against a real server and against
none, the CI files run exactly the step snippet's commands, compose starts the sandbox with flags
it accepts. The README's short "Use it in CI" section may only quote snippets of that page.
Running the step snippet itself (a wheel built and installed in a fresh virtual environment) is
in test_install_snippets."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import LiveSandbox, free_port

from rebilly_sandbox.cli import _parser

ROOT = Path(__file__).resolve().parents[1]
CI_PAGE = ROOT / "docs" / "ci.md"
README = ROOT / "README.md"
DOC_URL = "http://127.0.0.1:8080"


def ci_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", CI_PAGE.read_text(encoding="utf-8"), re.S)


def step_lines() -> list[str]:
    return ci_blocks("sh")[1].splitlines()


def test_the_page_has_its_snippets():
    assert len(ci_blocks("sh")) == 2
    assert len(ci_blocks("yaml")) == 3


def test_the_readme_quotes_the_ci_page():
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Use it in CI\n", 1)[1].split("\n## ", 1)[0]
    quoted = re.findall(r"```(\w+)\n(.*?)```", section, re.S)

    assert quoted
    for language, code in quoted:
        assert code in ci_blocks(language), f"README quotes a {language} snippet docs/ci.md lacks"


def _wait_script(url: str, seconds: int) -> str:
    """The wait snippet, aimed at ``url`` and with its time limit shortened for a test."""
    script = ci_blocks("sh")[0]
    assert "timeout 10 " in script and DOC_URL in script
    return script.replace(DOC_URL, url).replace("timeout 10 ", f"timeout {seconds} ")


@pytest.mark.served
def test_the_wait_snippet_returns_once_the_server_answers(tmp_path):
    sandbox = LiveSandbox(str(tmp_path / "db.json")).start()
    try:
        result = subprocess.run(["bash", "-c", _wait_script(sandbox.url, 10)], timeout=30,
                                env={"PATH": "/usr/bin:/bin"})
    finally:
        sandbox.stop()

    assert result.returncode == 0


def test_the_wait_snippet_fails_when_nothing_answers():
    """A job must stop there rather than run its tests against no server."""
    url = f"http://127.0.0.1:{free_port()}"
    result = subprocess.run(["bash", "-c", _wait_script(url, 1)], timeout=30,
                            env={"PATH": "/usr/bin:/bin"})

    assert result.returncode == 124


def test_the_step_snippet_waits_as_the_wait_snippet_does():
    wait = ci_blocks("sh")[0].splitlines()

    assert step_lines()[0] == wait[0] and wait[1] in step_lines()
    assert step_lines()[-1].startswith("pytest -n ")
    assert "pytest-xdist" in shlex.split(step_lines()[2]), "pytest -n needs pytest-xdist"


def _step_commands() -> list[str]:
    """The step snippet's commands after its ``export``, which the CI files set as variables."""
    export, *commands = step_lines()
    assert export == f"export SANDBOX_URL={DOC_URL}"
    return commands


def test_github_actions_snippet_runs_the_step_snippet():
    job = yaml.safe_load(ci_blocks("yaml")[0])["jobs"]["test"]
    checkout = job["steps"][0]

    assert checkout["uses"].startswith("actions/checkout@") and checkout["with"]["submodules"]
    assert [step["run"] for step in job["steps"] if "run" in step] == _step_commands()
    assert job["env"]["SANDBOX_URL"] == DOC_URL
    assert "services" not in job


def test_gitlab_snippet_runs_the_step_snippet():
    job = yaml.safe_load(ci_blocks("yaml")[1])["test"]

    assert job["script"] == _step_commands()
    assert job["variables"] == {"GIT_SUBMODULE_STRATEGY": "recursive", "SANDBOX_URL": DOC_URL}
    assert "services" not in job


def test_the_recipes_name_no_placeholder():
    """A recipe builds what its CI system checked out; it names no repository or registry."""
    text = CI_PAGE.read_text(encoding="utf-8")
    for placeholder in ("your-org", "example.com", "SANDBOX_REPO", "git clone", "registry"):
        assert placeholder not in text, placeholder


def _serve_flags_are_accepted(arguments: list[str]) -> None:
    parsed = _parser().parse_args(["serve", *arguments])
    assert parsed.command == "serve"


def test_the_serve_flags_of_the_step_snippet_are_accepted():
    serve = next(line for line in step_lines() if line.startswith("rebilly-sandbox serve"))

    _serve_flags_are_accepted(shlex.split(serve.split(">")[0])[2:])


def test_compose_snippet_and_the_dockerfile_it_builds_agree():
    compose = yaml.safe_load(ci_blocks("yaml")[2])
    service = compose["services"]["rebilly"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    entrypoint = re.search(r"ENTRYPOINT \[(.*)\]", dockerfile).group(1)

    _serve_flags_are_accepted([*shlex.split(entrypoint.replace(",", " "))[2:],
                               *service["command"]])
    assert compose["services"]["app"]["depends_on"]["rebilly"]["condition"] == "service_healthy"
    assert "rebilly-data:/data" in service["volumes"]
