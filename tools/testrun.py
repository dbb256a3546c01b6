"""One model of a test run for every runner: per test id its outcome, message and traceback.

Verdicts are read from a runner's machine-readable report (pytest's JUnit XML, ...). When a
run writes no report (a crash before collection, a broken conftest, a timeout), `source`
says so and the console is kept only to be shown, never judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed")


@dataclass
class SubtestFailure:
    """One failing subtest (unittest's `subTest`, pytest's `subtests` fixture) of a test."""

    label: str  # e.g. "(i=1)" or "[check] (x=2)"; empty when the runner does not say
    message: str = ""
    traceback: str = ""


@dataclass
class TestCase:
    """One test id and how it ended.

    A collection error is a case whose id is the file that failed to import (outcome
    "error", `collection` True). A parent test whose subtests failed is "failed" even if
    its own body passed.
    """

    __test__ = False  # not a test class, whatever pytest thinks of the name

    test_id: str
    outcome: str  # one of OUTCOMES
    message: str = ""
    traceback: str = ""
    duration_s: float = 0.0
    subtests: list[SubtestFailure] = field(default_factory=list)
    collection: bool = False

    @property
    def kind(self) -> str:
        """ "failed" or "error" for a failing case (the word the renderings use)."""
        return self.outcome

    @property
    def failing(self) -> bool:
        """True when the test failed or erred (its subtests included)."""
        return self.outcome in ("failed", "error")


@dataclass
class TestRun:
    """A finished test run: the cases its report gave, or why there is no report.

    `source` is "report" (read from the runner's report), "console" (no report; counts
    read from the console, shown only), or "exit code" (neither: only the exit status
    counts). `missing` maps each requested test id that does not exist to the nearest
    existing ids; those are never counted as failures.
    """

    __test__ = False

    command: str
    exit_code: int
    runner: str = "pytest"
    cases: list[TestCase] = field(default_factory=list)
    missing: dict[str, list[str]] = field(default_factory=dict)
    source: str = "exit code"
    duration_s: float = 0.0
    timed_out: bool = False
    killed_by: str | None = None
    output: str = ""
    console_counts: dict[str, int] = field(default_factory=dict)
    # The cases were narrowed to the requested ids after a wider run (Node runs whole files):
    # the exit status then also speaks for tests nobody asked about.
    narrowed: bool = False

    def count(self, outcome: str) -> int:
        """How many cases ended with `outcome` (from the console when there is no report)."""
        if self.source == "console":
            return self.console_counts.get(outcome, 0)
        return sum(1 for case in self.cases if case.outcome == outcome)

    @property
    def passed(self) -> int:
        """Tests that passed."""
        return self.count("passed")

    @property
    def failed(self) -> int:
        """Tests that failed (a parent with failing subtests counts once)."""
        return self.count("failed")

    @property
    def errors(self) -> int:
        """Tests (and files) that erred: setup/teardown errors, collection errors."""
        return self.count("error")

    @property
    def skipped(self) -> int:
        """Tests skipped or expected to fail."""
        return self.count("skipped") + self.count("xfailed")

    @property
    def collected(self) -> int:
        """Tests the run knew of."""
        return len(self.cases) if self.source == "report" else sum(self.console_counts.values())

    @property
    def failures(self) -> list[TestCase]:
        """The failing and erring cases, in the order the runner reported them."""
        return [case for case in self.cases if case.failing]

    @property
    def parsed(self) -> bool:
        """True when the outcome of each test is known (a report, or the console's summary)."""
        return self.source in ("report", "console")

    @property
    def crashed(self) -> bool:
        """True when the runner ended without a report or summary: a crash, not a verdict."""
        return (
            not self.timed_out
            and self.source != "report"
            and self.exit_code != 0
            and (self.runner != "command")
        )

    @property
    def only_missing(self) -> bool:
        """True when every requested test id was missing, so nothing ran."""
        return bool(self.missing) and not self.cases

    @property
    def ok(self) -> bool:
        """True when the tests that exist all ran and none failed or erred."""
        if self.timed_out:
            return False
        if self.source == "report":
            return not self.failures and (
                self.exit_code == 0 or bool(self.missing) or self.narrowed
            )
        return self.exit_code == 0

    def render(self) -> str:
        """A compact report the model can act on (see `agent.tools.testrender`)."""
        from agent.tools.testrender import render_run

        return render_run(self)
