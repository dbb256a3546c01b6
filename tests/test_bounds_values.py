"""NaN, infinite and negative bounds are refused with one line and exit 2, wherever they
are set: command-line flags, environment variables, .agent.toml and [tool.agent]."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from agent.config import ENV_NAMES, load_config
from agent.errors import UserError
from tests.solve_kit import make_repo


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Settings must come from what each test sets, not from the machine running it."""
    for variable in ENV_NAMES.values():
        monkeypatch.delenv(variable, raising=False)


def agent(cwd, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m agent ARGV` in `cwd`."""
    return subprocess.run(
        [sys.executable, "-m", "agent", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def assert_one_line_refusal(done: subprocess.CompletedProcess, *words: str) -> None:
    """Exit 2, one line on stderr that names the problem, no traceback, nothing run."""
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("agent: "), done.stderr
    for word in words:
        assert word in lines[0]


@pytest.mark.parametrize(
    "argv, words",
    [
        (["solve", "fix it", "--max-time", "nan"], ["max_wall_s", "finite", "nan"]),
        (["solve", "fix it", "--max-time", "inf"], ["max_wall_s", "finite", "inf"]),
        (["solve", "fix it", "--max-time", "-1"], ["max_wall_s", "more than 0"]),
        (["solve", "fix it", "--max-cost", "nan"], ["max_cost_usd", "finite"]),
        (["solve", "fix it", "--max-cost", "-0.5"], ["max_cost_usd", "more than 0"]),
        (["solve", "fix it", "--max-turns", "-1"], ["max_turns", "at least 1"]),
        (["sandbox", "--timeout", "inf", "--", "true"], ["command_timeout_s", "finite", "inf"]),
        (["hook", "check", "--timeout", "inf"], ["--timeout", "finite"]),
        (["hook", "check", "--fix-time", "nan"], ["--fix-time", "finite"]),
        (["hook", "check", "--suite-limit", "-1"], ["--suite-limit", "at least 0"]),
        (["hook", "review", "--timeout", "-1"], ["--timeout", "more than 0"]),
        (
            ["bench", "run", "tasks.jsonl", "--model", "scripted", "--task-timeout", "inf"],
            ["--task-timeout", "finite"],
        ),
        (
            ["bench", "run", "tasks.jsonl", "--model", "scripted", "--task-cost", "nan"],
            ["--task-cost", "finite"],
        ),
    ],
)
def test_a_flag_that_is_not_a_finite_bound_is_refused(tmp_path, argv, words):
    repo = make_repo(tmp_path / "repo")
    assert_one_line_refusal(agent(repo, *argv), *words)


@pytest.mark.parametrize(
    "variable, value, words",
    [
        ("AGENT_MAX_COST", "nan", ["max_cost_usd", "finite", "environment AGENT_MAX_COST"]),
        ("AGENT_MAX_WALL", "inf", ["max_wall_s", "finite", "environment AGENT_MAX_WALL"]),
        ("AGENT_COMMAND_TIMEOUT", "-1", ["command_timeout_s", "more than 0"]),
        ("AGENT_FULL_SUITE_S", "nan", ["full_suite_s", "finite"]),
    ],
)
def test_an_environment_bound_that_is_not_finite_is_refused(tmp_path, variable, value, words):
    repo = make_repo(tmp_path / "repo")
    assert_one_line_refusal(agent(repo, "solve", "fix it", env={variable: value}), *words)


@pytest.mark.parametrize(
    "setting, words",
    [
        ("max_wall_s = nan", ["max_wall_s", "finite", ".agent.toml"]),
        ("max_cost_usd = inf", ["max_cost_usd", "finite"]),
        ("max_cost_usd = -inf", ["max_cost_usd", "finite"]),
        ("command_timeout_s = -1", ["command_timeout_s", "more than 0"]),
        ("full_suite_s = -5.0", ["full_suite_s", "at least 0"]),
        ("debug_rounds = -1", ["debug_rounds", "at least 0"]),
    ],
)
def test_a_config_file_bound_that_is_not_finite_is_refused(tmp_path, setting, words):
    (tmp_path / ".agent.toml").write_text(setting + "\n")
    with pytest.raises(UserError) as refused:
        load_config(tmp_path, {})
    for word in words:
        assert word in str(refused.value)


def test_a_nan_in_pyproject_tool_agent_stops_agent_solve_with_one_line(tmp_path):
    repo = make_repo(
        tmp_path / "repo", files={"pyproject.toml": "[tool.agent]\nmax_wall_s = nan\n"}
    )
    assert_one_line_refusal(
        agent(repo, "solve", "fix it"), "max_wall_s", "pyproject.toml [tool.agent]"
    )
