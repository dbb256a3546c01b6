"""One real test run in the sandbox and what it showed; the baseline; runs kept per tree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from agent.events import EventSink, PhaseChanged, TestsRun

FAILURE_OUTPUT_CHARS = 4000  # of a failing run's short output, carried by its TestsRun event
PYTEST_INTERRUPTED = 2  # pytest's exit status when a file did not collect: no test ran
PYTEST_NO_TESTS = 5


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
        from agent.tools.testrender import test_counts

        return test_counts(self.passed, failed=self.failed, errors=self.errors)

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
    report = _report(result)
    _emit(emit, result, report)
    return report


def run_sides(
    ctx, first: list[str], second: list[str], emit: EventSink
) -> tuple[TestReport | None, TestReport | None]:
    """One pytest run of the ids `first` and `second` (one start-up instead of two), and
    each side's report split out of it as if it had run alone: the cases under an id of
    `second` are its, all others `first`'s. None for a side whose verdict the shared run
    does not give (no per-test report, a timeout, collection stopped before its tests ran):
    run that side alone."""
    from agent.tools.run import run_tests_structured

    result = run_tests_structured(ctx, " ".join([*first, *second]))
    _emit(emit, result, _report(result))

    def theirs(test_id: str) -> bool:
        return any(_under(test_id, t) for t in second)

    return (
        _side(ctx, result, first, lambda t: not theirs(t)),
        _side(ctx, result, second, theirs),
    )


def _side(ctx, result, ids: list[str], mine: Callable[[str], bool]) -> TestReport | None:
    """The report of the cases `mine` claims, with the exit status a run of `ids` alone
    would have had; None when the shared run does not tell it."""
    from agent.tools.run import test_command_line

    cases = [c for c in result.cases if mine(c.test_id)]
    missing = {t: near for t, near in result.missing.items() if mine(t)}
    own_collection_error = any(c.collection for c in cases)
    if result.source != "report" or result.timed_out or result.exit_code not in (0, 1, 2):
        return None
    if result.exit_code == PYTEST_INTERRUPTED and not own_collection_error:
        return None  # the other side's file did not collect, so pytest ran no test of ours
    exit_code = result.exit_code
    if exit_code != PYTEST_INTERRUPTED:
        failing = any(c.failing for c in cases)
        exit_code = 1 if failing else 0 if cases or missing else PYTEST_NO_TESTS
    command = test_command_line(ctx.test_command, " ".join(ids), ctx.root)
    return _report(
        replace(result, command=command, cases=cases, missing=missing, exit_code=exit_code)
    )


def _under(test_id: str, target: str) -> bool:
    """True when `test_id` is `target` or inside it (a test of its file, a file of its folder)."""
    folder = target.rstrip("/") + "/"
    return test_id == target or test_id.startswith((target + "::", target + "[", folder))


def _report(result) -> TestReport:
    """The loop's report of a `TestRun`."""
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
        and result.exit_code != PYTEST_NO_TESTS
        and (result.parsed or result.ok),
        duration_s=result.duration_s,
        missing=dict(result.missing),
    )
    report.ok = result.ok and (report.collected or result.only_missing)
    return report


def _emit(emit: EventSink, result, report: TestReport) -> None:
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
