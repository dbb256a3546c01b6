"""Which test runner a project's test command is, and the test-id syntax the model uses for it.

Each runner is a small adapter module (pytest, go, the JavaScript runners, cargo); this one
only tells them apart, so `run_tests` dispatches here and states the detected runner's id
syntax in its description. A command none of them is gets its exit status as the verdict.
"""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

ID_SYNTAX = {
    "pytest": '"tests/test_x.py::TestK::test_y" or "tests/test_x.py".',
    "go": 'go packages and tests: "./pkg::TestName" (its subtests run with it) or "./pkg".',
    "node": (
        '"FILE::NAME", NAME being the test\'s describe titles and its own joined by " > " '
        "(quote an id with spaces: 'test/calc.test.js::clamp > above'), or a test file."
    ),
    "cargo": (
        '"SRC::PATH", a test\'s path under the source of its test binary, as cargo test '
        'names it: "src/lib.rs::tests::clamps", "tests/api.rs::round_trip"; or a source '
        'like "tests/api.rs"; doc tests are "doc::src/lib.rs - NAME (line N)".'
    ),
}
ID_SYNTAX["vitest"] = ID_SYNTAX["jest"] = ID_SYNTAX["node"]
GENERIC = "Paths or test ids, space-separated"


def runner_name(test_command: str | None, root: Path) -> str | None:
    """ "pytest", "go", "node", "vitest", "jest" or "cargo"; None for another command."""
    from agent.tools.js_runner import js_runner

    if not test_command:
        return None
    if "pytest" in test_command:
        return "pytest"
    try:
        words = shlex.split(test_command)
    except ValueError:
        return None
    if words[:2] == ["go", "test"]:
        return "go"
    if words[:2] == ["cargo", "test"]:
        return "cargo"
    found = js_runner(test_command, root)
    return found[0] if found else None


def target_description(test_command: str | None, root: Path) -> str:
    """run_tests' `target` argument described for the detected runner's test ids."""
    name = runner_name(test_command, root)
    syntax = f" {name} ids: {ID_SYNTAX[name]}" if name else "."
    return f"{GENERIC}; empty: the whole suite.{syntax}"


def run_tests_for(tool, test_command: str | None, root: Path):
    """The run_tests tool with its `target` described for this project's runner."""
    params = tuple(
        dataclasses.replace(p, description=target_description(test_command, root))
        if p.name == "target"
        else p
        for p in tool.params
    )
    return dataclasses.replace(tool, params=params)


def run_with_runner(
    ctx, name: str | None, base: str, targets: list[str], timeout: int, env: dict | None
):
    """Run the targets with the named runner's adapter; None when there is no adapter."""
    if name == "pytest":
        from agent.tools.pytest_runner import run_pytest

        return run_pytest(ctx, base, targets, timeout, env)
    if name == "go":
        from agent.tools.go_runner import run_go

        return run_go(ctx, ctx.test_command, targets, timeout, env)
    if name == "cargo":
        from agent.tools.cargo_runner import run_cargo

        return run_cargo(ctx, ctx.test_command, targets, timeout, env)
    if name in ("node", "vitest", "jest"):
        from agent.tools.js_runner import js_runner, run_js

        found = js_runner(ctx.test_command, ctx.root)
        if found is not None:
            return run_js(ctx, found[0], found[1], targets, timeout, env)
    return None
