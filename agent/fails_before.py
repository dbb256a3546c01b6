"""Which of the designed tests fail before the change, asked in a run the loop makes anyway.

The designer's file (agent/test_designer.py) must run once on the start code. While the
reproduce phase checks the model's `reproduced` ids, the code under test is still the start
code (the phase writes tests only), so the file runs in that same pytest invocation: one
start-up instead of two, each side's verdict split out of the one report
(`agent.testing.report.run_sides`). Where that cannot be told (no reproduce phase, code
changed before `reproduced`, a run with no per-test report), the file runs alone: on the
start tree's code (`agent.testing.start_tree`) when code has changed, since a test that only
the change makes pass would otherwise be dropped as passing before it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from agent.test_designer import run_alone
from agent.testing.report import run, run_sides
from agent.testing.start_tree import can_check, run_on_start_tree

if TYPE_CHECKING:
    from agent.test_designer import DesignedTests
    from agent.testing.report import TestReport


class FailsBefore:
    """The designed tests' run on the start code (git tree `start_tree`), once;
    `before_write` is called before the file is put in the tree (a baseline still running
    must not collect it)."""

    def __init__(
        self,
        parts,
        designed: DesignedTests | None,
        start_tree: str,
        before_write: Callable[[], None],
    ):
        self._parts = parts
        self._designed = designed
        self._start_tree = start_tree
        self._before_write = before_write
        self._pending = designed is not None

    def beside(self, test_ids: list[str]) -> TestReport:
        """Run `test_ids` and return their report alone; the designed file runs in the same
        invocation while its run is pending and only test files changed since the start."""
        parts, designed = self._parts, self._designed
        if designed is None or not self._pending or not self._can_share(test_ids):
            return run(parts.ctx, " ".join(test_ids), parts.emit)
        self._before_write()
        designed.put(parts.ctx)
        try:
            asked, theirs = run_sides(parts.ctx, test_ids, [designed.path], parts.emit)
        finally:
            designed.take_away(parts.ctx)
        if theirs is not None:
            self._pending = False
            self._designed = designed.vetted(theirs)
        return asked if asked is not None else run(parts.ctx, " ".join(test_ids), parts.emit)

    def result(self) -> DesignedTests | None:
        """The designed tests that failed on the start code (the file runs alone now if it
        has not run yet); None when none did."""
        if self._pending and self._designed is not None:
            self._pending = False
            self._before_write()
            self._designed = self._alone(self._designed)
        return self._designed

    def _alone(self, designed: DesignedTests) -> DesignedTests | None:
        """The file's run by itself: on the start tree's code where code has changed (and
        the sandbox can bind it), else on the tree as it is."""
        parts = self._parts
        if not code_changed(parts.workspace.changed_files(parts.session_id)) or not can_check(
            parts.ctx
        ):
            return run_alone(parts, designed)
        now = parts.workspace.write_tree()  # before the file is put: it is bound as it is
        designed.put(parts.ctx)
        try:
            report = run_on_start_tree(
                parts.ctx, self._start_tree, now, [designed.path], parts.emit
            )
        finally:
            designed.take_away(parts.ctx)
        return designed.vetted(report) if report is not None else run_alone(parts, designed)

    def _can_share(self, test_ids: list[str]) -> bool:
        parts = self._parts
        if not test_ids or "pytest" not in (parts.ctx.test_command or ""):
            return False
        return not code_changed(parts.workspace.changed_files(parts.session_id))


def code_changed(paths: list[str]) -> bool:
    """True when a path other than a test file (or bytecode a run left) has changed."""
    from agent.index.affected import is_test_file

    return any(
        not is_test_file(p) and "__pycache__/" not in p and not p.endswith(".pyc") for p in paths
    )
