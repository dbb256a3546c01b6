"""Added latency of the sandbox per command: median over 100 runs of `true` and of
`python -c pass`, bare subprocess versus each backend. Target: bwrap adds <= 30 ms.

    python tests/benchmarks/bench_sandbox.py [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent.sandbox import Policy, create_sandbox  # noqa: E402

TARGET_MS = 30.0


def timed(runners: dict[str, Callable[[], object]], runs: int) -> dict[str, list[float]]:
    """Milliseconds per call of each runner, interleaved round-robin so that load from other
    work on the machine falls on every runner alike (after one warm-up round)."""
    times: dict[str, list[float]] = {name: [] for name in runners}
    for round_number in range(runs + 1):
        for name, run in runners.items():
            start = time.perf_counter()
            run()
            if round_number:
                times[name].append((time.perf_counter() - start) * 1000)
    return times


def bare(argv: list[str]) -> None:
    """The baseline: a plain subprocess with captured output."""
    subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, check=True)


def measure(runs: int) -> list[tuple[str, str, float, float]]:
    """(command, runner, median ms, ms added over the bare subprocess) for each pair."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        boxes = {name: create_sandbox(Policy(Path(tmp)), name) for name in ("bwrap", "none")}
        for label, argv in (("true", ["true"]), ("python -c pass", [sys.executable, "-c", "pass"])):
            runners = {"bare": lambda argv=argv: bare(argv)}
            for name, box in boxes.items():
                runners[name] = lambda box=box, argv=argv: box.run(argv)
            medians = {name: statistics.median(t) for name, t in timed(runners, runs).items()}
            rows += [(label, name, m, m - medians["bare"]) for name, m in medians.items()]
    return rows


def main(runs: int = 100) -> None:
    """Print the table and the one-line summary."""
    load_before = os.getloadavg()[0]
    rows = measure(runs)
    print(f"{'command':<16} {'runner':<6} {'median ms':>10} {'added ms':>9}")
    for label, runner, median, added in rows:
        print(f"{label:<16} {runner:<6} {median:>10.1f} {added:>9.1f}")
    worst = max(added for _, runner, _, added in rows if runner == "bwrap")
    verdict = "within" if worst <= TARGET_MS else "OVER"
    print(
        f"bwrap adds at most {worst:.1f} ms median per command over {runs} runs "
        f"({verdict} the {TARGET_MS:.0f} ms target; load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after, {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
