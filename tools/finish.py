"""finish: the model says the task is done."""

from __future__ import annotations

from agent.tools.context import ToolContext
from agent.tools.registry import tool


@tool(read_only=True, paths=())
def finish(ctx: ToolContext, summary: str) -> str:
    """Declare the task done; the agent then runs the plan's tests and the suite itself.

    Args:
        summary: What changed and why, for the person.
    """
    ctx.mark_finished(summary)
    return "Finished."
