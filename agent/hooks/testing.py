"""The check itself: choose the affected tests, run them in the sandbox on the checked content.

The verdict is a plain dict (so it can be cached): `code` (0 pass, 1 fail), `lines` to show,
`failing` test ids and `report` (pytest's short output, for a repair), and `keep` (False when
the result says nothing about the content, e.g. a timeout).
"""

from __future__ import annotations

import time
from pathlib import Path

from agent.hooks.suite import remember_suite_seconds, suite_seconds
from agent.hooks.target import Target, content_dir

REPORT_CHARS = 8000


def run_affected(target: Target, timeout_s: float, suite_limit_s: float) -> dict:
    """Run the tests the target's Python files affect (or the fast whole suite)."""
    from agent.config import load_config
    from agent.index import RepoIndex
    from agent.index.affected import affected_tests

    started = time.monotonic()
    agent_dir = target.root / ".agent"
    with content_dir(target) as content:
        config = load_config(content)
        if not config.test_command:
            return _verdict(
                0,
                [
                    "agent-check: no test command for this project (set "
                    "test_command in .agent.toml); nothing ran"
                ],
            )
        tests: list[str] = []
        if "pytest" in config.test_command:  # other runners take no test-file targets
            with RepoIndex.open(target.root) as index:
                tests = [t for t in affected_tests(index, target.files) if (content / t).is_file()]
        whole = not tests
        if whole:
            seconds = suite_seconds(agent_dir)
            if seconds is not None and seconds > suite_limit_s:
                return _verdict(
                    0,
                    [
                        f"agent-check: no tests map to the {target.label} files and the whole suite "
                        f"took {seconds:.0f}s (over --suite-limit {suite_limit_s:.0f}s); none ran"
                    ],
                )
        remaining = timeout_s - (time.monotonic() - started)
        # The fallback is for fast suites only: one slower than the limit is stopped there.
        run = _run_tests(
            content, config, tests, min(remaining, suite_limit_s) if whole else remaining
        )
        if whole:
            remember_suite_seconds(agent_dir, run.duration_s)
            if run.timed_out and remaining > suite_limit_s:
                return _verdict(
                    0,
                    [
                        f"agent-check: no tests map to the {target.label} files and "
                        f"the whole suite takes over {suite_limit_s:.0f}s "
                        "(--suite-limit); it was stopped, none judged"
                    ],
                )
        return _judge(run, target, tests, str(content), timeout_s)


def _run_tests(content: Path, config, tests: list[str], timeout_s: float):
    from agent.sandboxing import sandbox_for
    from agent.tools import ToolContext
    from agent.tools.run import run_tests_structured

    box = sandbox_for(content, config)
    ctx = ToolContext(content, box, test_command=config.test_command, test_env=config.test_env)
    return run_tests_structured(ctx, " ".join(tests), timeout=max(int(timeout_s), 1))


def _judge(run, target: Target, tests: list[str], content: str, timeout_s: float) -> dict:
    from agent.hooks.failures import failure_lines

    scope = (
        f"{len(tests)} test file(s) the {target.label} change affects"
        if tests
        else f"the whole suite (no test maps to the {target.label} files)"
    )
    if run.timed_out:
        return _verdict(
            1,
            [
                f"agent-check: the tests did not finish within {timeout_s:.0f}s "
                "(--timeout); raise it, or move agent-check to the pre-push stage"
            ],
            keep=False,
        )
    if run.ok or run.exit_code == 5:
        counted = f"{run.passed} passed" if run.parsed else "passed"
        return _verdict(0, [f"agent-check: {counted} in {scope} ({run.duration_s:.1f}s)"])
    head = (
        f"agent-check: {run.failed} failed, {run.errors} errors in {scope} ({run.duration_s:.1f}s)"
    )
    lines = failure_lines(run, content) if run.parsed else []
    if not lines:
        lines = [
            "agent-check: the test command failed without a pytest summary:",
            *run.output.strip().splitlines()[-20:],
        ]
    report = run.render().replace(content.rstrip("/") + "/", "")
    return _verdict(
        1, [head, *lines], failing=[f.test_id for f in run.failures], report=report[:REPORT_CHARS]
    )


def _verdict(
    code: int,
    lines: list[str],
    failing: list[str] | None = None,
    report: str = "",
    keep: bool = True,
) -> dict:
    return {"code": code, "lines": lines, "failing": failing or [], "report": report, "keep": keep}
