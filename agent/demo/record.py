"""Re-record the demo session: `python -m agent.demo.record` (after a change to the loop).

The scripted answers below play the model; the real loop runs them against a fresh copy of
the demo project and the exchange is written to agent/demo/session/ for replay.
"""

from __future__ import annotations

import shutil
import sys

from agent.demo import DEMO_TASK, RECORDING, prepare_demo
from agent.messages import Message, Text, ToolCall

WRONG_FIX = (
    "    ordered = sorted(values)\n    middle = len(ordered) // 2\n"
    "    if len(ordered) % 2:\n        return ordered[middle]\n"
    "    return (ordered[middle] + ordered[middle + 1]) / 2\n"
)
RIGHT_FIX = "    return (ordered[middle - 1] + ordered[middle]) / 2\n"
NEW_TEST = """def test_median_even():
    assert median([1, 2, 3, 4]) == 2.5
"""
DESIGNED_TESTS = """```python
from stats import median


def test_even_count_averages_the_two_middle_values():
    assert median([4, 1, 3, 2]) == 2.5


def test_odd_count_is_the_middle_value():
    assert median([5, 1, 3]) == 3
```"""


_call_numbers = iter(range(1, 1000))


def _turn(text: str, *calls: tuple[str, dict]) -> Message:
    parts = [Text(text)] if text else []
    parts += [ToolCall(f"call_{next(_call_numbers)}", name, args) for name, args in calls]
    return Message("assistant", parts)


def answers() -> list:
    """The model's side of the demo, in order."""
    return [
        _turn(
            "Let me look at median() and how it is tested.",
            ("read_file", {"path": "stats.py"}),
            ("search", {"pattern": "median"}),
        ),
        _turn(
            "",
            (
                "submit_plan",
                {
                    "reading": "median() of an even count must return the mean of the two middle values.",
                    "steps": [
                        "stats.py median(): for an even count, average the two middle values"
                    ],
                    "check_input": "median([1, 2, 3, 4])",
                    "check_expected": "2.5",
                    "check_walkthrough": "ordered = [1, 2, 3, 4], middle = 2; even count, so "
                    "(ordered[1] + ordered[2]) / 2 = (2 + 3) / 2 = 2.5",
                    "check_agrees": True,
                    "new_tests": ["tests/test_stats.py::test_median_even"],
                    "bug": True,
                },
            ),
        ),
        DESIGNED_TESTS,  # the test designer is asked right after the plan
        _turn(
            "First a test that shows the bug.",
            (
                "edit_file",
                {
                    "path": "tests/test_stats.py",
                    "old": "def test_spread():",
                    "new": NEW_TEST + "\n\ndef test_spread():",
                },
            ),
        ),
        _turn("", ("run_tests", {"target": "tests/test_stats.py::test_median_even"})),
        _turn(
            "It fails with 3 == 2.5, the reported bug.",
            ("reproduced", {"test_ids": ["tests/test_stats.py::test_median_even"]}),
        ),
        _turn(
            "Now the fix.",
            (
                "edit_file",
                {
                    "path": "stats.py",
                    "old": "    ordered = sorted(values)\n    middle = len(ordered) // 2\n"
                    "    return ordered[middle]\n",
                    "new": WRONG_FIX,
                },
            ),
        ),
        _turn("", ("finish", {"summary": "median() averages the two middle values."})),
        _turn(
            "The trace shows median([1, 2, 3, 4]) computed (3 + 4) / 2: the two middle "
            "values are at middle - 1 and middle, not middle and middle + 1.",
            (
                "edit_file",
                {
                    "path": "stats.py",
                    "old": "    return (ordered[middle] + ordered[middle + 1]) / 2\n",
                    "new": RIGHT_FIX,
                },
            ),
        ),
        _turn(
            "",
            (
                "finish",
                {
                    "summary": "median() of an even count now returns the mean of "
                    "the two middle values (ordered[middle - 1] and "
                    "ordered[middle]); a regression test covers it."
                },
            ),
        ),
    ]


def main() -> int:
    """Record the demo session into agent/demo/session/."""
    from agent.models.recording import RecordingModel
    from agent.models.scripted import ScriptedModel
    from agent.progress import ProgressPrinter
    from agent.runner import SolveOptions, run_session

    shutil.rmtree(RECORDING, ignore_errors=True)
    project, _ = prepare_demo()
    model = RecordingModel(ScriptedModel(answers()), RECORDING)
    options = SolveOptions(task=DEMO_TASK, cwd=project, model=model)
    result = run_session(options, [ProgressPrinter(sys.stdout, color=sys.stdout.isatty())])
    print(f"recorded {model.name} -> {RECORDING}: {result.outcome.status}")
    return 0 if result.outcome.status == "solved" else 1


if __name__ == "__main__":
    sys.exit(main())
