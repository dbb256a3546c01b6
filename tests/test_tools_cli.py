"""`agent tools` and `agent tool NAME --args JSON`, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.test_tools_helpers import make_repo

AGENT = [sys.executable, "-c", "from agent.cli import main; main()"]


def _agent(cwd, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*AGENT, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_tools_lists_every_tool_as_a_table_and_as_json(tmp_path):
    table = _agent(tmp_path, "tools")
    assert table.returncode == 0
    for name in ("read_file", "edit_file", "run_tests", "finish"):
        assert name in table.stdout
    listed = json.loads(_agent(tmp_path, "tools", "--json").stdout)
    by_name = {entry["name"]: entry for entry in listed}
    assert by_name["read_file"]["read_only"] is True
    assert by_name["edit_file"]["read_only"] is False
    assert by_name["read_file"]["input_schema"]["required"] == ["path"]
    assert by_name["search"]["input_schema"]["properties"]["literal"]["type"] == "boolean"


def test_tool_runs_one_tool_in_the_current_repository(tmp_path):
    root = make_repo(tmp_path / "repo", {"pkg/a.py": "VALUE = 1\n"})
    done = _agent(root / "pkg", "tool", "read_file", "--args", '{"path": "pkg/a.py"}')
    assert done.returncode == 0, done.stderr
    assert done.stdout == "1 line\n1\tVALUE = 1\n"
    edited = _agent(
        root,
        "tool",
        "edit_file",
        "--args",
        '{"path": "pkg/a.py", "old": "VALUE = 1", "new": "VALUE = 2"}',
    )
    assert edited.returncode == 0 and (root / "pkg/a.py").read_text() == "VALUE = 2\n"
    ran = _agent(root, "tool", "run_command", "--args", '{"command": "cat pkg/a.py"}')
    assert ran.returncode == 0 and "VALUE = 2" in ran.stdout


def test_tool_errors_exit_1_and_bad_json_exits_2(tmp_path):
    root = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    missing = _agent(root, "tool", "read_file", "--args", '{"path": "../etc/passwd"}')
    assert missing.returncode == 1
    assert "outside the workspace" in missing.stdout
    unknown = _agent(root, "tool", "reed_file", "--args", "{}")
    assert unknown.returncode == 1 and "unknown tool 'reed_file'" in unknown.stdout
    bad = _agent(root, "tool", "read_file", "--args", "{path: a.txt}")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [bad.stderr.strip()]
    assert bad.stderr.startswith("agent: --args is not valid JSON")
    assert "Traceback" not in bad.stderr


def test_tool_with_no_sandbox_only_when_named(tmp_path):
    root = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    done = _agent(
        root, "tool", "run_command", "--sandbox", "none", "--args", '{"command": "echo unconfined"}'
    )
    assert done.returncode == 0 and "unconfined" in done.stdout
    assert "UNCONFINED" in done.stderr
    confined = _agent(root, "tool", "run_command", "--args", '{"command": "echo hi"}')
    assert "UNCONFINED" not in confined.stderr


def test_tool_run_tests_uses_the_repository_test_command(tmp_path):
    command = f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -q"
    root = make_repo(
        tmp_path / "repo",
        {
            ".agent.toml": f"test_command = {json.dumps(command)}\n",
            "test_it.py": "def test_good():\n    pass\n\n\ndef test_bad():\n    assert 1 == 2\n",
        },
    )
    done = _agent(root, "tool", "run_tests", "--args", '{"target": "test_it.py"}')
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Tests: 1 passed, 1 failed (exit 1,")
    assert "FAILED test_it.py::test_bad - assert 1 == 2" in done.stdout
