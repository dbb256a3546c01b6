"""ACP update latency: an event emitted by a session's thread to the notification received
by the client.

usage: PYTHONPATH=. python tests/benchmarks/bench_acp.py [--count 100]

The agent side (`AcpAgent`, its session's outbox and translator) runs on its own thread and
event loop; the SDK's client side on the main thread; the two speak newline-delimited
JSON-RPC through real OS pipes, as `agent acp` does on stdio. A third thread stands for the
loop and emits events one at a time, each when the previous one has arrived: model text
chunks, tool calls started, edits with their diff, plan updates. The latency of each is the
time from `emit` to the client's `session_update` handler, on one monotonic clock.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from acp import connect_to_agent
from acp.core import AgentSideConnection

from agent import events as ev
from agent.acp.server import AcpAgent
from agent.acp.turns import Launch
from tests.solve_kit import make_repo

DIFF = (
    "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n"
    "@@ -8,4 +8,4 @@ def clamp(value, low, high):\n     if value < low:\n"
    "         return low\n     if value > high:\n-        return low\n+        return high\n"
)


def sample_events(count: int) -> list:
    """`count` events of each kind a session emits most."""
    made = []
    for i in range(count):
        made += [
            ev.ModelText(f"chunk {i} of the model's answer ", delta=True),
            ev.ToolCallStarted(f"c{i}", "read_file", {"path": "calc.py"}),
            ev.EditApplied("calc.py", DIFF, f"{i:040d}"),
            ev.PlanUpdated(
                "clamp returns high", ("fix clamp", "run the tests"), ("running", "pending")
            ),
        ]
    return made


class TimingClient:
    """Notes when each update arrives."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.at = 0.0

    async def session_update(self, session_id, update, **_) -> None:
        self.at = time.perf_counter()
        self.arrived.set()


async def pipes(loop):
    """Two OS pipes as (agent reader, agent writer, client reader, client writer) streams."""

    async def reader(fd):
        stream = asyncio.StreamReader(limit=50 * 1024 * 1024)
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(stream), os.fdopen(fd, "rb", 0)
        )
        return stream

    async def writer(fd):
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(fd, "wb", 0)
        )
        return asyncio.StreamWriter(transport, protocol, None, loop)

    return reader, writer


def agent_side(repo: Path, to_agent: int, from_agent: int, ready: dict, up: threading.Event):
    """The agent's own loop on this thread: a connection and one new session."""

    async def main():
        loop = asyncio.get_running_loop()
        reader, writer = await pipes(loop)
        agent = AcpAgent(Launch({}))
        ready["conn"] = AgentSideConnection(
            agent, await writer(from_agent), await reader(to_agent)
        )  # kept: its tasks live on
        ready["session"] = agent.sessions[(await agent.new_session(cwd=str(repo))).session_id]
        up.set()
        await asyncio.Event().wait()

    asyncio.run(main())


async def measure(repo: Path, count: int) -> dict[str, list[float]]:
    loop = asyncio.get_running_loop()
    to_agent_r, to_agent_w = os.pipe()
    from_agent_r, from_agent_w = os.pipe()
    ready, up = {}, threading.Event()
    threading.Thread(
        target=agent_side, args=(repo, to_agent_r, from_agent_w, ready, up), daemon=True
    ).start()
    reader, writer = await pipes(loop)
    client = TimingClient()
    conn = connect_to_agent(client, await writer(to_agent_w), await reader(from_agent_r))
    await asyncio.to_thread(up.wait)
    took = await asyncio.to_thread(emit_all, ready["session"], client, count)
    await conn.close()
    return took


def emit_all(session, client: TimingClient, count: int) -> dict[str, list[float]]:
    """Emit each event from this thread and wait for it to arrive; ms per event kind."""
    took: dict[str, list[float]] = {}
    for event in sample_events(count):
        client.arrived.clear()
        sent = time.perf_counter()
        session.outbox.put_event(event)
        if not client.arrived.wait(10):
            raise RuntimeError(f"{event.kind} never arrived")
        took.setdefault(event.kind, []).append((client.at - sent) * 1000)
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        repo = make_repo(Path(scratch) / "r")
        took = asyncio.run(measure(repo, args.count))
    print(f"{'event':<20} {'n':>4} {'median ms':>10} {'p90 ms':>8} {'max ms':>8}")
    everything = []
    for kind, values in took.items():
        everything += values
        p90 = statistics.quantiles(values, n=10)[-1]
        print(
            f"{kind:<20} {len(values):>4} {statistics.median(values):>10.3f} {p90:>8.3f} "
            f"{max(values):>8.3f}"
        )
    median = statistics.median(everything)
    print(
        f"\nsummary: median update latency {median:.3f} ms over {len(everything)} events "
        f"(target under 10 ms): {'met' if median < 10 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
