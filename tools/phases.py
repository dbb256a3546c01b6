"""Tools of the loop's phases: the model hands over its plan or its reproduction, or changes
the tests its plan names.

They check what they are given (a plan's test ids exist, or are declared new) and the loop
reads their arguments (agent/loop.py), or `ctx.plan_tests` for plan_tests. Registering them
with the other tools keeps one tool list for the whole session, so the prompt prefix (and
the provider's cache) stays the same from the first turn to the last.
"""

from __future__ import annotations

from agent.plan import test_ids_in
from agent.tools.context import ToolContext
from agent.tools.errors import ToolError
from agent.tools.registry import tool
from agent.tools.run import missing_tests


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
    new_tests: list[str] | None = None,
    bug: bool = False,
    readings: list[str] | None = None,
    assumption: str = "",
) -> str:
    """Hand over your plan, checked on one concrete input.

    Args:
        steps: Each names the file and function it changes.
        check_input: A call or a command.
        check_walkthrough: What your planned code does on it, step by step.
        check_agrees: Does that end at check_expected?
        tests: Existing tests that must pass: verify runs these and new_tests, then the suite.
        bug: A test can reproduce wrong behaviour the task reports.
        readings: Only if two readings would behave differently: each.
        assumption: The reading you chose, and why.
    """
    if not steps:
        raise ToolError("a plan needs at least one step")
    check_plan_tests(ctx, tests or [], new_tests or [])
    return "Plan received."


@tool(read_only=True)
def plan_tests(ctx: ToolContext, tests: list[str], new_tests: list[str] | None = None) -> str:
    """Replace the plan's tests (as in submit_plan)."""
    check_plan_tests(ctx, tests, new_tests or [])
    ctx.plan_tests = ([str(t) for t in tests], [str(t) for t in new_tests or []])
    return "The plan's tests are now: " + (
        " ".join(test_ids_in([*tests, *(new_tests or [])])) or "none"
    )


@tool(read_only=True)
def reproduced(ctx: ToolContext, test_ids: list[str]) -> str:
    """The tests that reproduce the bug, one per part."""
    if not test_ids:
        raise ToolError("name at least one test id")
    for test_id in test_ids:
        if not (ctx.root / str(test_id).split("::")[0]).is_file():
            raise ToolError(f"no test file at {str(test_id).split('::')[0]}; write the test first")
    return "Checking that each fails."


def check_plan_tests(ctx: ToolContext, tests: list[str], new_tests: list[str]) -> None:
    """Refuse test ids said to exist that exist in no form (naming the nearest existing
    ids), and new tests that are not test ids."""
    vague = [t for t in new_tests if not test_ids_in([t])]
    if vague:
        raise ToolError(f"new_tests takes test ids (tests/test_x.py::test_name), not {vague[0]!r}")
    declared = set(test_ids_in(new_tests))
    missing = missing_tests(ctx, [t for t in test_ids_in(tests) if t not in declared])
    if missing:
        named = "; ".join(
            t + (f" (nearest existing: {', '.join(n)})" if n else "") for t, n in missing.items()
        )
        raise ToolError(
            f"no such test: {named}. List in tests only tests that exist and in "
            "new_tests the ones you will write, then call again"
        )
