"""Judge a task the way SWE-bench does: the FAIL_TO_PASS tests pass, the PASS_TO_PASS still pass.

The task's own test files are put back first, so a change that edits or deletes the
failing tests does not count as a fix; then the task's hidden test_patch (a mined or
SWE-bench task) is applied. The tests run in the sandbox, by node id, with the
task's test command (its environment and options, without its test paths).
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

    def to_dict(self) -> dict[str, Any]:
        """The fields a results row carries."""
        return {"resolved": self.resolved,
                "fail_to_pass_failing": self.fail_to_pass_failing,
                "pass_to_pass_failing": self.pass_to_pass_failing,
                "reset_test_files": self.reset_files, "eval_timed_out": self.timed_out}


def evaluate(root: Path, commit: str, task: dict[str, Any], backend: str = "auto",
             timeout: float = 600.0) -> Evaluation:
    """Reset the task's test files in `root`, run its tests in the sandbox, give the verdict."""
    from agent.bench.synth import run_tests
    from agent.bench.tasks import patch_paths
    from agent.bench.workcopy import apply_patch, reset_test_files
    from agent.debug.coverage_map import PytestCommand

    fail_to_pass = list(task.get("FAIL_TO_PASS", []))
    pass_to_pass = list(task.get("PASS_TO_PASS", []))
    ids = fail_to_pass + [t for t in pass_to_pass if t not in fail_to_pass]
    test_patch = task.get("test_patch") or ""
    reset = reset_test_files(root, commit,
                             {t.split("::")[0] for t in ids} | patch_paths(test_patch))
    apply_patch(root, test_patch)
    command = PytestCommand.parse(task.get("test_command") or "python -m pytest")
    chosen = PytestCommand(command.env, (*command.args_without_paths(), *ids), tuple(ids))
    outcome = run_tests(root, chosen, timeout, backend)
    passed = {t for t, status in outcome.results.items() if status in ("PASSED", "XPASS")}
    f2p_failing = [t for t in fail_to_pass if t not in passed]
    p2p_failing = [t for t in pass_to_pass if t not in passed]
    resolved = bool(ids) and not f2p_failing and not p2p_failing and not outcome.timed_out
    return Evaluation(resolved, f2p_failing, p2p_failing, reset, outcome.timed_out)
