"""The failing path through a recorded call tree, listed bottom-up.

Works on the JSON artifact `agent.debug.tracer` writes. The failing path is the chain
of calls an exception passed through, from the test down to where it arose; when a
test's own assertion failed, it also holds the calls whose return value the failing
line used (the "suspects") and everything under them. Listed innermost first with the
observed inputs and outputs, the model can say which call returned what it should not
have (MGDebugger's bottom-up judging, on the real call tree, with no rewriting).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from agent.confine import LeavesWorkspace, read_text_inside

Call = dict[str, Any]


def is_test_path(path: str) -> bool:
    """True for test modules and fixtures files (test_*.py, *_test.py, conftest.py, tests/)."""
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else ""
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(p in ("tests", "test", "testing") for p in parts[:-1])
    )


@dataclass
class FailingPath:
    """What the trace says about the failure."""

    chain: list[Call]  # test → ... → innermost call the exception passed through
    suspects: list[Call]  # calls whose return value the failing line used
    subtree: list[Call] = field(default_factory=list)  # calls under the suspects
    raised_in: Call | None = None  # innermost non-test call that raised

    def calls(self) -> list[Call]:
        """Every call on the failing path, without duplicates, in recording order."""
        seen: dict[int, Call] = {}
        for call in [*self.chain, *self.suspects, *self.subtree]:
            seen.setdefault(call["id"], call)
        return [seen[k] for k in sorted(seen)]


def children_index(trace: dict[str, Any]) -> dict[int | None, list[Call]]:
    """parent id → child calls, in order."""
    index: dict[int | None, list[Call]] = {}
    for call in trace["calls"]:
        index.setdefault(call["parent"], []).append(call)
    return index


def failing_path(trace: dict[str, Any]) -> FailingPath:
    """The chain of the failure and the suspect calls, from one trace."""
    kids = children_index(trace)
    roots = kids.get(None, [])
    test = next((c for c in roots if c["exc"]), roots[-1] if roots else None)
    if test is None:
        return FailingPath([], [])
    chain = [test]
    while True:
        exc_id = chain[-1]["exc"]["id"] if chain[-1]["exc"] else None
        nxt = [c for c in kids.get(chain[-1]["id"], []) if c["exc"] and c["exc"]["id"] == exc_id]
        if exc_id is None or not nxt:
            break
        chain.append(nxt[-1])
    raised_in = next((c for c in reversed(chain) if not is_test_path(c["path"])), None)
    suspects: list[Call] = []
    last = chain[-1]
    if is_test_path(last["path"]):
        suspects = _suspects(trace, last, kids.get(last["id"], []))
    subtree = [d for s in suspects for d in _descendants(s, kids)]
    return FailingPath(chain, suspects, subtree, raised_in)


def _descendants(call: Call, kids: dict[int | None, list[Call]]) -> list[Call]:
    out, stack = [], list(kids.get(call["id"], []))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(kids.get(node["id"], []))
    return out


def _suspects(trace: dict[str, Any], frame: Call, children: list[Call]) -> list[Call]:
    """Children of the failing test frame whose results reached the failing line."""
    line = frame["exc"]["line"] if frame["exc"] else _last_line(frame)
    names = set(re.findall(r"[A-Za-z_]\w*", source_line(trace, frame["path"], line)))
    values = final_locals(frame)
    assigned_at: dict[str, int] = {}
    for _, step_line, changes in frame["steps"]:
        for name in changes:
            assigned_at[name] = step_line
    picked = []
    for child in children:
        site_line = int(child["site"].rsplit(":", 1)[-1] or 0)
        if site_line == line:
            picked.append(child)
            continue
        if child["ret"] is None:
            continue
        for name in names & values.keys():
            if values[name] == child["ret"] and assigned_at.get(name) == site_line:
                picked.append(child)
                break
    if not picked and children:
        picked = [c for c in children if c["ret"] is not None][-1:]
    return picked


def _last_line(call: Call) -> int:
    return call["steps"][-1][1] if call["steps"] else call["line"]


def final_locals(call: Call) -> dict[str, str]:
    """The last observed value of each local of a call."""
    values: dict[str, str] = dict(call["args"])
    for _, _, changes in call["steps"]:
        values.update(changes)
    return values


_SOURCE_CACHE: dict[Path, list[str]] = {}


def source_line(trace: dict[str, Any], path: str, line: int) -> str:
    """Line `line` of a repository file, stripped ("" when unreadable)."""
    full = Path(trace["root"]) / path
    if full not in _SOURCE_CACHE:
        try:
            _SOURCE_CACHE[full] = read_text_inside(trace["root"], path).splitlines()
        except (OSError, UnicodeDecodeError, LeavesWorkspace):
            _SOURCE_CACHE[full] = []
    lines = _SOURCE_CACHE[full]
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def bottom_up(trace: dict[str, Any], limit: int = 30) -> list[Call]:
    """Calls on the failing path, innermost first (callees before their callers)."""
    path = failing_path(trace)
    kids = children_index(trace)
    on_path = {c["id"] for c in path.calls()}
    order: list[Call] = []

    def visit(call: Call) -> None:
        for child in kids.get(call["id"], []):
            if child["id"] in on_path:
                visit(child)
        order.append(call)

    if path.chain:
        visit(path.chain[0])
    return [c for c in order if not is_test_path(c["path"])][:limit]


def describe_call(call: Call) -> str:
    """`func(a=1, b=[2]) -> 3` or `func(...) raised ValueError: msg`."""
    args = ", ".join(f"{k}={v}" for k, v in call["args"].items())
    head = f"{call['func']}({args})"
    if call["exc"]:
        return f"{head} raised {call['exc']['type']}: {one_line(call['exc']['message'])}"
    verb = {"yield": "yielded", "resume-yield": "yielded"}.get(call["kind"], "returned")
    return f"{head} {verb} {call['ret']}"


def one_line(text: str, limit: int = 200) -> str:
    """A message on one line, bounded (multi-line messages keep their first lines)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    joined = " | ".join(lines)
    return joined if len(joined) <= limit else joined[: limit - 3] + "..."


def focused_test(call: Call, expected: str) -> str | None:
    """A unit test calling `call` again with its captured arguments, expecting `expected`.

    `expected` is Python source for the value the call should have returned (the model
    states it; the trace only knows what was observed, which the test notes beside it).
    None unless the call is a plain module-level function whose arguments were captured
    in full as Python literals.
    """
    if call["kind"] != "call" or "<locals>" in call["func"] or "." in call["func"]:
        return None
    args = []
    for name, text in call["args"].items():
        if "..." in text:  # reprlib cut the value short: it cannot be rebuilt
            return None
        try:
            ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
        args.append(f"{name}={text}")
    module = module_name(call["path"])
    observed = call["ret"] if not call["exc"] else f"raises {call['exc']['type']}"
    return (
        f"from {module} import {call['func']}\n\n\n"
        f"def test_{call['func']}_focused():\n"
        f"    result = {call['func']}({', '.join(args)})\n"
        f"    # observed: {observed}\n"
        f"    assert result == {expected}\n"
    )


def module_name(path: str) -> str:
    """Dotted module name of a repository file (src/ layouts stripped)."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[0] in ("src", "lib") and len(parts) > 1:
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)
