"""The loop's testing: the baseline, targeted runs, the suite against its baseline, debug input.

Every verdict here comes from a real test run in the sandbox; nothing is taken from the model.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import prompts
from agent.events import EventSink, PhaseChanged, TestsRun

STOPWORDS = frozenset(
    "the and for with that this from when should into does not but are was were have has "
    "its it's can cannot will would make makes made use uses using what which there their "
    "them then than also only just like about after before while where every each some any "
    "all returns return value values wrong instead fix bug error test tests".split()
)
WORD = re.compile(r"[A-Za-z_][\w./-]*[\w]")
EVIDENCE_TESTS = 3  # failing tests the debug phase localizes from
MOST_OF_SUITE = 0.7  # affected test files at this share of all of them: run the suite once
QUICK_SUITE_S = 10.0  # a suite this fast runs whole at once, without an affected-tests pass
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
        from tools.testrender import missing_lines

        return "\n".join(missing_lines(self.missing))


def focus_terms(task: str, index) -> list[str]:
    """Paths, identifiers and distinctive words from the task, for ranking the repo map."""
    terms = []
    for word in WORD.findall(task):
        if len(word) >= 3 and word.lower() not in STOPWORDS:
            terms.append(word.rstrip("."))
    return list(dict.fromkeys(terms))


def run(ctx, target: str, emit: EventSink) -> TestReport:
    """Run the project's tests (all, or `target`) in the sandbox and report (also as an event)."""
    from tools.run import run_tests_structured

    result = run_tests_structured(ctx, target)
    # A crash or a hang counts against the change; a test id that does not exist does not.
    broken = result.timed_out or result.crashed
    report = TestReport(
        command=result.command, passed=result.passed, failed=result.failed,
        errors=max(result.errors, 1 if broken else 0),
        failing=[f.test_id for f in result.failures], details=result.render(),
        collected=not result.only_missing and result.exit_code != 5 and (
            result.parsed or result.ok), duration_s=result.duration_s,
        missing=dict(result.missing),
    )
    report.ok = result.ok and (report.collected or result.only_missing)
    emit(TestsRun(result.command, result.passed, result.failed, report.errors,
                  tuple(report.failing), result.exit_code,
                  "" if report.ok else report.details[:FAILURE_OUTPUT_CHARS]))
    return report


def saw_fail(report: TestReport, test_id: str) -> bool:
    """True when the run saw `test_id` fail: itself, a test under it, or its file's import."""
    return any(f == test_id or f.startswith((test_id + "::", test_id + "["))
               or test_id.startswith((f + "::", f + "/")) for f in report.failing)


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
        return replace(self._reports[key], failing=list(self._reports[key].failing),
                       new_failures=[])


def baseline(ctx, emit: EventSink) -> TestReport | None:
    """The suite as it is before any change, so pre-existing failures are not blamed on us."""
    if not ctx.test_command:
        return None
    return run(ctx, "", emit)


def task_context(ctx, task: str, baseline_report: TestReport | None, emit: EventSink,
                 evidence: bool = False) -> str:
    """What the agent measured before the model starts: the suite's state, the named tests
    and, with `evidence`, where the named failing tests point and what really happened."""
    lines = []
    if baseline_report is None:
        lines.append("No test command was found for this project.")
    else:
        lines.append(f"The test suite before any change ({baseline_report.command}): "
                     f"{baseline_report.summary_line()}.")
        if baseline_report.failing:
            lines.append("Already failing: " + ", ".join(baseline_report.failing[:20]))
    named = named_tests_context(ctx, task, emit, evidence)
    return "\n".join(lines + ([named] if named else []))


def named_tests(ctx, task: str) -> list[str]:
    """The pytest ids the task names that exist in the repository."""
    from agent.plan import TEST_ID

    return [t for t in dict.fromkeys(TEST_ID.findall(task)) if _exists(ctx, t)]


def named_tests_context(ctx, task: str, emit: EventSink, evidence: bool = False) -> str:
    """Run the tests the task names (pytest ids) and describe what really happened; with
    `evidence`, the failing ones are also localized and the first one traced."""
    named = named_tests(ctx, task)
    if not named:
        return ""
    report = run(ctx, " ".join(named), emit)
    text = f"The tests the task names were run now: {report.brief(limit=4000)}"
    if evidence and report.failing:
        first = report.failing[0]
        emit(PhaseChanged("localize", f"ranking suspects and tracing {first}"))
        text += ("\n\nEvidence recorded from real runs (not imagined): where the bug likely "
                 f"is, then what really happened when {first} ran:\n"
                 + _evidence(ctx, report.failing[:EVIDENCE_TESTS]))
    return text


def verify(ctx, task: str, plan, baseline_report, reproduction, designed, emit: EventSink,
           full_suite_s: float = float("inf"),
           changed: Callable[[], list[str]] = list, memo: RunMemo | None = None) -> TestReport:
    """Targeted tests, then the affected tests, then the whole suite if it is fast enough.

    The targets are the reproduction, the tests the plan names and the tests the task names:
    those must pass even if they failed before, which the baseline comparison alone forgives.
    A planned test that does not exist is no failure: the passing report lists it as missing.
    They run in one invocation with the `designed` tests, whose failures do not count.
    Wider runs are judged against the baseline: only new failures count. A suite that ran in
    under QUICK_SUITE_S before simply runs whole; a slower one runs the affected test files
    first (an earlier, cheaper verdict), then whole only if it took at most `full_suite_s`.
    `changed` gives the files the session has changed so far. Affected files that are most
    of the suite's run as the suite, once; with `memo`, no set of tests reruns on one tree.
    """
    runner = memo.run if memo is not None else run
    # pytest names the ids that do not exist; another runner would fail on them
    planned = [t for t in plan.test_ids()
               if _exists(ctx, t) or "pytest" in (ctx.test_command or "")]
    targets = [*(reproduction or []), *planned, *named_tests(ctx, task)]
    missing: dict[str, list[str]] = {}
    designed_run = None
    if targets or designed is not None:
        targeted, designed_run = _targeted(runner, ctx, targets, designed, emit)
        if targets and not targeted.ok:
            return targeted
        missing = targeted.missing
    if not ctx.test_command:
        suite = TestReport(ok=True, details="no test command for this project; unverified")
    else:
        took = baseline_report.duration_s if baseline_report else 0.0
        quick = took <= min(QUICK_SUITE_S, full_suite_s)
        affected = [] if quick else affected_test_files(ctx, changed())
        if affected and _most_of_suite(ctx, affected):
            affected = []  # the suite once, rather than nearly all of it twice
        if affected:
            suite = _against_baseline(runner(ctx, " ".join(affected), emit), baseline_report)
            if not suite.ok:
                return suite
        if not affected or took <= full_suite_s:
            suite = _against_baseline(runner(ctx, "", emit), baseline_report)
            if not suite.ok:
                return suite
        else:
            suite.details += (f"\nOnly the affected tests ran: the whole suite took {took:.0f}s "
                              f"before (over full_suite_s = {full_suite_s:.0f}).")
    if designed is not None:
        designed.settle(ctx, designed_run)
        suite.passed += len(designed.kept)  # they ran (and passed) with the targets
    suite.missing = missing
    return suite


def _targeted(runner, ctx, targets: list[str], designed, emit: EventSink
              ) -> tuple[TestReport, TestReport | None]:
    """The targets and the designed tests in one run: (the verdict on the targets alone,
    the whole run for settling the designed tests, or None when there are none)."""
    ids = list(dict.fromkeys(targets)) + ([designed.path] if designed is not None else [])
    if designed is not None:
        designed.put(ctx)
    try:
        report = runner(ctx, " ".join(ids), emit)
    finally:
        if designed is not None:
            designed.take_away(ctx)
    if designed is None:
        return report, None
    targeted = replace(report, failing=[t for t in report.failing if not designed.owns(t)])
    if not report.ok and len(targeted.failing) < len(report.failing):
        # Only the designed tests failed (a crash is errors no failing test accounts for).
        unexplained = report.failed + report.errors - len(report.failing)
        targeted.ok = report.collected and not targeted.failing and unexplained <= 0
    return targeted, report


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


def _against_baseline(report: TestReport, baseline_report: TestReport | None) -> TestReport:
    """Judge a wide run by the failures the baseline did not have."""
    before = set(baseline_report.failing) if baseline_report else set()
    report.new_failures = [t for t in report.failing if t not in before]
    report.ok = not report.new_failures and report.collected
    return report


def debug_message(parts, report: TestReport, debug_round: int) -> str:
    """The debug prompt: the failures and, if enabled, the evidence from real runs: the
    functions ranked by coverage spectra and trace evidence, and the first test's trace."""
    trace, traced = "", ""
    failing = report.new_failures or report.failing
    if parts.config.traces and failing:
        traced = failing[0]
        trace = _evidence(parts.ctx, failing[:EVIDENCE_TESTS])
    return prompts.render(
        "debug", round=debug_round, rounds=parts.config.debug_rounds,
        failures=report.brief(), trace=trace, traced_test=traced,
    )


def _evidence(ctx, test_ids: list[str]) -> str:
    """Localization plus the first test's trace; the trace alone if localizing fails (a
    non-pytest command, no coverage data); or why nothing could be recorded."""
    from agent.debug.report import debug_brief
    from agent.errors import UserError
    from tools.debug_tools import trace_test
    from tools.errors import ToolError

    try:
        return debug_brief(ctx.root, test_ids, ctx.test_command, backend=ctx.sandbox)
    except UserError:
        pass
    try:
        return trace_test(ctx, test_ids[0])
    except ToolError as error:
        return f"(the test could not be traced: {error})"


def _exists(ctx, test_id: str) -> bool:
    return (ctx.root / test_id.split("::")[0]).exists()
