"""Compact text of a trace for the model: the path to the failure, observed values only.

The model is shown what really happened (arguments, return values, how locals changed
line by line) along the failing path, and asked only what should have happened.
"""

from __future__ import annotations

from typing import Any

from agent.debug.calltree import (
    Call,
    bottom_up,
    children_index,
    describe_call,
    failing_path,
    one_line,
    source_line,
)


def render_trace(trace: dict[str, Any], max_lines: int = 160) -> str:
    """The failing test, its call path with observed values, and bottom-up call list."""
    lines = [_header(trace)]
    path = failing_path(trace)
    if not path.chain:
        lines.append("(no call under the repository root was recorded)")
        return "\n".join(lines)
    on_path = {c["id"] for c in path.calls()}
    suspects = {c["id"] for c in path.suspects}
    lines += ["", "Call path from the test to the failure (observed):"]
    _tree(trace, path.chain[0], children_index(trace), on_path, suspects, 1, lines)
    calls = bottom_up(trace)
    # One call is the path itself: listing it again would only repeat it.
    if len(calls) > 1:
        lines += [
            "",
            "Calls on the failing path, innermost first (did each return what it should?):",
        ]
        lines += _numbered(calls)
    if trace.get("truncated"):
        lines.append(
            f"(trace capped: {trace.get('dropped_calls', 0)} calls and some steps not recorded)"
        )
    if len(lines) > max_lines:
        cut = len(lines) - max_lines
        lines = lines[: max_lines - 1] + [f"... {cut} more lines"]
    return "\n".join(lines)


def _numbered(calls: list[Call], keep: int = 3) -> list[str]:
    """The bottom-up list; a long run of one recursive function shows its ends only."""
    out: list[str] = []
    i = 0
    while i < len(calls):
        j = i
        while j + 1 < len(calls) and calls[j + 1]["func"] == calls[i]["func"]:
            j += 1
        run = range(i, j + 1)
        shown = list(run) if len(run) <= 2 * keep else [*run[:keep], -1, *run[-keep:]]
        for k in shown:
            if k < 0:
                out.append(f"  ... {len(run) - 2 * keep} more calls of {calls[i]['func']}")
            else:
                c = calls[k]
                out.append(f"  {k + 1}. {describe_call(c)}   [{c['path']}:{c['line']}]")
        i = j + 1
    return out


def _header(trace: dict[str, Any]) -> str:
    failure = trace.get("failure") or {}
    where = ""
    if failure.get("line") and failure.get("path", "").startswith(trace["root"]):
        where = (
            f"  (at {failure.get('path', '').replace(trace['root'] + '/', '')}:{failure['line']})"
        )
    outcome = trace.get("outcome", "?")
    message = one_line(failure.get("message", ""), 300)
    return f"Test {trace.get('test', '?')} {outcome}{': ' + message if message else ''}{where}"


def _tree(
    trace: dict[str, Any],
    call: Call,
    kids: dict[int | None, list[Call]],
    on_path: set[int],
    suspects: set[int],
    depth: int,
    out: list[str],
) -> None:
    pad = "  " * min(depth, 10)
    mark = "  <- its result reached the failing line" if call["id"] in suspects else ""
    out.append(f"{pad}{describe_call(call)}   [{call['path']}:{call['line']}]{mark}")
    out.extend(_steps(trace, call, pad + "    "))
    skipped = 0
    for child in kids.get(call["id"], []):
        if child["id"] in on_path:
            if skipped:
                out.append(f"{pad}  ({skipped} other calls)")
                skipped = 0
            child = _skip_recursion(child, kids, on_path, pad, out)
            _tree(trace, child, kids, on_path, suspects, depth + 1, out)
        else:
            skipped += 1
    if skipped:
        out.append(f"{pad}  ({skipped} other calls)")


def _skip_recursion(
    call: Call,
    kids: dict[int | None, list[Call]],
    on_path: set[int],
    pad: str,
    out: list[str],
    keep: int = 3,
) -> Call:
    """Deep recursion on the path: show its first and last levels only."""
    run = [call]
    while True:
        nxt = [c for c in kids.get(run[-1]["id"], []) if c["id"] in on_path]
        if len(nxt) != 1 or nxt[0]["func"] != call["func"]:
            break
        run.append(nxt[0])
    if len(run) <= 2 * keep:
        return call
    for level in run[:keep]:
        out.append(f"{pad}  {describe_call(level)}   [{level['path']}:{level['line']}]")
    out.append(f"{pad}  ... {len(run) - 2 * keep} more recursive calls of {call['func']} ...")
    return run[-keep]


def _steps(trace: dict[str, Any], call: Call, pad: str, limit: int = 24) -> list[str]:
    out: list[str] = []
    last_seq = 0
    for seq, line, changes in call["steps"][:limit]:
        if seq > last_seq + 1:
            out.append(f"{pad}... {seq - last_seq - 1} steps (middle iterations) omitted")
        last_seq = seq
        text = source_line(trace, call["path"], line)[:60]
        shown = ", ".join(f"{k}={v}" for k, v in changes.items())
        out.append(f"{pad}L{line:<4} {text:<60} {('| ' + shown) if shown else ''}".rstrip())
    if len(call["steps"]) > limit:
        out.append(f"{pad}... {len(call['steps']) - limit} more steps")
    return out
