"""run_command and run_tests: commands in the sandbox, and test results the model can act on."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from agent.confine import exists_inside
from agent.tools.context import ToolContext
from agent.tools.errors import ToolError
from agent.tools.pytest_runner import PYTEST_FLAGS, missing_ids
from agent.tools.registry import tool
from agent.tools.runners import run_with_runner, runner_name
from agent.tools.testrun import TestRun

DEFAULT_TEST_TIMEOUT = 600
COLLECT_TIMEOUT = 120


@tool(read_only=False)
def run_command(ctx: ToolContext, command: str, timeout: int = 120) -> str:
    """Run a bash command at the repository root. What it writes lasts only in the repository
    and in $AGENT_SCRATCH (a folder for throwaway scripts, on the import path), not in /tmp."""
    if not command.strip():
        raise ToolError("command is empty")
    # Not a login shell (-l): /etc/profile would reset PATH and lose the project's python.
    result = ctx.sandbox.run(
        ["bash", "-c", command], cwd=ctx.root, timeout=max(timeout, 1), env=command_env(ctx)
    )
    _record_changes(ctx)
    status = f"exit code {result.exit_code} ({result.duration_s:.2f}s)"
    if result.timed_out:
        status = f"timed out after {timeout}s and was killed"
    elif result.killed_by:
        status += f", killed by {result.killed_by}"
    parts = [f"$ {command}", status]
    if result.stdout:
        parts += ["--- stdout ---", result.stdout.rstrip("\n")]
    if result.stderr:
        parts += ["--- stderr ---", result.stderr.rstrip("\n")]
    if not (result.stdout or result.stderr):
        parts.append("(no output)")
    return "\n".join(parts)


def command_env(ctx: ToolContext) -> dict[str, str]:
    """What run_command adds to the sandbox's environment: the tests' environment, the
    project on PYTHONPATH (absolute, so scripts run from anywhere import it as the tests
    do) and $AGENT_SCRATCH."""
    env = dict(ctx.test_env)
    own = [str(ctx.root / e) for e in env.get("PYTHONPATH", "").split(":") if e]
    inherited = [e for e in os.environ.get("PYTHONPATH", "").split(":") if e]
    env["PYTHONPATH"] = ":".join(dict.fromkeys([*own, str(ctx.root), *inherited]))
    if ctx.scratch is not None:
        env["AGENT_SCRATCH"] = str(ctx.scratch)
    return env


@tool(read_only=False)
def run_tests(ctx: ToolContext, target: str = "", timeout: int = DEFAULT_TEST_TIMEOUT) -> str:
    """Run the project's tests: what passed and failed, with tracebacks.

    Args:
        target: Paths or test ids, space-separated; empty: the whole suite.
    """
    return run_tests_structured(ctx, target, timeout).render()


def run_tests_structured(
    ctx: ToolContext, target: str = "", timeout: int = DEFAULT_TEST_TIMEOUT
) -> TestRun:
    """Run the tests (all, or `target`) and return the parsed result, for the loop."""
    if not ctx.test_command:
        raise ToolError("no test command is configured for this repository")
    base, targets = _base_and_targets(ctx.test_command, target, ctx.root)
    env = ctx.test_env or None
    name = runner_name(ctx.test_command, ctx.root)
    run = run_with_runner(ctx, name, base, targets, timeout, env)
    if run is None:
        run = _run_command_only(ctx, test_command_line(ctx.test_command, target), timeout, env)
    _record_changes(ctx)
    return run


def missing_tests(ctx: ToolContext, test_ids: list[str]) -> dict[str, list[str]]:
    """The ids among `test_ids` that exist in no form, each with the nearest existing ids.

    Only pytest's ids are checked; for other runners (or none) every id is taken as existing.
    """
    if not test_ids or not ctx.test_command or "pytest" not in ctx.test_command:
        return {}
    base, _ = _base_and_targets(ctx.test_command, shlex.join(test_ids), ctx.root)
    return missing_ids(ctx, base, test_ids, COLLECT_TIMEOUT, ctx.test_env or None)


def _run_command_only(ctx: ToolContext, command: str, timeout: int, env) -> TestRun:
    """A runner we cannot read a report from: only its exit status is a verdict."""
    result = ctx.sandbox.run(
        ["bash", "-c", command], cwd=ctx.root, timeout=max(timeout, 1), env=env
    )
    output = result.stdout + ("\n" + result.stderr if result.stderr else "")
    return TestRun(
        command,
        result.exit_code,
        runner="command",
        output=output,
        duration_s=result.duration_s,
        timed_out=result.timed_out,
        killed_by=result.killed_by,
    )


def test_command_line(test_command: str, target: str, root: Path | None = None) -> str:
    """The shell command for a run: pytest gets flags for a parseable summary; targets quoted.

    With a target, the test paths at the end of the project's command (`pytest -q tests`)
    are dropped, so the run covers the target only rather than the target plus the suite.
    """
    base, targets = _base_and_targets(test_command, target, root)
    parts = [base] + ([PYTEST_FLAGS] if "pytest" in test_command else [])
    return " ".join(parts + [shlex.quote(t) for t in targets])


def _base_and_targets(test_command: str, target: str, root: Path | None) -> tuple[str, list[str]]:
    try:
        targets = shlex.split(target)
    except ValueError as error:
        raise ToolError(f"cannot read target {target!r}: {error}") from error
    base = test_command
    if root is not None and "pytest" not in test_command:
        targets = regroup_ids(targets, root)
    if targets and root is not None and "pytest" in test_command:
        words = shlex.split(test_command)
        while len(words) > 1 and not words[-1].startswith("-") and (root / words[-1]).exists():
            words.pop()
        base = shlex.join(words)
    return base, targets


def regroup_ids(words: list[str], root: Path) -> list[str]:
    """Ids whose names hold spaces (`test/a.test.js::clamp > above`, unquoted, as the loop
    joins them) put together again: a word starts a new target only if it is an id or a path."""
    targets: list[str] = []
    for word in words:
        if targets and "::" in targets[-1] and "::" not in word and not exists_inside(root, word):
            targets[-1] += " " + word
        else:
            targets.append(word)
    return targets


def _record_changes(ctx: ToolContext) -> None:
    """Note the files the command just run created, changed or deleted (the sandbox's watch
    saw them), so the index follows."""
    for change in ctx.sandbox.last_changes:
        # Bytecode caches and git's own folder are not edits the index cares about.
        if "__pycache__/" not in change.path and not change.path.startswith(".git/"):
            ctx.record_change(change.path)
