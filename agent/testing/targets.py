"""The test ids a change must make pass: the reproduction's, the plan's and the task's."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.testing.report import TestReport


@dataclass
class Targets:
    """The tests that must pass even if they failed before (which the baseline comparison
    alone would forgive), by where they come from."""

    reproduction: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, ctx, task: str, plan, reproduction: list[str] | None) -> Targets:
        """The targets now: the plan's tests may have changed since the last verify."""
        # pytest names the ids that do not exist; another runner would fail on them
        planned = [
            t
            for t in plan.test_ids()
            if in_repository(ctx, t) or "pytest" in (ctx.test_command or "")
        ]
        return cls(list(reproduction or []), planned, named_tests(ctx, task))

    def ids(self) -> list[str]:
        """Every target, in order (a test may appear twice)."""
        return [*self.reproduction, *self.planned, *self.named]


def named_tests(ctx, task: str) -> list[str]:
    """The pytest ids the task names that exist in the repository."""
    from agent.plan import TEST_ID

    return [t for t in dict.fromkeys(TEST_ID.findall(task)) if in_repository(ctx, t)]


def in_repository(ctx, test_id: str) -> bool:
    """True when the file of a test id is in the repository."""
    return (ctx.root / test_id.split("::")[0]).exists()


def saw_fail(report: TestReport, test_id: str) -> bool:
    """True when the run saw `test_id` fail: itself, a test under it, or its file's import."""
    return any(
        f == test_id
        or f.startswith((test_id + "::", test_id + "["))
        or test_id.startswith((f + "::", f + "/"))
        for f in report.failing
    )
