"""What checking a plan's test ids adds to submit_plan, against one run of the suite.

usage: PYTHONPATH=. python tests/benchmarks/bench_plan_check.py ROOT NAME... [--runs N]

Each NAME is a project folder under ROOT (as `/work/shared/bench/get-repos` leaves them),
copied to a temporary folder; its test command is the one shared/bench/repos.txt gives.
In the bwrap sandbox, the median of N runs of: the ids of a plan that all exist (three ids
in two files), the same with a misspelt name (refused, neighbours from its file), an id in
a file that does not exist (neighbours from the whole suite's collection), and the whole
suite once, for scale.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from agent.sandbox import Policy, create_sandbox
from agent.tools import ToolContext
from agent.tools.pytest_runner import collected_ids
from agent.tools.run import missing_tests, run_tests_structured

REPOS = Path("/work/shared/bench/repos.txt")


def test_commands() -> dict[str, str]:
    """Each project's test command from repos.txt (name -> command)."""
    commands = {}
    for line in REPOS.read_text().splitlines():
        if line.startswith("#") or "==" not in line:
            continue
        name = line.split("==")[0]
        command = line.split("  ")[-1].strip()
        if command != "-":
            commands[name] = "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 " + command
    return commands


def median_s(action, runs: int) -> float:
    """The median wall time of `runs` calls of `action`."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(root: Path, command: str, runs: int) -> tuple[float, ...]:
    """(all exist, one misspelt, file absent, suite) median seconds; asserts each verdict."""
    ctx = ToolContext(root, create_sandbox(Policy(workspace=root), "bwrap"), test_command=command)
    known = collected_ids(ctx, command, 600, None)
    by_file: dict[str, list[str]] = {}
    for k in known:
        by_file.setdefault(k.split("::")[0], []).append(k)
    first = next(ids for ids in by_file.values() if len(ids) >= 2)
    plan = first[:2] + [list(by_file.values())[-1][0]]
    typo = plan[:2] + [plan[2] + "_x"]
    absent = ["tests/test_nowhere.py::" + plan[0].rsplit("::", 1)[-1]]
    assert missing_tests(ctx, plan) == {}
    assert list(missing_tests(ctx, typo)) == [typo[2]]
    assert list(missing_tests(ctx, absent)) == absent
    return (
        median_s(lambda: missing_tests(ctx, plan), runs),
        median_s(lambda: missing_tests(ctx, typo), runs),
        median_s(lambda: missing_tests(ctx, absent), runs),
        median_s(lambda: run_tests_structured(ctx, ""), max(1, runs // 3)),
    )


def main() -> int:
    """Print a table and a one-line summary."""
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    parser.add_argument("names", nargs="+")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    commands = test_commands()
    print("| project | plan ids exist s | one misspelt s | file absent s | suite s |")
    print("|---------|-----------------:|---------------:|--------------:|--------:|")
    worst = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.names:
            root = Path(scratch) / name
            shutil.copytree(
                args.root / name,
                root,
                ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"),
            )
            exist, typo, absent, suite = measure(root, commands[name], args.runs)
            worst = max(worst, exist / suite)
            print(f"| {name} | {exist:.2f} | {typo:.2f} | {absent:.2f} | {suite:.2f} |")
    print(f"Summary: checking a plan whose ids exist costs at most {worst:.0%} of a suite run.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
