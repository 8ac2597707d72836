"""The hosting configuration is valid: the GitHub workflow (actionlint and the workflow
schema) and the Read the Docs file (Read the Docs' own schema, vendored by check-jsonschema).
Both tools run offline."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
READTHEDOCS = ROOT / ".readthedocs.yaml"


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which(cmd[0])
    if tool is None:  # installed by the test requirements; its absence is a failure
        pytest.fail(f"{cmd[0]} is not installed (it comes with requirements/tests.txt)")
    return subprocess.run([tool, *cmd[1:]], capture_output=True, text=True, cwd=ROOT)


def test_workflow_passes_actionlint() -> None:
    result = _run("actionlint", "-no-color", str(WORKFLOW))
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_matches_the_github_workflow_schema() -> None:
    result = _run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(WORKFLOW))
    assert result.returncode == 0, result.stdout + result.stderr


def test_readthedocs_config_matches_its_schema() -> None:
    result = _run("check-jsonschema", "--builtin-schema", "vendor.readthedocs", str(READTHEDOCS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_readthedocs_fails_on_warnings_and_uses_the_pins() -> None:
    text = READTHEDOCS.read_text(encoding="utf-8")
    assert "fail_on_warning: true" in text
    assert "requirements/docs.txt" in text


def test_workflow_runs_ci_script_and_deploys_only_from_main() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "bash .ci/run" in text
    assert "github.ref == 'refs/heads/main'" in text
    assert "group: pages" in text


def test_the_validators_can_fail(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v5\n        with: {depth: 1}\n"
        "      - run: echo ${{ github.nonexistent_context }}\n"
    )
    assert _run("actionlint", "-no-color", str(broken)).returncode != 0
    bad_rtd = tmp_path / ".readthedocs.yaml"
    bad_rtd.write_text("version: 3\nsphinx:\n  fail_on_warning: yes-please\n")
    result = _run("check-jsonschema", "--builtin-schema", "vendor.readthedocs", str(bad_rtd))
    assert result.returncode != 0


CI_RUN = ROOT / ".ci" / "run"
README = ROOT / "README.md"


def test_ci_runs_the_readmes_two_commands_as_written_and_prepares_nothing() -> None:
    block = README.read_text(encoding="utf-8").split("```bash\n", 1)[1].split("```", 1)[0]
    expected = [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    assert len(expected) == 2
    assert all("nox -s" in c and "nox[uv]" in c for c in expected)
    # The function .ci/run uses to read them, run on its own.
    script = CI_RUN.read_text(encoding="utf-8")
    function = script[script.index("readme_commands() {") : script.index("\n}\n") + 3]
    result = subprocess.run(
        ["bash", "-c", function + "readme_commands"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.stdout.splitlines() == expected, result.stderr
    # Nothing before them installs what a newcomer lacks (a browser, uv, nox itself).
    before = script[: script.index("for command in")]
    for preparation in ("apt-get", "chromium", "uv==", "pip install"):
        assert preparation not in before
