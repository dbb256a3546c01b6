"""The plan the model submits, and what the loop reads from it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

TEST_ID = re.compile(r"[\w./-]*test[\w./-]*\.py(?:::[\w\[\]./-]+)*")


@dataclass
class Plan:
    """A plan: how the task was read, the steps, the tests, and the plan's own check."""

    reading: str
    steps: list[str]
    tests: list[str] = field(default_factory=list)
    bug: bool = False
    readings: list[str] = field(default_factory=list)
    assumption: str = ""
    check_agrees: bool = True
    walkthrough: str = ""
    statuses: list[str] = field(default_factory=list)
    number: int = 1

    @classmethod
    def from_arguments(cls, args: dict[str, Any]) -> Plan:
        """Build a plan from the arguments of a submit_plan call (forgiving about shapes)."""
        check = args.get("check") or {}
        if not isinstance(check, dict):
            check = {"walkthrough": str(check)}
        steps = [str(step) for step in _as_list(args.get("steps"))]
        return cls(
            reading=str(args.get("reading", "")),
            steps=steps,
            tests=[str(t) for t in _as_list(args.get("tests"))],
            bug=bool(args.get("bug", False)),
            readings=[str(r) for r in _as_list(args.get("readings"))],
            assumption=str(args.get("assumption", "")),
            check_agrees=bool(check.get("agrees", True)),
            walkthrough=_describe_check(check),
            statuses=["pending"] * len(steps),
        )

    def test_ids(self) -> list[str]:
        """The plan's tests that name a runnable pytest node or file."""
        found: list[str] = []
        for text in self.tests:
            found += [m.group(0) for m in TEST_ID.finditer(text)]
        return list(dict.fromkeys(found))

    def mark(self, status: str) -> None:
        """Give every step the same status (the loop tracks the plan as one unit of work)."""
        self.statuses = [status] * len(self.steps)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [line.strip("-* ").strip() for line in value.splitlines() if line.strip()]
    return list(value)


def _describe_check(check: dict[str, Any]) -> str:
    parts = []
    for key in ("input", "expected", "walkthrough"):
        if check.get(key):
            parts.append(f"{key}: {check[key]}")
    return "\n".join(parts)


PLAN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "reading": {"type": "string", "description": "How you read the task."},
        "readings": {
            "type": "array", "items": {"type": "string"},
            "description": "Only if the task can be read in two ways that behave differently.",
        },
        "assumption": {"type": "string", "description": "Which reading you chose, and why."},
        "steps": {"type": "array", "items": {"type": "string"}},
        "tests": {"type": "array", "items": {"type": "string"}},
        "bug": {"type": "boolean"},
        "check": {
            "type": "object",
            "properties": {
                "input": {"type": "string"},
                "expected": {"type": "string"},
                "walkthrough": {"type": "string"},
                "agrees": {"type": "boolean"},
            },
            "required": ["input", "expected", "walkthrough", "agrees"],
        },
    },
    "required": ["reading", "steps", "check"],
}
