"""Tools that end a phase of the loop: the model hands over its plan or its reproduction.

They do no work themselves; the loop reads their arguments (agent/loop.py). Registering them
with the other tools keeps one tool list for the whole session, so the prompt prefix (and
the provider's cache) stays the same from the first turn to the last.
"""

from __future__ import annotations

from tools.context import ToolContext
from tools.errors import ToolError
from tools.registry import tool


@tool(read_only=True)
def submit_plan(
    ctx: ToolContext,
    reading: str,
    steps: list[str],
    check_input: str,
    check_expected: str,
    check_walkthrough: str,
    check_agrees: bool,
    tests: list[str] | None = None,
    bug: bool = False,
    readings: list[str] | None = None,
    assumption: str = "",
) -> str:
    """Hand over your plan for the task, checked on one concrete input.

    Args:
        reading: How you read the task, in one or two sentences.
        steps: The changes you will make, each naming the file and function.
        check_input: One concrete input (a call, a command, a scenario) to check the plan on.
        check_expected: The outcome the task asks for on that input.
        check_walkthrough: What the code would do on that input after your planned change, step by step.
        check_agrees: Whether the walkthrough ends at the expected outcome.
        tests: Tests that will show the task is done: existing test ids (path::name) or new tests to write.
        bug: True if the task reports wrong behaviour that a test can reproduce.
        readings: Only if the task can be read in two ways that behave differently: each reading.
        assumption: With readings: which one you chose, and why.
    """
    if not steps:
        raise ToolError("a plan needs at least one step")
    return "Plan received."


@tool(read_only=True)
def reproduced(ctx: ToolContext, test_id: str) -> str:
    """Say which test reproduces the bug; the agent runs it to confirm it fails now.

    Args:
        test_id: The pytest id of the test, e.g. tests/test_stats.py::test_median_even.
    """
    if not (ctx.root / test_id.split("::")[0]).is_file():
        raise ToolError(f"no test file at {test_id.split('::')[0]}; write the test first")
    return f"Running {test_id} to confirm it fails."
