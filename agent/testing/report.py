"""One real test run in the sandbox and what it showed; the baseline; runs kept per tree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from agent.events import EventSink, PhaseChanged, TestsRun

FAILURE_OUTPUT_CHARS = 4000  # of a failing run's short output, carried by its TestsRun event


@dataclass
class TestReport:
    """What one or more real test runs showed."""

    command: str = ""
    passed: int = 0
    failed: int = 0
    errors: int = 0
    failing: list[str] = field(default_factory=list)
    details: str = ""
    ran: bool = True
    new_failures: list[str] = field(default_factory=list)
    ok: bool = False
    collected: bool = True
    duration_s: float = 0.0
    missing: dict[str, list[str]] = field(default_factory=dict)  # no such test -> nearest ids

    @classmethod
    def not_run(cls, reason: str) -> TestReport:
        """A report for when no tests could be run."""
        return cls(details=reason, ran=False)

    def summary_line(self) -> str:
        """One line: counts, or why nothing ran."""
        if not self.ran:
            return f"tests not run: {self.details}"
        return f"{self.passed} passed, {self.failed} failed, {self.errors} errors"

    def brief(self, limit: int = 6000) -> str:
        """The failing tests with their short output, capped for a prompt."""
        text = self.details if self.ran and self.details else self.summary_line()
        if self.new_failures:
            text += "\nNewly failing (passed before the change): " + ", ".join(self.new_failures)
        return text if len(text) <= limit else text[: limit - 20] + "\n[... cut ...]"

    def missing_note(self) -> str:
        """A line per requested test id that does not exist (not run, not a failure)."""
        from agent.tools.testrender import missing_lines

        return "\n".join(missing_lines(self.missing))


def run(ctx, target: str, emit: EventSink) -> TestReport:
    """Run the project's tests (all, or `target`) in the sandbox and report (also as an event)."""
    from agent.tools.run import run_tests_structured

    result = run_tests_structured(ctx, target)
    # A crash or a hang counts against the change; a test id that does not exist does not.
    broken = result.timed_out or result.crashed
    report = TestReport(
        command=result.command,
        passed=result.passed,
        failed=result.failed,
        errors=max(result.errors, 1 if broken else 0),
        failing=[f.test_id for f in result.failures],
        details=result.render(),
        collected=not result.only_missing
        and result.exit_code != 5
        and (result.parsed or result.ok),
        duration_s=result.duration_s,
        missing=dict(result.missing),
    )
    report.ok = result.ok and (report.collected or result.only_missing)
    emit(
        TestsRun(
            result.command,
            result.passed,
            result.failed,
            report.errors,
            tuple(report.failing),
            result.exit_code,
            "" if report.ok else report.details[:FAILURE_OUTPUT_CHARS],
        )
    )
    return report


class RunMemo:
    """Test runs by (tree id, target): a set of tests never runs twice on the same tree."""

    def __init__(self, tree: Callable[[], str]) -> None:
        self._tree = tree
        self._reports: dict[tuple[str, str], TestReport] = {}

    def run(self, ctx, target: str, emit: EventSink) -> TestReport:
        """`run(ctx, target, emit)`, or a copy of its report if it ran on this tree already."""
        key = (self._tree(), " ".join(sorted(target.split())))
        if key not in self._reports:
            self._reports[key] = run(ctx, target, emit)
        else:
            emit(PhaseChanged("test", f"already ran on this tree: {target or 'the suite'}"))
        return replace(
            self._reports[key], failing=list(self._reports[key].failing), new_failures=[]
        )


def baseline(ctx, emit: EventSink) -> TestReport | None:
    """The suite as it is before any change, so pre-existing failures are not blamed on us."""
    if not ctx.test_command:
        return None
    return run(ctx, "", emit)
