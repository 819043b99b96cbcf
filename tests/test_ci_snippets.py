"""The snippets of docs/ci.md, exercised: shell snippets run against a real server, YAML snippets
parse and start the sandbox with flags it accepts and a health check it answers. The README's short
"Use it in CI" section may only quote snippets of that page."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import requests
import yaml
from conftest import LiveSandbox, free_port

from sandbox.cli import _parser

ROOT = Path(__file__).resolve().parents[1]
CI_PAGE = ROOT / "docs" / "ci.md"
README = ROOT / "README.md"


def ci_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", CI_PAGE.read_text(encoding="utf-8"), re.S)


def test_the_page_has_its_snippets():
    assert len(ci_blocks("sh")) == 2
    assert len(ci_blocks("yaml")) == 3


def test_the_readme_quotes_the_ci_page():
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Use it in CI\n", 1)[1].split("\n## ", 1)[0]
    quoted = re.findall(r"```(\w+)\n(.*?)```", section, re.S)

    for language, code in quoted:
        assert code in ci_blocks(language), f"README quotes a {language} snippet docs/ci.md lacks"


def test_wait_until_ready_snippet_returns_once_the_server_answers(tmp_path):
    sandbox = LiveSandbox(str(tmp_path / "db.json")).start()
    try:
        result = subprocess.run(["bash", "-c", ci_blocks("sh")[0]], timeout=30,
                                env={"PATH": "/usr/bin:/bin", "SANDBOX_URL": sandbox.url})
    finally:
        sandbox.stop()

    assert result.returncode == 0


def test_run_as_a_step_snippet_installs_what_it_cloned(tmp_path):
    clone, install = ci_blocks("sh")[1].splitlines()[:2]
    assert shlex.split(install)[-1] == "./" + shlex.split(clone)[-1]

    subprocess.run(["bash", "-c", clone], cwd=tmp_path, check=True, timeout=60,
                   env={"PATH": "/usr/bin:/bin", "SANDBOX_REPO": ROOT.as_uri()})

    assert (tmp_path / shlex.split(clone)[-1] / "setup.cfg").is_file()


def test_run_as_a_step_snippet_starts_a_server(tmp_path):
    port = free_port()
    lines = [line for line in ci_blocks("sh")[1].splitlines()
             if not line.startswith(("git clone", "python -m pip install"))]
    script = "\n".join(lines).replace("8080", str(port))
    venv_bin = str(Path(subprocess.check_output(["which", "rebilly-sandbox"], text=True,
                                                env={"PATH": _venv_path()}).strip()).parent)
    try:
        result = subprocess.run(["bash", "-c", script], cwd=tmp_path, timeout=30,
                                env={"PATH": f"{venv_bin}:/usr/bin:/bin"})
        assert result.returncode == 0
        health = requests.get(f"http://127.0.0.1:{port}/__admin/health", timeout=5)
        assert health.json()["store"] == "memory"
    finally:
        subprocess.run(["pkill", "-f", f"port {port}"])


def _venv_path() -> str:
    import sys

    return f"{Path(sys.executable).parent}:/usr/bin:/bin"


def _serve_flags_are_accepted(arguments: list[str]) -> None:
    parsed = _parser().parse_args(["serve", *arguments])
    assert parsed.command == "serve"


def test_github_actions_snippet():
    workflow = yaml.safe_load(ci_blocks("yaml")[0])
    service = workflow["jobs"]["test"]["services"]["rebilly"]

    assert service["ports"] == ["8080:8080"]
    assert "/__admin/health" in service["options"]
    assert workflow["jobs"]["test"]["env"]["SANDBOX_URL"] == "http://127.0.0.1:8080"


def test_gitlab_snippet():
    job = yaml.safe_load(ci_blocks("yaml")[1])["test"]

    _serve_flags_are_accepted(job["services"][0]["command"])
    assert job["variables"]["SANDBOX_URL"] == "http://rebilly:8080"


def test_compose_snippet_and_the_dockerfile_it_builds_agree(tmp_path):
    compose = yaml.safe_load(ci_blocks("yaml")[2])
    service = compose["services"]["rebilly"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    entrypoint = shlex.split(re.search(r'ENTRYPOINT \[(.*)\]', dockerfile).group(1).replace(",", " "))

    _serve_flags_are_accepted([*entrypoint[2:], *service["command"]])
    assert compose["services"]["app"]["depends_on"]["rebilly"]["condition"] == "service_healthy"
    assert "rebilly-data:/data" in service["volumes"]
