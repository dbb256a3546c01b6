"""The verify strategy: the targets first, then the affected tests, then the whole suite.

The targets (`agent.testing.targets`) must pass even if they failed before. A planned test
that does not exist is no failure: the passing report lists it as missing. They run in one
invocation with the designed tests, whose failures do not count. Wider runs are judged
against the start tree (`StartTree`: the baseline's report, or a run of just the failing
tests on the start tree): only new failures count. A suite that ran in under QUICK_SUITE_S before
simply runs whole; a slower one runs the affected test files first (an earlier, cheaper
verdict), then whole only if it took at most `full_suite_s`. Affected files that are most of
the suite's run as the suite, once; with a `RunMemo`, no set of tests reruns on one tree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from agent.events import Event, EventSink
from agent.testing.report import RunMemo, TestReport, run
from agent.testing.targets import Targets

if TYPE_CHECKING:
    from agent.testing.start_tree import StartTree
    from agent.tools.context import ToolContext

MOST_OF_SUITE = 0.7  # affected test files at this share of all of them: run the suite once
QUICK_SUITE_S = 10.0  # a suite this fast runs whole at once, without an affected-tests pass


class DesignedFile(Protocol):
    """What the verifier needs of the test designer's file (`agent.test_designer`'s
    `DesignedTests`): in the workspace for the targeted run, away for the suite, then settled.
    Passed in, as the designer sits above this layer (it runs its tests through `report`)."""

    path: str
    kept: list[str]

    def put(self, ctx: ToolContext) -> None: ...
    def take_away(self, ctx: ToolContext) -> None: ...
    def owns(self, test_id: str) -> bool: ...
    def settle(self, ctx: ToolContext, report: TestReport) -> None: ...
    def kept_file(self) -> Event: ...


@dataclass
class Verifier:
    """How one plan's change is judged; `changed` gives the files changed so far, `before`
    what the start tree's tests did."""

    ctx: ToolContext
    emit: EventSink
    before: StartTree
    full_suite_s: float = float("inf")
    changed: Callable[[], list[str]] = list
    memo: RunMemo | None = None

    def verify(self, targets: Targets, designed: DesignedFile | None = None) -> TestReport:
        """The targets (with the `designed` tests), then the suite; the first failing verdict."""
        ids = targets.ids()
        missing: dict[str, list[str]] = {}
        designed_run = None
        if ids or designed is not None:
            targeted, designed_run = self._targeted(ids, designed)
            if ids and not targeted.ok:
                return targeted
            missing = targeted.missing
        suite = self._suite()
        if not suite.ok:
            return suite
        if designed is not None:
            designed.settle(self.ctx, designed_run)
            if designed.kept:
                self.emit(designed.kept_file())
            suite.passed += len(designed.kept)  # they ran (and passed) with the targets
        suite.missing = missing
        return suite

    def _run(self, target: str) -> TestReport:
        if self.memo is not None:
            return self.memo.run(self.ctx, target, self.emit)
        return run(self.ctx, target, self.emit)

    def _targeted(
        self, targets: list[str], designed: DesignedFile | None
    ) -> tuple[TestReport, TestReport | None]:
        """The targets and the designed tests in one run: (the verdict on the targets alone,
        the whole run for settling the designed tests, or None when there are none)."""
        ids = list(dict.fromkeys(targets)) + ([designed.path] if designed is not None else [])
        if designed is not None:
            designed.put(self.ctx)
        try:
            report = self._run(" ".join(ids))
        finally:
            if designed is not None:
                designed.take_away(self.ctx)
        if designed is None:
            return report, None
        targeted = replace(report, failing=[t for t in report.failing if not designed.owns(t)])
        if not report.ok and len(targeted.failing) < len(report.failing):
            # Only the designed tests failed (a crash is errors no failing test accounts for).
            unexplained = report.failed + report.errors - len(report.failing)
            targeted.ok = report.collected and not targeted.failing and unexplained <= 0
        return targeted, report

    def _suite(self) -> TestReport:
        """The affected test files (unless the suite is quick), then the whole suite if it
        is fast enough, each judged against the start tree."""
        if not self.ctx.test_command:
            return TestReport(ok=True, details="no test command for this project; unverified")
        took = self.before.duration_s()  # None: stopped before it finished, so not quick
        quick = took is not None and took <= min(QUICK_SUITE_S, self.full_suite_s)
        took = took if took is not None else self.before.elapsed()  # at least that long
        affected = [] if quick else affected_test_files(self.ctx, self.changed())
        if affected and _most_of_suite(self.ctx, affected):
            affected = []  # the suite once, rather than nearly all of it twice
        if affected:
            suite = _against_start(self._run(" ".join(affected)), self.before)
            if not suite.ok:
                return suite
            if took > self.full_suite_s:
                suite.details += (
                    f"\nOnly the affected tests ran: the whole suite took "
                    f"{took:.0f}s or more before (over full_suite_s = "
                    f"{self.full_suite_s:.0f})."
                )
                return suite
        return _against_start(self._run(""), self.before)


def affected_test_files(ctx, changed: list[str]) -> list[str]:
    """The test files that the changed files can affect (by imports and names)."""
    from agent.index.affected import affected_tests

    present = [p for p in changed if (ctx.root / p).is_file()]
    if not present:
        return []
    return [t for t in affected_tests(ctx.index, present) if (ctx.root / t).is_file()]


def _most_of_suite(ctx, affected: list[str]) -> bool:
    """True when the affected test files are most of the project's test files."""
    from agent.index.affected import is_test_file

    every = [p for p in ctx.index.files() if is_test_file(p)]
    return len(affected) >= MOST_OF_SUITE * max(len(every), 1)


def _against_start(report: TestReport, before: StartTree) -> TestReport:
    """Judge a wide run by the failures the start tree did not have."""
    old = before.failed_before(report.failing)
    if old is None:
        old = set()
        report.details += (
            "\nThe start tree's tests could not be run here: every failure counts as new."
        )
    report.new_failures = [t for t in report.failing if t not in old]
    report.ok = not report.new_failures and report.collected
    return report
