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
    """Hand over your plan, checked on one concrete input.

    Args:
        reading: How you read the task.
        steps: Each names the file and function it changes.
        check_input: A concrete input (a call, a command).
        check_walkthrough: What your planned code does on it, step by step.
        check_agrees: Whether that ends at check_expected.
        tests: Ids of the tests that must pass when you are done (existing or to be
            written): verify runs exactly these, then the suite.
        bug: The task reports wrong behaviour a test can reproduce.
        readings: Only if two readings would behave differently: each one.
        assumption: Which reading you chose, and why.
    """
    if not steps:
        raise ToolError("a plan needs at least one step")
    return "Plan received."


@tool(read_only=True)
def reproduced(ctx: ToolContext, test_id: str) -> str:
    """Name the test that reproduces the bug; the agent runs it to confirm it fails now."""
    if not (ctx.root / test_id.split("::")[0]).is_file():
        raise ToolError(f"no test file at {test_id.split('::')[0]}; write the test first")
    return f"Running {test_id} to confirm it fails."
