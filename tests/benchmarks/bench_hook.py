"""What `agent hook check` costs a commit, and how much of a suite the mapping selects.

    python tests/benchmarks/bench_hook.py [RUNS]

Part 1 copies the demo project (agent/demo/project) into a fresh git repository, stages a
change to stats.py and times `agent hook check` end to end as a subprocess: the first run
(index built, tests run in the sandbox), the same staged content again (cache hit), and a
new staged change (index warm, tests run). Part 2 maps a few of this repository's own
modules to the test files the hook would run, against the number of test files there are.
Prints a table of median wall times and a one-line summary.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agent.index import RepoIndex
from agent.index.affected import affected_tests, is_test_file

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "agent" / "demo" / "project"
MODULES = ("agent/hooks/target.py", "agent/config.py", "tools/run.py", "agent/messages.py")


def git(repo: Path, *argv: str) -> None:
    subprocess.run(["git", *argv], cwd=repo, check=True, capture_output=True)


def demo_repo(scratch: Path) -> Path:
    repo = scratch / "demo"
    shutil.copytree(DEMO, repo)
    (repo / ".agent.toml").write_text('test_env = { PYTEST_DISABLE_PLUGIN_AUTOLOAD = "1" }\n')
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=b", "-c", "user.email=b@localhost", "commit", "-q", "-m", "init")
    return repo


def timed_check(repo: Path, *flags: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-P", "-m", "agent", "hook", "check", *flags],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    return time.perf_counter() - started, done.stdout.strip().splitlines()[0]


def stage_change(repo: Path, number: int) -> None:
    path = repo / "stats.py"
    path.write_text(path.read_text() + f"\n\nVERSION_{number} = {number}\n")
    git(repo, "add", "stats.py")


def check_times(runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {
        "first run (cold index)": [],
        "same content (cache hit)": [],
        "new change (warm index)": [],
    }
    for _run in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-hook-") as scratch:
            repo = demo_repo(Path(scratch))
            stage_change(repo, 1)
            times["first run (cold index)"].append(timed_check(repo)[0])
            seconds, line = timed_check(repo)
            assert "cache hit" in line, line
            times["same content (cache hit)"].append(seconds)
            stage_change(repo, 2)
            times["new change (warm index)"].append(timed_check(repo)[0])
    return times


def mapping() -> list[tuple[str, int, int, float]]:
    rows = []
    with RepoIndex.open(ROOT) as index:
        total = sum(1 for p in index.files() if is_test_file(p))
        for module in MODULES:
            started = time.perf_counter()
            chosen = affected_tests(index, [module])
            rows.append((module, len(chosen), total, time.perf_counter() - started))
    return rows


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    times = check_times(runs)
    print(f"agent hook check on the demo project, median of {runs} (load {os.getloadavg()[0]:.1f})")
    print(f"{'case':<28} {'median s':>9}")
    for case, values in times.items():
        print(f"{case:<28} {statistics.median(values):>9.2f}")
    rows = mapping()
    print(f"\n{'changed module':<26} {'tests chosen':>12} {'of':>5} {'mapping s':>10}")
    for module, chosen, total, seconds in rows:
        print(f"{module:<26} {chosen:>12} {total:>5} {seconds:>10.3f}")
    first = statistics.median(times["first run (cold index)"])
    hit = statistics.median(times["same content (cache hit)"])
    share = statistics.mean(chosen / total for _, chosen, total, _ in rows)
    print(
        f"\nsummary: first check {first:.2f}s, cache hit {hit:.2f}s ({first / hit:.1f}x faster); "
        f"the mapping picks {share:.0%} of this repository's test files on average"
    )


if __name__ == "__main__":
    main()
