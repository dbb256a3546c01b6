"""Shared pieces for tests that drive the real loop with a scripted model on a real repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

from agent.messages import Message, ModelResponse, Text, ToolCall, Usage

CALC = '''def add(a, b):
    """Sum of two numbers."""
    return a + b


def clamp(value, low, high):
    """`value` limited to the range [low, high]."""
    if value < low:
        return low
    if value > high:
        return low
    return value
'''
CALC_TESTS = """from calc import add, clamp


def test_add():
    assert add(2, 3) == 5


def test_clamp_inside():
    assert clamp(5, 0, 10) == 5
"""
FIX_OLD = "    if value > high:\n        return low\n"
FIX_NEW = "    if value > high:\n        return high\n"
# With this machine's plugins a bare pytest run takes 1.9 s instead of 0.4 s, several times
# a test; the child runs of the tests' small projects need none of them.
FAST_PYTEST = 'test_env = { PYTEST_DISABLE_PLUGIN_AUTOLOAD = "1" }\n'
PYTEST = "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 python -m pytest"
QUIET = """independent_tests = false
reproduce = false
traces = false
"""


def git(repo: Path, *argv: str) -> str:
    """Run git in `repo` and return its stdout."""
    return subprocess.run(
        ["git", *argv], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def make_repo(root: Path, settings: str = QUIET, files: dict[str, str] | None = None) -> Path:
    """A committed git repository with the buggy calc module, its tests and .agent.toml.

    Child pytest runs skip plugin autoload unless the settings say how tests run.
    """
    root.mkdir(parents=True, exist_ok=True)
    if "test_command" not in settings and "test_env" not in settings:
        settings += FAST_PYTEST
    contents = {
        "calc.py": CALC,
        "tests/test_calc.py": CALC_TESTS,
        "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
        ".agent.toml": settings,
        **(files or {}),
    }
    return committed(root, contents)


def committed(root: Path, files: dict[str, str]) -> Path:
    """`root` made a git repository holding `files` (path -> text) in one commit."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-q", "-m", "init")
    return root


_ids = iter(range(1, 100_000))


def turn(text: str = "", *calls: tuple[str, dict], cost: float = 0.0) -> ModelResponse:
    """An assistant answer with optional text and tool calls."""
    parts = ([Text(text)] if text else []) + [
        ToolCall(f"t{next(_ids)}", name, args) for name, args in calls
    ]
    return ModelResponse(
        Message("assistant", parts),
        "tool_use" if calls else "end_turn",
        Usage(input_tokens=100, output_tokens=10, cost_usd=cost),
    )


def plan(
    agrees: bool = True,
    bug: bool = False,
    tests: list[str] | None = None,
    readings: list[str] | None = None,
    reading: str = "clamp() must return high above the range",
    new_tests: list[str] | None = None,
) -> ModelResponse:
    """A submit_plan turn (`new_tests`: tests the plan says it will write)."""
    args = {
        "reading": reading,
        "steps": ["calc.py clamp(): return high when value > high"],
        "check_input": "clamp(15, 0, 10)",
        "check_expected": "10",
        "check_walkthrough": "value > high, so return high = 10"
        if agrees
        else "value > high, so return low = 0",
        "check_agrees": agrees,
        "bug": bug,
        "tests": tests or [],
    }
    if new_tests:
        args["new_tests"] = new_tests
    if readings:
        args["readings"] = readings
        args["assumption"] = readings[0]
    return turn("", ("submit_plan", args))


def edit(old: str = FIX_OLD, new: str = FIX_NEW, path: str = "calc.py") -> ModelResponse:
    """An edit_file turn."""
    return turn("", ("edit_file", {"path": path, "old": old, "new": new}))


def finish(summary: str = "clamp() returns high above the range") -> ModelResponse:
    """A finish turn."""
    return turn("", ("finish", {"summary": summary}))


def texts(request) -> str:
    """All text a request's messages carry (tool results included), for asserting on prompts."""
    out = []
    for message in request.messages:
        for part in message.parts:
            out.append(getattr(part, "text", None) or getattr(part, "content", "") or "")
    return "\n".join(out)
