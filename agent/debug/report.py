"""Text for people and the model: a ranked localization, one test's trace."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.errors import UserError


def localization_text(loc: Any, top: int = 10, scores: bool = True) -> str:
    """The ranked functions, one block each with its reasons (and its scores, for people:
    the model is given the rank and the reasons)."""
    lines = [f"Failing tests: {len(loc.failing)}; passing tests measured: {loc.passing}"]
    if not loc.ranked:
        lines.append("No function under the repository root was run by the failing tests.")
    for i, s in enumerate(loc.ranked[:top], 1):
        score = f"  score {s.score:.2f} (ochiai {s.ochiai:.2f}, dstar {s.dstar:.2f})"
        lines.append(f"{i:>2}. {s.function}  {s.path}:{s.line}{score if scores else ''}")
        if s.lines:
            lines.append(f"      lines {', '.join(map(str, s.lines))}")
        lines += [f"      - {why}" for why in s.reasons]
    return "\n".join(lines)


def trace_one(
    root: Path, test_id: str, tests: str | None, focus: Sequence[str] | None, backend: str = "auto"
) -> tuple[dict[str, Any], str]:
    """Trace one test, keep its artifact under ROOT/.agent/traces/, and render it."""
    from agent.debug.coverage_map import PytestCommand
    from agent.debug.render import render_trace
    from agent.debug.trace_run import trace_tests

    cmd = PytestCommand.parse(tests)
    keep = root / ".agent" / "traces"
    traces = trace_tests(root, [test_id], cmd, focus=focus, backend=backend, keep_in=keep)
    if not traces:
        tail = getattr(trace_tests, "last_output", "").strip().splitlines()[-3:]
        raise UserError(f"test {test_id} did not run; pytest said: {' | '.join(tail)}")
    text = render_trace(traces[0])
    return traces[0], text + f"\n(trace artifact: {traces[0]['artifact']})"


def debug_brief(
    root: Path, test_ids: Sequence[str], tests: str | None, backend: Any = "auto", top: int = 5
) -> str:
    """`debug_evidence`'s text alone."""
    return debug_evidence(root, test_ids, tests, backend, top)[0]


def debug_evidence(
    root: Path,
    test_ids: Sequence[str],
    tests: str | None,
    backend: Any = "auto",
    top: int = 5,
    group: int = 3,
) -> tuple[str, str]:
    """For the loop's debug phase: where the bug likely is, and what really happened;
    returns (the text, the test traced).

    The ranked functions (spectra + trace evidence) for the first `group` of `test_ids`,
    then the trace of the first of them, line by line in the top-ranked functions. A group
    whose tests ran no function of the repository (they start the program in a process of
    its own, say) tells nothing: the next group is tried, up to three. `backend` is a
    backend name or a ready `Sandbox`.
    """
    from agent.debug.coverage_map import PytestCommand
    from agent.debug.localize import localize
    from agent.debug.render import render_trace
    from agent.debug.trace_run import trace_tests

    groups = [list(test_ids[i : i + group]) for i in range(0, min(len(test_ids), 3 * group), group)]
    for chosen in groups:
        loc = localize(root, chosen, tests, backend=backend)
        if loc.ranked:
            break
    focus = [s.function.split(".")[-1] for s in loc.ranked[:top]]
    focus.append(chosen[0].split("::")[-1].split("[")[0])  # the test's own steps too
    traces = trace_tests(root, chosen[:1], PytestCommand.parse(tests), focus=focus, backend=backend)
    parts = [localization_text(loc, top, scores=False)]
    parts += [render_trace(t) for t in traces]
    return "\n\n".join(parts), chosen[0]
