"""Judge a task the way SWE-bench does: the FAIL_TO_PASS tests pass, the PASS_TO_PASS still pass.

The task's own test files and pytest configuration are put back first, so a change that
edits or deletes the failing tests (or the conftest and settings that run them) does not
count as a fix; then the task's hidden test_patch (a mined or SWE-bench task) is applied.
The tests run in the sandbox, by node id, with the task's test command (its environment and
options, without its test paths), through the judge's own runner (`agent.bench.judge`).
A change that adds files Python runs at start-up or that stand in for pytest is tampered
and never resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Evaluation:
    """The verdict on one task and the tests behind it."""

    resolved: bool
    fail_to_pass_failing: list[str] = field(default_factory=list)
    pass_to_pass_failing: list[str] = field(default_factory=list)
    reset_files: list[str] = field(default_factory=list)
    timed_out: bool = False
    tampered: dict[str, str] = field(default_factory=dict)  # path -> why
    judge_error: str = ""

    @property
    def verdict(self) -> str:
        """resolved, unresolved, tampered or judge error."""
        if self.tampered:
            return "tampered"
        if self.judge_error:
            return "judge error"
        return "resolved" if self.resolved else "unresolved"

    def to_dict(self) -> dict[str, Any]:
        """The fields a results row carries."""
        return {
            "resolved": self.resolved,
            "verdict": self.verdict,
            "fail_to_pass_failing": self.fail_to_pass_failing,
            "pass_to_pass_failing": self.pass_to_pass_failing,
            "reset_test_files": self.reset_files,
            "eval_timed_out": self.timed_out,
            "tampered": self.tampered,
            "judge_error": self.judge_error,
        }


def evaluate(
    root: Path, commit: str, task: dict[str, Any], backend: str = "auto", timeout: float = 600.0
) -> Evaluation:
    """Reset the task's test files in `root`, run its tests in the sandbox, give the verdict."""
    from agent.bench.judge import judge_run
    from agent.bench.tamper import drop_bytecode, reset_test_config, tampering
    from agent.bench.tasks import patch_paths
    from agent.bench.workcopy import apply_patch, reset_test_files
    from agent.debug.coverage_map import PytestCommand

    fail_to_pass = list(task.get("FAIL_TO_PASS", []))
    pass_to_pass = list(task.get("PASS_TO_PASS", []))
    ids = fail_to_pass + [t for t in pass_to_pass if t not in fail_to_pass]
    test_patch = task.get("test_patch") or ""
    tampered = tampering(root, commit)
    drop_bytecode(root, commit)
    reset = reset_test_files(
        root, commit, {t.split("::")[0] for t in ids} | patch_paths(test_patch)
    )
    reset += reset_test_config(root, commit)
    apply_patch(root, test_patch)
    command = PytestCommand.parse(task.get("test_command") or "python -m pytest")
    run = judge_run(root, command.env, command.args_without_paths(), ids, timeout, backend)
    passed = {t for t, status in run.results.items() if status in ("PASSED", "XPASS")}
    f2p_failing = [t for t in fail_to_pass if t not in passed]
    p2p_failing = [t for t in pass_to_pass if t not in passed]
    resolved = (
        bool(ids)
        and not f2p_failing
        and not p2p_failing
        and not run.timed_out
        and not run.problem
        and not tampered
    )
    return Evaluation(
        resolved, f2p_failing, p2p_failing, reset, run.timed_out, tampered, run.problem
    )
