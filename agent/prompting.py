"""What the model is told of real test runs: the task's measured context, the debug message.

Every fact here comes from a run in the sandbox (`agent.testing`), never from the model.
"""

from __future__ import annotations

from agent import prompts
from agent.events import EventSink, PhaseChanged
from agent.testing.report import TestReport, run
from agent.testing.targets import named_tests

EVIDENCE_TESTS = 9  # failing tests the evidence is drawn from, three at a time


def task_context(baseline_report: TestReport | None, named: str = "") -> str:
    """What the agent measured before the model starts: the suite's state, then `named`
    (what the tests the task names did, from `named_tests_context`)."""
    lines = []
    if baseline_report is None:
        lines.append("No test command was found for this project.")
    else:
        lines.append(f"The test suite before any change: {baseline_report.summary_line()}.")
        if baseline_report.failing:
            lines.append("Already failing: " + ", ".join(baseline_report.failing[:20]))
    return "\n".join(lines + ([named] if named else []))


def named_tests_context(
    ctx, task: str, emit: EventSink, evidence: bool = False
) -> tuple[str, list[str]]:
    """Run the tests the task names (pytest ids): what really happened, and the ids that
    failed; with `evidence`, the failing ones are also localized and the first one traced."""
    named = named_tests(ctx, task)
    if not named:
        return "", []
    report = run(ctx, " ".join(named), emit)
    text = f"The tests the task names were run now: {report.brief(limit=4000)}"
    if evidence and report.failing:
        emit(PhaseChanged("localize", f"ranking suspects and tracing {report.failing[0]}"))
        found, traced = _evidence(ctx, report.failing[:EVIDENCE_TESTS])
        text += (
            "\n\nEvidence recorded from real runs (not imagined): where the bug likely "
            f"is, then what really happened when {traced} ran:\n" + found
        )
    return text, list(report.failing)


def debug_message(parts, report: TestReport, debug_round: int) -> str:
    """The debug prompt: the failures and, if enabled, the evidence from real runs: the
    functions ranked by coverage spectra and trace evidence, and the first test's trace."""
    trace, traced = "", ""
    failing = report.new_failures or report.failing
    if parts.config.traces and failing:
        trace, traced = _evidence(parts.ctx, failing[:EVIDENCE_TESTS])
    return prompts.render(
        "debug",
        round=debug_round,
        rounds=parts.config.debug_rounds,
        failures=report.brief(),
        trace=trace,
        traced_test=traced,
    )


def _evidence(ctx, test_ids: list[str]) -> tuple[str, str]:
    """(localization plus one test's trace, the test traced); the first test's trace alone if
    localizing fails (a non-pytest command, no coverage data); or why nothing was recorded."""
    from agent.debug.report import debug_evidence
    from agent.errors import UserError
    from agent.tools.debug_tools import trace_test
    from agent.tools.errors import ToolError

    try:
        return debug_evidence(ctx.root, test_ids, ctx.test_command, backend=ctx.sandbox)
    except UserError:
        pass
    try:
        return trace_test(ctx, test_ids[0]), test_ids[0]
    except ToolError as error:
        return f"(the test could not be traced: {error})", test_ids[0]
