"""trace_test and localize: what really happened in a failing test, and where the bug likely is."""

from __future__ import annotations

from agent.tools.context import ToolContext
from agent.tools.errors import ToolError
from agent.tools.registry import tool


@tool(read_only=True, name="trace_test")
def trace_test(ctx: ToolContext, test_id: str, focus: list[str] | None = None) -> str:
    """Trace one test's calls to its failure: arguments, results, locals of `focus` (default all)."""
    from agent.debug.coverage_map import PytestCommand
    from agent.debug.render import render_trace
    from agent.debug.trace_run import trace_tests

    if not test_id.strip():
        raise ToolError("test_id is empty; pass a pytest node id like tests/test_x.py::test_y")
    _python_only(ctx, "trace_test")
    keep = ctx.root / ".agent" / "traces"
    traces = trace_tests(
        ctx.root,
        [test_id],
        PytestCommand.parse(ctx.test_command),
        focus=focus or None,
        backend=ctx.sandbox,
        keep_in=keep,
    )
    if not traces:
        tail = getattr(trace_tests, "last_output", "").strip().splitlines()[-5:]
        raise ToolError(f"{test_id} did not run. pytest said:\n" + "\n".join(tail))
    return render_trace(traces[0])


@tool(read_only=True, name="localize")
def localize(ctx: ToolContext, test_ids: list[str]) -> str:
    """Rank the functions most likely to cause these failing tests (coverage spectra, traces)."""
    from agent.debug.localize import localize as run_localize
    from agent.debug.report import localization_text

    ids = [t for t in test_ids if t.strip()]
    if not ids:
        raise ToolError("test_ids is empty; pass the failing tests' pytest node ids")
    _python_only(ctx, "localize")
    loc = run_localize(ctx.root, ids, ctx.test_command, backend=ctx.sandbox)
    if not loc.failing:
        return "None of these tests fail now:\n" + "\n".join(ids)
    return localization_text(loc, top=10)


def _python_only(ctx: ToolContext, what: str) -> None:
    """Tracing and fault localization run pytest under a tracer: Python projects only."""
    from agent.tools.runners import runner_name

    name = runner_name(ctx.test_command, ctx.root)
    if name != "pytest":
        raise ToolError(
            f"{what} is Python-only (it runs pytest under a tracer); this "
            f"project's tests run with {name or 'another command'} "
            f"({ctx.test_command}): read the failure's message and stack instead"
        )
