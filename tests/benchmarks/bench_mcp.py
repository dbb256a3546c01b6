"""MCP tool call overhead on our side: a no-op tool on a local stdio server, median of N.

Three timings per round, interleaved so the machine's load falls on all alike:
  sdk   `await client.call_tool("noop")` timed inside the hub's event loop: the SDK and the
        server's round trip, none of our code;
  hop   the same call submitted from a thread, as the executor's threads do;
  ours  `Registry.run` of `kit__noop`: argument check, the hop, the call, the result as text,
        the cap.
Our overhead is ours - sdk. Target: under 5 ms.

    PYTHONPATH=. python tests/benchmarks/bench_mcp.py [N]
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent.mcp import session_servers  # noqa: E402
from agent.messages import ToolCall  # noqa: E402
from agent.tools import Registry  # noqa: E402
from tests.mcp_kit import write_servers  # noqa: E402

TARGET_MS = 5.0


class Ctx:
    """The least a registry call needs of a tool context."""

    max_output_chars = 20_000


def main(rounds: int) -> None:
    """Start the server through the real config path and time `rounds` calls each way."""
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        script = write_servers(base / "servers")
        user_file = base / "config" / "agent" / "config.toml"
        user_file.parent.mkdir(parents=True)
        user_file.write_text(
            f'[mcp_servers.kit]\ncommand = "{sys.executable}"\nargs = ["{script}"]\n'
        )
        os.environ["XDG_CONFIG_HOME"] = str(base / "config")
        (base / "repo").mkdir()
        with session_servers(base / "repo") as servers:
            registry = Registry(servers.tools)
            timings = measure(servers.hub, registry, rounds)
    report(timings, rounds)


def measure(hub, registry, rounds: int) -> dict[str, list[float]]:
    client, loop = hub.servers["kit"].client, hub._loop

    async def inside() -> float:
        started = time.perf_counter()
        await client.call_tool("noop", {})
        return time.perf_counter() - started

    timings: dict[str, list[float]] = {"sdk": [], "hop": [], "ours": []}
    for _ in range(5):  # warm up
        registry.run(ToolCall("w", "kit__noop", {}), Ctx())
    for i in range(rounds):
        timings["sdk"].append(asyncio.run_coroutine_threadsafe(inside(), loop).result())
        started = time.perf_counter()
        asyncio.run_coroutine_threadsafe(client.call_tool("noop", {}), loop).result()
        timings["hop"].append(time.perf_counter() - started)
        started = time.perf_counter()
        result = registry.run(ToolCall(f"c{i}", "kit__noop", {}), Ctx())
        timings["ours"].append(time.perf_counter() - started)
        assert not result.is_error, result.content
    return timings


def report(timings: dict[str, list[float]], rounds: int) -> None:
    medians = {k: statistics.median(v) * 1000 for k, v in timings.items()}
    print(f"rounds: {rounds}; load average: {os.getloadavg()[0]:.1f}")
    for name, value in medians.items():
        print(f"{name:5} median {value:7.2f} ms")
    overhead = medians["ours"] - medians["sdk"]
    verdict = "under" if overhead < TARGET_MS else "OVER"
    print(f"our overhead (ours - sdk): {overhead:.2f} ms, {verdict} the {TARGET_MS:g} ms target")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
