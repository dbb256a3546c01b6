"""Running one model turn's tool calls as a DAG: reads in parallel, writes in order.

A call depends on every earlier call it conflicts with. Two calls conflict when at least
one of them mutates and their footprints overlap (the same file, a directory and a file
in it, or a whole-workspace footprint such as `run_command`'s, which overlaps all).
Mutating calls also depend on every earlier mutating call, so writes keep the model's
order. Read-only calls never wait for each other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agent.messages import ToolCall, ToolResult
from agent.tools.errors import ToolError
from agent.tools.registry import Registry

if TYPE_CHECKING:
    from agent.tools.context import ToolContext

MAX_WORKERS = 8

OnStart = Callable[[ToolCall], None]
OnFinish = Callable[[ToolCall, ToolResult, float], None]


@dataclass(frozen=True)
class Node:
    """One call in the turn's graph."""

    index: int
    call: ToolCall
    mutating: bool
    footprint: tuple[str, ...]
    valid: bool


def plan_turn(calls: list[ToolCall], registry: Registry, root: Path) -> list[set[int]]:
    """For each call, the indices of the earlier calls it must wait for."""
    nodes = [_node(i, call, registry, root) for i, call in enumerate(calls)]
    deps: list[set[int]] = []
    for node in nodes:
        deps.append(
            {
                earlier.index
                for earlier in nodes[: node.index]
                if node.valid and earlier.valid and _conflict(earlier, node)
            }
        )
    return deps


def execute_turn(
    calls: list[ToolCall],
    registry: Registry,
    ctx: ToolContext,
    on_start: OnStart | None = None,
    on_finish: OnFinish | None = None,
) -> list[ToolResult]:
    """Run the calls of one turn and return their results in the model's order."""
    ctx.forget_cached()  # files may have changed outside the tools since the last turn
    deps = plan_turn(calls, registry, ctx.root)
    results: dict[int, ToolResult] = {}
    running: dict[Future[tuple[ToolResult, float]], int] = {}
    pending = set(range(len(calls)))
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, max(len(calls), 1))) as pool:
        while pending or running:
            ready = sorted(i for i in pending if deps[i] <= results.keys())
            for i in ready:
                pending.discard(i)
                if on_start:
                    on_start(calls[i])
                running[pool.submit(_timed_run, registry, calls[i], ctx)] = i
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                i = running.pop(future)
                results[i], duration = future.result()
                if on_finish:
                    on_finish(calls[i], results[i], duration)
    return [results[i] for i in range(len(calls))]


def _timed_run(registry: Registry, call: ToolCall, ctx: ToolContext) -> tuple[ToolResult, float]:
    started = time.perf_counter()
    result = registry.run(call, ctx)
    return result, time.perf_counter() - started


def _node(index: int, call: ToolCall, registry: Registry, root: Path) -> Node:
    try:
        found, arguments = registry.check(call)
    except ToolError:
        # It will only produce an error result; nothing needs to wait for it.
        return Node(index, call, False, (), False)
    return Node(index, call, not found.read_only, found.footprint(arguments, root), True)


def _conflict(earlier: Node, later: Node) -> bool:
    if earlier.mutating and later.mutating:
        return True
    if not (earlier.mutating or later.mutating):
        return False
    return any(_overlap(a, b) for a in earlier.footprint for b in later.footprint)


def _overlap(a: str, b: str) -> bool:
    return a == b or not a or not b or a.startswith(b + "/") or b.startswith(a + "/")
