"""finish: the model says the task is done."""

from __future__ import annotations

from tools.context import ToolContext
from tools.registry import tool


@tool(read_only=True, paths=())
def finish(ctx: ToolContext, summary: str) -> str:
    """Declare the task complete. The agent then runs the targeted tests and the suite
    itself and reports back if anything fails; running the whole suite first is not needed.

    Args:
        summary: What was changed and why, in a few sentences for the person.
    """
    ctx.mark_finished(summary)
    return "Finished."
