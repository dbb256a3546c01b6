"""The plan the model submits, and what the loop reads from it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

TEST_ID = re.compile(r"[\w./-]*test[\w./-]*\.py(?:::[\w\[\]./-]+)*")
# Another runner's id, given as the whole entry: `./calc::TestClamp`, `src/lib.rs::tests::x`,
# `test/calc.test.js::clamp > above` (its names may hold spaces, so only whole entries count).
OTHER_TEST_ID = re.compile(r"[\w./-]+::\S.*")


@dataclass
class Plan:
    """A plan: how the task was read, the steps, the tests, and the plan's own check.

    `tests` name tests that exist; `new_tests` those the plan will write (checked when
    the plan is submitted, tools/phases.py). Both must pass at verify.
    """

    reading: str
    steps: list[str]
    tests: list[str] = field(default_factory=list)
    new_tests: list[str] = field(default_factory=list)
    bug: bool = False
    readings: list[str] = field(default_factory=list)
    assumption: str = ""
    check_agrees: bool = True
    walkthrough: str = ""
    status: str = "pending"  # the loop tracks the plan as one unit of work
    number: int = 1

    @classmethod
    def from_arguments(cls, args: dict[str, Any]) -> Plan:
        """Build a plan from the arguments of a submit_plan call."""
        steps = [str(step) for step in args.get("steps") or []]
        check = [
            f"{label}: {args[key]}"
            for key, label in (
                ("check_input", "input"),
                ("check_expected", "expected"),
                ("check_walkthrough", "walkthrough"),
            )
            if args.get(key)
        ]
        return cls(
            reading=str(args.get("reading", "")),
            steps=steps,
            tests=[str(t) for t in args.get("tests") or []],
            new_tests=[str(t) for t in args.get("new_tests") or []],
            bug=bool(args.get("bug", False)),
            readings=[str(r) for r in args.get("readings") or []],
            assumption=str(args.get("assumption", "")),
            check_agrees=bool(args.get("check_agrees", True)),
            walkthrough="\n".join(check),
        )

    def test_ids(self) -> list[str]:
        """The plan's tests (existing and new) that name a runnable pytest node or file, or
        another runner's id."""
        return test_ids_in([*self.tests, *self.new_tests])

    def mark(self, status: str) -> None:
        """Give the plan, every step of it, a status: pending, running, done or failed."""
        self.status = status

    @property
    def statuses(self) -> tuple[str, ...]:
        """The status of each step, as the plan events carry it."""
        return (self.status,) * len(self.steps)


def test_ids_in(texts: list[str]) -> list[str]:
    """The pytest node ids and test files named in `texts`, each once, in order; a text
    naming none that is a whole id of another runner (`FILE::NAME`) is that id."""
    found: list[str] = []
    for text in texts:
        pytest_ids = [m.group(0) for m in TEST_ID.finditer(text)]
        whole = OTHER_TEST_ID.fullmatch(text.strip())
        found += pytest_ids or ([whole.group(0)] if whole else [])
    return list(dict.fromkeys(found))
