"""A `TestRun` as text for the model: every failing test up to a cap, each with its message,
the tracebacks of the first few; missing test ids, collection errors, timeouts and crashes
named as what they are."""

from __future__ import annotations

MAX_LISTED = 40  # failing tests named, each with its message
MAX_TRACEBACKS = 6  # of those, the first ones shown with their traceback
MAX_SUBTESTS = 10  # failing subtests named per test
TAIL_LINES = 40


def render_run(run) -> str:
    """The whole report: a head line, then what went wrong, most useful first."""
    if run.timed_out:
        return (
            f"Tests TIMED OUT after {run.duration_s:.0f}s and were killed (no verdict on "
            f"any test): {run.command}\nLast output:\n{_tail(run.output, TAIL_LINES)}"
        )
    parts = [_head(run)]
    parts += missing_lines(run.missing)
    if run.source == "report" or run.source == "console":
        parts += _failures(run.failures)
        if run.source == "console":
            parts.append("(no report was written; the counts above are read from the console)")
    if run.crashed:
        why = f"killed by {run.killed_by}" if run.killed_by else f"exit {run.exit_code}"
        parts.append(
            f"The test run CRASHED ({why}) before the runner wrote its report, so no "
            f"test has a verdict. Last output:\n{_tail(run.output, 60)}"
        )
    elif run.source == "exit code":
        parts.append(_tail(run.output, 60))
    if run.source == "report" and run.exit_code == 5 and not run.missing:
        parts.append("No tests were collected; check the target path or test names.")
    return "\n".join(p for p in parts if p)


def _head(run) -> str:
    if run.source == "exit code" and run.runner == "command":
        verdict = "passed" if run.exit_code == 0 else "FAILED"
        return (
            f"Test command {verdict} (exit {run.exit_code}, {run.duration_s:.1f}s; "
            f"no per-test report for this command): {run.command}"
        )
    if not run.parsed:
        return (
            f"Tests: no report (exit {run.exit_code}, {run.duration_s:.1f}s)\n"
            f"Command: {run.command}"
        )
    collection = sum(1 for case in run.failures if case.collection)
    counts = test_counts(
        run.passed,
        failed=run.failed,
        errors=run.errors - collection,
        collection_errors=collection,
        skipped=run.skipped,
        no_such_test=len(run.missing),
    )
    exit_code = f"exit {run.exit_code}, " if run.exit_code else ""
    head = f"Tests: {counts} ({exit_code}{run.duration_s:.1f}s)"
    # The command matters to the model only when no failure explains the exit code.
    return head if run.exit_code == 0 or run.failures else f"{head}\nCommand: {run.command}"


def test_counts(passed: int, **others: int) -> str:
    """ "3 passed, 1 failed, 2 errors": the passed count always, the others only when not
    zero (as pytest's own summary does), with `_` read as a space; "error" is counted."""
    counts = [f"{passed} passed"]
    for label, count in others.items():
        if count:
            label = label.replace("_", " ")
            if label.endswith("errors") and count == 1:
                label = label[:-1]
            counts.append(f"{count} {label}")
    return ", ".join(counts)


def missing_lines(missing: dict[str, list[str]]) -> list[str]:
    """A line per test id that does not exist, with the nearest existing ids."""
    lines = []
    for test_id, nearest in missing.items():
        hint = f"; nearest existing: {', '.join(nearest)}" if nearest else ""
        lines.append(
            f"NO SUCH TEST {test_id} (it does not exist, so it did not run; not a failure){hint}"
        )
    return lines


def _failures(failures: list) -> list[str]:
    parts = []
    for number, case in enumerate(failures[:MAX_LISTED]):
        label = "COLLECTION ERROR in" if case.collection else case.outcome.upper()
        if case.subtests and "subtests" not in case.message:
            label += f" ({len(case.subtests)} failing subtests)"
        parts.append(f"{label} {case.test_id}" + (f" - {case.message}" if case.message else ""))
        with_traceback = number < MAX_TRACEBACKS
        for sub in case.subtests[:MAX_SUBTESTS]:
            parts.append(
                f"  SUBTEST {sub.label or '(unnamed)'} FAILED"
                + (f" - {sub.message}" if sub.message else "")
            )
            if with_traceback and sub.traceback:
                parts.append(_indent(sub.traceback, "      "))
        if len(case.subtests) > MAX_SUBTESTS:
            parts.append(f"  ... and {len(case.subtests) - MAX_SUBTESTS} more failing subtests")
        if with_traceback and case.traceback:
            parts.append(_indent(case.traceback, "    "))
    rest = failures[MAX_LISTED:]
    if rest:
        parts.append(f"... and {len(rest)} more failing: " + ", ".join(c.test_id for c in rest))
    if len(failures) > MAX_TRACEBACKS:
        parts.append(
            f"(tracebacks shown for the first {MAX_TRACEBACKS}; run one test id for the others)"
        )
    return parts


def _tail(text: str, count: int) -> str:
    return "\n".join(text.rstrip().splitlines()[-count:])


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())
