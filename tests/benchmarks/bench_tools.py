"""Tool latency on django: one turn of 8 independent read/search calls run by the executor
versus each call alone, and search over every file. Targets: the turn <= 1.5x the slowest
single call; a warm search over all files <= 0.5 s.

    python tests/benchmarks/bench_tools.py [DJANGO_DIR] [RUNS]

Without DJANGO_DIR, django is fetched with /work/shared/bench/get-repos into
$AGENT_BENCH_REPOS (default /tmp/bench-repos).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent.messages import ToolCall
from agent.sandbox import Policy, create_sandbox
from agent.tools import ToolContext, default_registry, execute_turn

TURN_TARGET = 1.5
SEARCH_TARGET_S = 0.5
GET_REPOS = "/work/shared/bench/get-repos"

TURN = [
    ("search", {"pattern": r"def get_queryset\("}),
    ("search", {"pattern": "select_for_update", "literal": True}),
    ("search", {"pattern": r"class \w+Field\(", "glob": "*.py"}),
    ("read_file", {"path": "django/db/models/query.py"}),
    ("read_file", {"path": "django/db/models/base.py", "start": 400, "end": 600}),
    ("list_files", {"dir": "django/contrib/admin", "glob": "*.py"}),
    ("find_symbol", {"name": "QuerySet.filter"}),
    ("outline", {"path": "django/forms/models.py"}),
]
SEARCHES = [
    ("regex", {"pattern": r"def \w+_queryset\("}),
    ("literal", {"pattern": "ImproperlyConfigured", "literal": True}),
    ("case-insensitive", {"pattern": "deprecat", "case_sensitive": False}),
    ("common word", {"pattern": "import"}),
]


def django_dir() -> Path:
    """The django checkout from the command line, else fetched with get-repos."""
    if len(sys.argv) > 1:
        return Path(sys.argv[1]).resolve()
    dest = os.environ.get("AGENT_BENCH_REPOS", "/tmp/bench-repos")
    out = subprocess.run([GET_REPOS, dest, "django"], capture_output=True, text=True, check=True)
    return Path(out.stdout.split()[1])


def interleaved_medians(actions: list, runs: int) -> list[float]:
    """Median wall time of each action, run round-robin (after one warm-up round) so that
    the load from other work on the machine falls on every action alike."""
    times: list[list[float]] = [[] for _ in actions]
    for round_number in range(runs + 1):
        for i, action in enumerate(actions):
            start = time.perf_counter()
            action()
            if round_number:
                times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def print_turn_table(singles: list[float], turn: float) -> None:
    """One row per call measured alone, then the sequential sum and the parallel turn."""
    print(f"\n{'call':<58} {'median s':>9}")
    for (name, args), seconds in zip(TURN, singles, strict=False):
        label = f"{name}({', '.join(f'{k}={v!r}' for k, v in args.items())})"[:58]
        print(f"{label:<58} {seconds:>9.3f}")
    print(f"{'sum (sequential)':<58} {sum(singles):>9.3f}")
    print(f"{'turn of 8 through execute_turn':<58} {turn:>9.3f}")


def main() -> None:
    """Print the tables and the one-line summary."""
    root = django_dir()
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    ctx = ToolContext(root, create_sandbox(Policy(workspace=root)))
    registry = default_registry()
    start = time.perf_counter()
    files = len(ctx.index.files())
    print(f"django: {files} indexed files; index open/refresh {time.perf_counter() - start:.2f} s")

    calls = [ToolCall(f"c{i}", name, args) for i, (name, args) in enumerate(TURN)]
    for call in calls:
        [result] = execute_turn([call], registry, ctx)
        assert not result.is_error, result.content
    # Each call alone is a turn of its own, exactly as the executor runs it.
    actions = [lambda call=call: execute_turn([call], registry, ctx) for call in calls]
    actions.append(lambda: execute_turn(calls, registry, ctx))
    *singles, turn = interleaved_medians(actions, runs)
    print_turn_table(singles, turn)

    print(f"\n{'search over all files':<24} {'matches':>8} {'median s':>9}")
    search_calls = [ToolCall("s", "search", args) for _, args in SEARCHES]
    search_times = interleaved_medians(
        [lambda call=call: execute_turn([call], registry, ctx) for call in search_calls], runs
    )
    for (label, _), call, seconds in zip(SEARCHES, search_calls, search_times, strict=False):
        first = execute_turn([call], registry, ctx)[0].content.splitlines()[0]
        print(f"{label:<24} {first.split()[0]:>8} {seconds:>9.3f}")

    ratio = turn / max(singles)
    worst_search = max(search_times)
    ok = ratio <= TURN_TARGET and worst_search <= SEARCH_TARGET_S
    print(
        f"\n{'PASS' if ok else 'FAIL'}: turn of 8 calls {turn:.3f} s = {ratio:.2f}x the slowest "
        f"single call ({max(singles):.3f} s; sequential sum {sum(singles):.3f} s, target <= "
        f"{TURN_TARGET}x); slowest warm search over all files {worst_search:.3f} s (target <= "
        f"{SEARCH_TARGET_S} s); median of {runs} runs, load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
